/* start.h: marks the code, constants and state of what every process the library is loaded into
 * runs before the shim knows whether it acts in it: the constructor's decision, the listing of the
 * loaded objects and the lookups that bind libc's functions (symbols.c, real.c), and the
 * __libc_start_main wrapper every program's start code calls; and the entries that nearly every
 * program calls in a process where the shim never acted (sigaction and signal, exit, a shell's
 * waits), which there are libc's (reap_never_acted). shim/start.ld gives the code and constants a
 * segment of their own and puts the state first in the writable segment.
 *
 * Why: the kernel maps a shared object's pages into a process on first touch, and with each fault
 * maps the cached pages around it, up to 16 (fault-around); every page mapped is set up and at exit
 * taken down again, about 0.4 us each here. Spread over the library's 80 kB of code and 28 kB of
 * constants, the start of an inert process mapped all of them (docs/performance.md). In a segment of
 * their own it maps one page of code, and its writes land on the page of the writable segment that
 * the loader has already made the process's own.
 *
 * So a START_PATH function calls only START_PATH functions on that path, or libc's through the GOT
 * (START_LIBC on the declaration: a PLT entry lies on the library's main code pages) or the shim's
 * bound table (LIBC_AT_START, real.h, which keeps the name in the segment); it reads constants only
 * from START_CONST objects, not string literals (which go to .rodata), and writes only START_STATE
 * variables. What runs where the shim acts is kept out of line, in the main code, so that the
 * segment stays one page. tests/test_costs.c counts the pages an inert process maps. */
#ifndef REAP_START_H
#define REAP_START_H

#define START_PATH __attribute__((section(".reap_start")))
#define START_CONST __attribute__((section(".reap_start.const")))
#define START_STATE __attribute__((section(".bss.reap_start")))
#define START_LIBC __attribute__((noplt))

#endif
