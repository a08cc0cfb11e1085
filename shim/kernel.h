/* kernel.h: system calls the shim makes itself where a C library lacks the function, or has it
 * only in versions newer than the ones the shim supports (kernel.c), and the one a fork child
 * makes on its way out of the fork wrapper (its SIGCHLD reset), made with the instruction itself:
 * in a fork child, each run of libc's pages that it executes costs a page fault. */
#ifndef REAP_KERNEL_H
#define REAP_KERNEL_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

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

/* The system call nr with up to four arguments; the kernel's result (-errno on failure). */
static inline long kernel_call4(long nr, long a, long b, long c, long d)
{
#if defined(__x86_64__)
	long result;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(result) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return result;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory", "cc");
	return x0;
#else
#error "kernel_call4: x86-64 and aarch64 only (see shim/target.h)"
#endif
}

/* sig's disposition set to act, which names no handler (SIG_DFL or SIG_IGN): without a handler
 * the kernel needs no return trampoline, which is all libc's sigaction adds. 0 or -errno. */
static inline int kernel_set_disposition(int sig, const struct sigaction *act)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} k = {.handler = (void *)act->sa_handler, .flags = (unsigned long)act->sa_flags};

	memcpy(&k.mask, &act->sa_mask, sizeof(k.mask));
	return (int)kernel_call4(SYS_rt_sigaction, sig, (long)&k, 0, sizeof(k.mask));
}

#endif
