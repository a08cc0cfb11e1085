/* start.h: marks the code, constants and state of what every process the library is loaded into
 * runs before the shim knows whether it acts in it: the constructor's decision, the listing of the
 * loaded objects and the lookups that bind libc's functions (symbols.c, real.c), and the
 * __libc_start_main wrapper every program's start code calls; and the entries that nearly every
 * program calls in a process where the shim never acted (sigaction and signal, exit, a shell's
 * waits), which there are libc's (reap_never_acted). shim/start.ld puts the code and constants right
 * after the tables the loader reads, at the head of the library's one read-only segment, and the
 * state first in the writable segment.
 *
 * Why: the kernel maps a shared object's pages into a process on first touch, and with each fault
 * maps the cached pages after it, up to 16 (fault-around); every fault and every mapping costs the
 * exec (docs/performance.md). Spread over the library's 80 kB of code and 28 kB of constants, the
 * start of an inert process touched all of them. At the head of the segment it is mapped by the
 * fault the loader takes anyway when it reads the tables, and its writes land on the page of the
 * writable segment that the loader has already made the process's own.
 *
 * So a START_PATH function calls only START_PATH functions on that path, or libc's through the GOT
 * (START_LIBC on the declaration: bound at load rather than by a lazy-binding detour at the start's
 * first call) or the shim's bound table (LIBC_AT_START, real.h, which keeps the name in the
 * section); it reads constants only from START_CONST objects, not string literals (which go to
 * .rodata, pages away), and writes only START_STATE
 * variables. What runs where the shim acts is kept out of line, in the main code, so that the
 * start stays within the first 16 pages. tests/test_costs.c counts what an inert process maps. */
#ifndef REAP_START_H
#define REAP_START_H

#define START_PATH __attribute__((section(".reap_start")))
#define START_CONST __attribute__((section(".reap_start.const")))
#define START_STATE __attribute__((section(".bss.reap_start")))
#define START_LIBC __attribute__((noplt))

#endif
