/* glibc-floor.h: the oldest glibc a glibc build loads on, 2.17 (arm64's first glibc; RHEL and
 * CentOS 7). The Makefile includes this header first in every C file of the library.
 *
 * glibc 2.34 moved libdl's and libpthread's functions into libc.so.6 under new version names
 * (dlsym@@GLIBC_2.34) and kept the old ones beside them (dlsym@GLIBC_2.2.5). A plain reference
 * binds the newest version, which an older glibc does not define, and its loader then refuses the
 * whole library. The lines below bind the versions these functions had before 2.34, in libdl.so.2
 * and libpthread.so.0; the library is linked with both (the Makefile), so that an older glibc loads
 * them, and glibc 2.34 and later find the old versions in libc.so.6 (its libdl.so.2 and
 * libpthread.so.0 are empty). The loader looks a versioned symbol up by its version name in every
 * object of the scope, whichever file the version need names (glibc's elf/dl-lookup.c,
 * check_match), and checks only that the named file, libc.so.6, defines the version
 * (elf/dl-version.c): every libc.so.6 from 2.17 on defines GLIBC_2.2.5, 2.3.3, 2.11 and 2.17.
 *
 * Functions newer than 2.17 that are not listed here are called as system calls (real.h) or bound
 * at run time with dlsym (LIBC(), real.h), which creates no version need. test_floor reads the
 * built library's version needs and fails on any above GLIBC_2.17. */
#ifndef REAP_GLIBC_FLOOR_H
#define REAP_GLIBC_FLOOR_H

#include <features.h>

#if defined(__GLIBC__) && !defined(__ASSEMBLER__)

#define REAP_OLD_VERSION(name, version) __asm__(".symver " #name ", " #name "@" version)

#if defined(__x86_64__)
#define REAP_LIBDL_VERSION "GLIBC_2.2.5"
#define REAP_CANCEL_VERSION "GLIBC_2.3.3"
#else /* aarch64: every function's first version is 2.17 */
#define REAP_LIBDL_VERSION "GLIBC_2.17"
#define REAP_CANCEL_VERSION "GLIBC_2.17"
#endif

/* libdl.so.2 before 2.34 */
REAP_OLD_VERSION(dlsym, REAP_LIBDL_VERSION);
REAP_OLD_VERSION(dlvsym, REAP_LIBDL_VERSION);
/* libpthread.so.0 before 2.34: pthread_cleanup_push and pthread_cleanup_pop call the first three */
REAP_OLD_VERSION(__pthread_register_cancel, REAP_CANCEL_VERSION);
REAP_OLD_VERSION(__pthread_unregister_cancel, REAP_CANCEL_VERSION);
REAP_OLD_VERSION(__pthread_unwind_next, REAP_CANCEL_VERSION);

#endif
#endif
