/* sleeps.c: owns the blocking calls that the kernel never restarts after a signal handler, SA_RESTART
 * or not: poll, ppoll, select, pselect, epoll_wait, epoll_pwait, nanosleep, clock_nanosleep, sleep,
 * usleep, pause, sigsuspend, sigtimedwait and sigwaitinfo (glibc's sleep, usleep and pause do not go
 * through the exported nanosleep and ppoll, so each is wrapped).
 *
 * In an active process the shim's SIGCHLD handler runs for every orphan that exits, and such a
 * call would return EINTR early for a signal the program never sees. Every handler of the program
 * runs through the shim and is counted per thread (signals.c): a call that fails with EINTR while
 * no handler of the program ran on its thread is made again, for the time that is left. */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "real.h"
#include "signals.h"

#define NS_PER_S 1000000000LL

/* The value of call, made again while it fails with EINTR that the shim alone caused; call is
 * evaluated anew each time, so a timeout computed inside it shrinks. */
#define UNLESS_SHIM_INTERRUPTED(call)                                  \
	({                                                             \
		unsigned runs_;                                        \
		int r_;                                                \
		do {                                                   \
			runs_ = signals_handler_runs();                \
			r_ = (call);                                   \
		} while (r_ < 0 && signals_eintr_is_shims(runs_));                 \
		r_;                                                    \
	})

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * NS_PER_S + t.tv_nsec;
}

/* A deadline for a timeout in milliseconds (negative: none), and what is left of it. */
static long long deadline_ms(int timeout)
{
	return timeout < 0 ? -1 : now_ns() + (long long)timeout * 1000000;
}

static int left_ms(long long deadline, int timeout)
{
	long long left;

	if (timeout < 0) {
		return timeout;
	}
	left = deadline - now_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

static long long deadline_ts(const struct timespec *timeout)
{
	return timeout == NULL ? -1 : now_ns() + timeout->tv_sec * NS_PER_S + timeout->tv_nsec;
}

static const struct timespec *left_ts(long long deadline, const struct timespec *timeout, struct timespec *left)
{
	long long ns;

	if (timeout == NULL) {
		return NULL;
	}
	ns = deadline - now_ns();
	if (ns < 0) {
		ns = 0;
	}
	left->tv_sec = ns / NS_PER_S;
	left->tv_nsec = ns % NS_PER_S;
	return left;
}

REAP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(poll)(fds, n, left_ms(deadline, timeout)));
}

REAP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask)
{
	long long deadline = deadline_ts(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(ppoll)(fds, n, left_ts(deadline, timeout, &left), mask));
}

/* Linux's select leaves the sets untouched on EINTR and counts its timeout down itself. */
REAP_EXPORT int select(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout)
{
	return UNLESS_SHIM_INTERRUPTED(LIBC(select)(n, readfds, writefds, exceptfds, timeout));
}

REAP_EXPORT int pselect(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, const struct timespec *timeout,
			const sigset_t *mask)
{
	long long deadline = deadline_ts(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(
		LIBC(pselect)(n, readfds, writefds, exceptfds, left_ts(deadline, timeout, &left), mask));
}

REAP_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(epoll_wait)(epfd, events, max, left_ms(deadline, timeout)));
}

REAP_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask)
{
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(epoll_pwait)(epfd, events, max, left_ms(deadline, timeout), mask));
}

REAP_EXPORT int nanosleep(const struct timespec *request, struct timespec *remain)
{
	struct timespec left, rest;
	unsigned runs;
	int r;

	if (request == NULL || !reap_active()) {
		return LIBC(nanosleep)(request, remain);
	}
	left = *request;
	for (;;) {
		runs = signals_handler_runs();
		r = LIBC(nanosleep)(&left, &rest);
		if (r == 0 || !signals_eintr_is_shims(runs)) {
			break;
		}
		left = rest;
	}
	if (r < 0 && errno == EINTR && remain != NULL) {
		*remain = rest;
	}
	return r;
}

/* Returns an error number, not -1 and errno. */
REAP_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request, struct timespec *remain)
{
	struct timespec left, rest;
	unsigned runs;
	int r;

	if (request == NULL || !reap_active()) {
		return LIBC(clock_nanosleep)(clock, flags, request, remain);
	}
	left = *request;
	for (;;) {
		runs = signals_handler_runs();
		r = LIBC(clock_nanosleep)(clock, flags, &left, &rest);
		if (r != EINTR || !reap_active() || signals_handler_runs() != runs) {
			break;
		}
		if (!(flags & TIMER_ABSTIME)) {
			left = rest;
		}
	}
	if (r == EINTR && remain != NULL && !(flags & TIMER_ABSTIME)) {
		*remain = rest;
	}
	return r;
}

/* glibc's sleep and usleep, on the wrapped nanosleep. */
REAP_EXPORT unsigned int sleep(unsigned int seconds)
{
	struct timespec request = {.tv_sec = seconds}, remain;

	if (nanosleep(&request, &remain) < 0) {
		return (unsigned int)remain.tv_sec + (remain.tv_nsec != 0);
	}
	return 0;
}

REAP_EXPORT int usleep(useconds_t usec)
{
	struct timespec request = {.tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000};

	return nanosleep(&request, NULL);
}

REAP_EXPORT int pause(void)
{
	return UNLESS_SHIM_INTERRUPTED(LIBC(pause)());
}

REAP_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	long long deadline = deadline_ts(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(sigtimedwait)(set, info, left_ts(deadline, timeout, &left)));
}

REAP_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigwaitinfo)(set, info));
}

REAP_EXPORT int sigsuspend(const sigset_t *mask)
{
	return UNLESS_SHIM_INTERRUPTED(LIBC(sigsuspend)(mask));
}
