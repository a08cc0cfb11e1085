/* target.h: which machine and C library a build is for, told by the compiler's own macros and by
 * nothing else (musl-gcc calls its target x86_64-linux-gnu). The Makefile preprocesses this file to
 * choose the build directory, the version map and the assembly; the library reports the target when
 * run as a program (describe.c) and compares programs with it (check.c).
 *
 * REAP_ARCH and REAP_LIBC are bare words for the Makefile ("x86_64", "gnu"); the C code uses the
 * strings below. The triple is ARCH-linux-LIBC, as in the names of the files `make dist` makes. */
#ifndef REAP_TARGET_H
#define REAP_TARGET_H

#include <features.h>

#if defined(__x86_64__)
#define REAP_ARCH x86_64
#define REAP_ARCH_NAME "x86_64"
#define REAP_ELF_MACHINE 62 /* EM_X86_64 */
#define REAP_GLIBC_LOADER "/lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define REAP_ARCH aarch64
#define REAP_ARCH_NAME "aarch64"
#define REAP_ELF_MACHINE 183 /* EM_AARCH64 */
#define REAP_GLIBC_LOADER "/lib/ld-linux-aarch64.so.1"
#else
#error "reap.so is built for x86_64 and aarch64"
#endif

/* glibc defines __GLIBC__ in <features.h>; musl deliberately defines nothing to be known by. */
#if defined(__GLIBC__)
#define REAP_LIBC gnu
#define REAP_LIBC_NAME "glibc"
#define REAP_LIBC_WORD "gnu"
#define REAP_LOADER REAP_GLIBC_LOADER
#else
#define REAP_LIBC musl
#define REAP_LIBC_NAME "musl"
#define REAP_LIBC_WORD "musl"
#define REAP_LOADER "/lib/ld-musl-" REAP_ARCH_NAME ".so.1"
#endif

#define REAP_TARGET_TRIPLE REAP_ARCH_NAME "-linux-" REAP_LIBC_WORD

#endif
