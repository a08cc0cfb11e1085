/* glibc-floor.h: the oldest glibc a glibc build loads on, 2.17 (arm64's first glibc; RHEL and
 * CentOS 7). The Makefile includes this header first in every C file of the library.
 *
 * glibc 2.34 moved libpthread's functions into libc.so.6 under new version names and kept the old
 * ones beside them. A plain reference binds the newest version, which an older glibc does not
 * define, and its loader then refuses the whole library. The lines below bind the versions that
 * pthread_cleanup_push and pthread_cleanup_pop's functions had before 2.34, in libpthread.so.0.
 * The library does not need libpthread.so.0 (nor libdl.so.2: symbols.c finds libc's functions
 * without dlsym): a need would load both into every process of the container, two more objects
 * per exec, although from 2.34 on they are empty. So the references are weak: glibc 2.34 and
 * later find the old versions in libc.so.6; an older glibc finds them in the program's
 * libpthread.so.0 when it has threads, and otherwise resolves them to NULL, which shell.c checks
 * (a program without libpthread has no thread to cancel). The loader looks a versioned symbol up
 * by its version name in every object of the scope, whichever file the version need names
 * (glibc's elf/dl-lookup.c, check_match), and checks only that the named file, libc.so.6, defines
 * the version (elf/dl-version.c): every libc.so.6 from 2.17 on defines GLIBC_2.2.5, 2.3.3, 2.11
 * and 2.17.
 *
 * Functions newer than 2.17 that are not listed here are called as system calls (real.h) or bound
 * at run time (LIBC(), real.h), which creates no version need. test_floor reads the built
 * library's version needs and fails on any above GLIBC_2.17, on any library needed besides
 * libc.so.6, and on a strong reference to a function that lived outside libc.so.6 before 2.34. */
#ifndef REAP_GLIBC_FLOOR_H
#define REAP_GLIBC_FLOOR_H

#include <features.h>

#if defined(__GLIBC__) && !defined(__ASSEMBLER__)

#define REAP_OLD_VERSION(name, version) __asm__(".symver " #name ", " #name "@" version)

#if defined(__x86_64__)
#define REAP_CANCEL_VERSION "GLIBC_2.3.3"
#else /* aarch64: every function's first version is 2.17 */
#define REAP_CANCEL_VERSION "GLIBC_2.17"
#endif

/* Each version the library needs is checked by the loader in every process that loads it (a walk
 * over libc's list of versions), so it keeps to few: memcpy's first version, which an x86-64 glibc
 * keeps as an alias of memmove; clock_gettime (2.17), pipe2 (2.9) and getxattr (2.3) are bound at
 * run time (LIBC()). */
#if defined(__x86_64__)
REAP_OLD_VERSION(memcpy, "GLIBC_2.2.5");
#endif

/* libpthread.so.0 before 2.34: pthread_cleanup_push and pthread_cleanup_pop call them */
#pragma weak __pthread_register_cancel
#pragma weak __pthread_unregister_cancel
#pragma weak __pthread_unwind_next
REAP_OLD_VERSION(__pthread_register_cancel, REAP_CANCEL_VERSION);
REAP_OLD_VERSION(__pthread_unregister_cancel, REAP_CANCEL_VERSION);
REAP_OLD_VERSION(__pthread_unwind_next, REAP_CANCEL_VERSION);

#endif
#endif
