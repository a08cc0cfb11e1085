/* sigwaits.c: owns the calls that wait for a signal: pause, sigsuspend, __sigsuspend, sigpause
 * (BSD in glibc, X/Open in musl), glibc's __xpg_sigpause (what its <signal.h> calls sigpause) and
 * __sigpause, sigwait, sigwaitinfo and sigtimedwait. Neither libc's sigpause variants and sigwait
 * go through the exported sigsuspend and sigtimedwait, so each is wrapped.
 *
 * They follow the rule of sleeps.h: a wait that only the shim's SIGCHLD handling cut short goes on.
 * And a program that keeps SIGCHLD blocked in every thread and takes it with sigwait, sigwaitinfo
 * or sigtimedwait is the shim's only news of its children then: a SIGCHLD taken this way sweeps
 * the foreign zombies, as the handler would have (sigchld_taken); the shim's own replay of a
 * SIGCHLD is swept and never returned to the program. */
#include "sleeps.h"

#include <signal.h>

#include "active.h"
#include "exports.h"
#include "real.h"
#include "sigchld.h"

REAP_EXPORT int pause(void)
{
	AS_IS_WHERE_INERT(LIBC(pause)());
	return UNLESS_SHIM_INTERRUPTED(LIBC(pause)());
}

REAP_EXPORT int sigsuspend(const sigset_t *mask)
{
	AS_IS_WHERE_INERT(LIBC(sigsuspend)(mask));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigsuspend)(mask));
}

#if defined(__GLIBC__)
REAP_EXPORT int __sigsuspend(const sigset_t *mask)
{
	AS_IS_WHERE_INERT(LIBC(sigsuspend)(mask));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigsuspend)(mask));
}

/* <signal.h> renames sigpause to __xpg_sigpause: the BSD one is reached by its symbol. */
int reap_bsd_sigpause(int mask) __asm__("sigpause");

REAP_EXPORT int reap_bsd_sigpause(int mask)
{
	AS_IS_WHERE_INERT(LIBC(sigpause)(mask));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigpause)(mask));
}

REAP_EXPORT int __xpg_sigpause(int sig)
{
	AS_IS_WHERE_INERT(LIBC(__xpg_sigpause)(sig));
	return UNLESS_SHIM_INTERRUPTED(LIBC(__xpg_sigpause)(sig));
}

REAP_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
	AS_IS_WHERE_INERT(LIBC(__sigpause)(sig_or_mask, is_sig));
	return UNLESS_SHIM_INTERRUPTED(LIBC(__sigpause)(sig_or_mask, is_sig));
}
#else
/* musl has only the X/Open sigpause. */
REAP_EXPORT int sigpause(int sig)
{
	AS_IS_WHERE_INERT(LIBC(sigpause)(sig));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigpause)(sig));
}
#endif

/* glibc's sigwaitinfo and sigwait are its sigtimedwait without a timeout. */
static int take_signal(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	AS_IS_WHERE_INERT(LIBC(sigtimedwait)(set, info, timeout));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;
	siginfo_t taken;
	int sig;

	do {
		sig = UNLESS_SHIM_INTERRUPTED(LIBC(sigtimedwait)(set, &taken, sleeps_left(deadline, timeout, &left)));
	} while (sig == SIGCHLD && reap_active() && sigchld_taken(&taken));
	if (sig > 0 && info != NULL) {
		*info = taken;
	}
	return sig;
}

REAP_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	return take_signal(set, info, timeout);
}

REAP_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return take_signal(set, info, NULL);
}

/* glibc 2.36's sigwait: made again after any EINTR (which it never returns), the error number
 * returned instead of set in errno. musl's returns -1 and sets errno (its sigtimedwait never
 * fails with EINTR). */
REAP_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	int r;

	if (!reap_active()) {
		return LIBC(sigwait)(set, sig);
	}
	do {
		r = take_signal(set, NULL, NULL);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
#if defined(__GLIBC__)
		return errno;
#else
		return -1;
#endif
	}
	*sig = r;
	return 0;
}
