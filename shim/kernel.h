/* kernel.h: system calls the shim makes itself where a C library lacks the function, or has it
 * only in versions newer than the ones the shim supports (kernel.c). */
#ifndef REAP_KERNEL_H
#define REAP_KERNEL_H

#include <signal.h>
#include <stdint.h>

/* One entry of getdents64's answer, which glibc before 2.30 and musl do not declare. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Queues sig with value to the calling thread, as pthread_sigqueue(pthread_self(), sig, value)
 * does: the receiver sees si_code SI_QUEUE, the caller's pid and uid, and value. musl has no
 * pthread_sigqueue, and glibc has it in libc only from 2.34 on. 0, or -1 with errno.
 * Async-signal-safe (libc's syscall is bound before any handler exists). */
int kernel_queue_to_this_thread(int sig, union sigval value);

#endif
