/* lock.h: the one kind of lock the shim uses. Its holder blocks every signal first, so a signal
 * handler (the shim's or the program's, calling an interposed function) can never interrupt the
 * holder on its own thread, and another thread only ever waits for a short critical section that
 * is sure to end: safe to take from a signal handler and from a fork child (which never inherits a
 * held lock it could need: only the forking thread exists there, and it held none). */
#ifndef REAP_LOCK_H
#define REAP_LOCK_H

#include <sched.h>
#include <signal.h>

/* Set while the calling thread has every signal blocked already (a vfork's window, system()'s, the
 * SIGCHLD handler): taking a lock then needs no system call. */
extern __thread int signals_held __attribute__((tls_model("initial-exec")));

/* A window with every signal blocked in the calling thread (saved: the mask before, may be NULL),
 * in which the locks taken need no system call; closed by setting mask again. */
static inline void hold_signals(sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, saved);
	signals_held = 1;
}

static inline void release_signals(const sigset_t *mask)
{
	signals_held = 0;
	sigprocmask(SIG_SETMASK, mask, NULL);
}

static inline void lock_take(int *lock, sigset_t *saved_mask)
{
	sigset_t all;

	if (!signals_held) {
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, saved_mask);
	}
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) != 0) {
		sched_yield();
	}
}

static inline void lock_give(int *lock, const sigset_t *saved_mask)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	if (!signals_held) {
		sigprocmask(SIG_SETMASK, saved_mask, NULL);
	}
}

#endif
