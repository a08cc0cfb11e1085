/* sleeps.h: the rule shared by the wrappers of the blocking calls that the kernel never restarts
 * after a signal handler, SA_RESTART or not (sleeps.c, sigwaits.c, ipcwaits.c; docs/design.md has
 * the audit of every such libc entry point).
 *
 * In an active process the shim's SIGCHLD handler runs for every child that exits, and such a call
 * would return EINTR early for a signal the program never sees (SIGCHLD at SIG_DFL) or never saw
 * (an orphan's). Every handler of the program runs through the shim and is counted per thread
 * (signals.c): a call that fails with EINTR while no handler of the program ran on its thread is
 * made again, for the time that is left, with errno as it was before the call. */
#ifndef REAP_SLEEPS_H
#define REAP_SLEEPS_H

#include <errno.h>
#include <time.h>

#include "active.h"
#include "signals.h"

/* Where the shim does not act, none of its handlers can cut a call short (signals_eintr_is_shims):
 * the wrapper returns libc's call as it is, before it reads a clock for a deadline. */
#define AS_IS_WHERE_INERT(call)                            \
	do {                                               \
		if (__builtin_expect(!reap_active(), 1)) { \
			return (call);                     \
		}                                          \
	} while (0)

/* The value of call, made again while it fails with an EINTR that the shim alone caused; call is
 * evaluated anew each time, so a timeout computed inside it shrinks. */
#define UNLESS_SHIM_INTERRUPTED(call)                                         \
	({                                                                    \
		int saved_errno_ = errno;                                     \
		__typeof__(call) r_;                                          \
		for (;;) {                                                    \
			unsigned runs_ = signals_handler_runs();              \
			r_ = (call);                                          \
			if (r_ >= 0 || !signals_eintr_is_shims(runs_)) {      \
				break;                                        \
			}                                                     \
			errno = saved_errno_;                                 \
		}                                                             \
		r_;                                                           \
	})

/* The monotonic deadline of a relative timeout (-1 for none, NULL), and what is left of it in
 * *left (NULL for none). */
long long sleeps_deadline(const struct timespec *timeout);
const struct timespec *sleeps_left(long long deadline, const struct timespec *timeout, struct timespec *left);

#endif
