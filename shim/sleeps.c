/* sleeps.c: owns the waits on descriptors and clocks that the kernel never restarts after a signal
 * handler: poll, __poll, __poll_chk, ppoll, __ppoll_chk, select, __select, pselect, epoll_wait,
 * epoll_pwait, epoll_pwait2, nanosleep, __nanosleep, clock_nanosleep, sleep, usleep and
 * thrd_sleep. glibc's aliases, its fortified variants (-D_FORTIFY_SOURCE), sleep, usleep and
 * thrd_sleep reach the kernel without going through the exported poll and nanosleep, so each is
 * wrapped (musl binds its own calls at link time too). The rule they follow is in sleeps.h. The
 * names musl does not have (the "__" aliases, the _chk variants, epoll_pwait2) are glibc builds'
 * only. */
#include "sleeps.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <threads.h>
#include <unistd.h>

#include "active.h"
#include "exports.h"
#include "real.h"

#define NS_PER_S 1000000000LL

/* A deadline for a timeout in milliseconds (negative: none), and what is left of it. */
static long long deadline_ms(int timeout)
{
	return timeout < 0 ? -1 : real_now_ns() + (long long)timeout * 1000000;
}

static int left_ms(long long deadline, int timeout)
{
	long long left;

	if (timeout < 0) {
		return timeout;
	}
	left = deadline - real_now_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

long long sleeps_deadline(const struct timespec *timeout)
{
	return timeout == NULL ? -1 : real_now_ns() + timeout->tv_sec * NS_PER_S + timeout->tv_nsec;
}

const struct timespec *sleeps_left(long long deadline, const struct timespec *timeout, struct timespec *left)
{
	long long ns;

	if (timeout == NULL) {
		return NULL;
	}
	ns = deadline - real_now_ns();
	if (ns < 0) {
		ns = 0;
	}
	left->tv_sec = ns / NS_PER_S;
	left->tv_nsec = ns % NS_PER_S;
	return left;
}

/* --- poll, select, epoll --------------------------------------------------------------------- */

static int poll_for(struct pollfd *fds, nfds_t n, int timeout)
{
	AS_IS_WHERE_INERT(LIBC(poll)(fds, n, timeout));
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(poll)(fds, n, left_ms(deadline, timeout)));
}

REAP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return poll_for(fds, n, timeout);
}

#if defined(__GLIBC__)
/* glibc's alias and its fortified variants (musl has neither). */
REAP_EXPORT int __poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return poll_for(fds, n, timeout);
}

/* glibc checks fds_len against n on each call, and aborts as it always would. */
REAP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len)
{
	AS_IS_WHERE_INERT(LIBC(__poll_chk)(fds, n, timeout, fds_len));
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(__poll_chk)(fds, n, left_ms(deadline, timeout), fds_len));
}

REAP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask,
			    size_t fds_len)
{
	AS_IS_WHERE_INERT(LIBC(__ppoll_chk)(fds, n, timeout, mask, fds_len));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(__ppoll_chk)(fds, n, sleeps_left(deadline, timeout, &left), mask, fds_len));
}
#endif

REAP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask)
{
	AS_IS_WHERE_INERT(LIBC(ppoll)(fds, n, timeout, mask));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(ppoll)(fds, n, sleeps_left(deadline, timeout, &left), mask));
}

#if defined(__GLIBC__)
/* Linux's select leaves the sets untouched on EINTR, and glibc lets it count the caller's timeout
 * down itself. */
static int select_for(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout)
{
	AS_IS_WHERE_INERT(LIBC(select)(n, readfds, writefds, exceptfds, timeout));
	return UNLESS_SHIM_INTERRUPTED(LIBC(select)(n, readfds, writefds, exceptfds, timeout));
}

REAP_EXPORT int __select(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout)
{
	return select_for(n, readfds, writefds, exceptfds, timeout);
}
#else
/* What is left of the timeout until deadline, rounded up to a microsecond. */
static struct timeval *timeval_left(long long deadline, const struct timespec *given, struct timeval *rest)
{
	struct timespec left;

	sleeps_left(deadline, given, &left);
	rest->tv_sec = left.tv_sec + (left.tv_nsec > 999999000);
	rest->tv_usec = left.tv_nsec > 999999000 ? 0 : (left.tv_nsec + 999) / 1000;
	return rest;
}

/* musl hands the kernel a copy of the timeout and leaves the caller's as it was: what is left of it
 * is counted here. */
static int select_for(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout)
{
	struct timespec given;
	struct timeval rest;
	long long deadline;

	AS_IS_WHERE_INERT(LIBC(select)(n, readfds, writefds, exceptfds, timeout));
	if (timeout == NULL || timeout->tv_sec < 0 || timeout->tv_usec < 0) {
		return UNLESS_SHIM_INTERRUPTED(LIBC(select)(n, readfds, writefds, exceptfds, timeout));
	}
	given.tv_sec = timeout->tv_sec + timeout->tv_usec / 1000000;
	given.tv_nsec = (timeout->tv_usec % 1000000) * 1000;
	deadline = sleeps_deadline(&given);
	return UNLESS_SHIM_INTERRUPTED(
		LIBC(select)(n, readfds, writefds, exceptfds, timeval_left(deadline, &given, &rest)));
}
#endif

REAP_EXPORT int select(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout)
{
	return select_for(n, readfds, writefds, exceptfds, timeout);
}

REAP_EXPORT int pselect(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, const struct timespec *timeout,
			const sigset_t *mask)
{
	AS_IS_WHERE_INERT(LIBC(pselect)(n, readfds, writefds, exceptfds, timeout, mask));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(
		LIBC(pselect)(n, readfds, writefds, exceptfds, sleeps_left(deadline, timeout, &left), mask));
}

REAP_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
	AS_IS_WHERE_INERT(LIBC(epoll_wait)(epfd, events, max, timeout));
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(epoll_wait)(epfd, events, max, left_ms(deadline, timeout)));
}

REAP_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask)
{
	AS_IS_WHERE_INERT(LIBC(epoll_pwait)(epfd, events, max, timeout, mask));
	long long deadline = deadline_ms(timeout);

	return UNLESS_SHIM_INTERRUPTED(LIBC(epoll_pwait)(epfd, events, max, left_ms(deadline, timeout), mask));
}

#if defined(__GLIBC__)
/* glibc 2.35 and later; musl has no epoll_pwait2. */
REAP_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int max, const struct timespec *timeout,
			     const sigset_t *mask)
{
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	if (LIBC(epoll_pwait2) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	AS_IS_WHERE_INERT(LIBC(epoll_pwait2)(epfd, events, max, timeout, mask));
	return UNLESS_SHIM_INTERRUPTED(
		LIBC(epoll_pwait2)(epfd, events, max, sleeps_left(deadline, timeout, &left), mask));
}
#endif

/* --- the sleeps -------------------------------------------------------------------------------- */

/* One sleep through libc's entry point: 0, or an error number (EINTR: cut short, *rest filled). */
typedef int sleep_fn(clockid_t clock, int flags, const struct timespec *request, struct timespec *rest);

/* The sleep, made again for the time left (or to the same absolute time) while only the shim cut
 * it short. An active process only. */
static int sleep_whole(sleep_fn *once, clockid_t clock, int flags, const struct timespec *request,
		       struct timespec *remain)
{
	struct timespec left = *request, rest;
	int r;

	for (;;) {
		unsigned runs = signals_handler_runs();

		r = once(clock, flags, &left, &rest);
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

static int nanosleep_once(clockid_t clock, int flags, const struct timespec *request, struct timespec *rest)
{
	(void)clock;
	(void)flags;
	return LIBC(nanosleep)(request, rest) == 0 ? 0 : errno;
}

static int sleep_for(const struct timespec *request, struct timespec *remain)
{
	int saved_errno = errno, r;

	if (request == NULL || !reap_active()) {
		return LIBC(nanosleep)(request, remain);
	}
	r = sleep_whole(nanosleep_once, CLOCK_REALTIME, 0, request, remain);
	errno = r == 0 ? saved_errno : r;
	return r == 0 ? 0 : -1;
}

REAP_EXPORT int nanosleep(const struct timespec *request, struct timespec *remain)
{
	return sleep_for(request, remain);
}

#if defined(__GLIBC__)
REAP_EXPORT int __nanosleep(const struct timespec *request, struct timespec *remain)
{
	return sleep_for(request, remain);
}
#endif

/* Returns an error number, not -1 and errno; errno is never touched. */
REAP_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request, struct timespec *remain)
{
	if (request == NULL || !reap_active()) {
		return LIBC(clock_nanosleep)(clock, flags, request, remain);
	}
	return sleep_whole(LIBC(clock_nanosleep), clock, flags, request, remain);
}

/* glibc 2.36's sleep: the whole seconds left, rounded down, when a handler cut it short; errno as
 * it was when it slept to the end. */
REAP_EXPORT unsigned int sleep(unsigned int seconds)
{
	struct timespec request = {.tv_sec = seconds}, remain;
	int saved_errno = errno;

	if (sleep_for(&request, &remain) < 0) {
		return (unsigned int)remain.tv_sec;
	}
	errno = saved_errno;
	return 0;
}

REAP_EXPORT int usleep(useconds_t usec)
{
	struct timespec request = {.tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000};

	return sleep_for(&request, NULL);
}

/* C11's: 0, -1 when a handler cut it short (with *rest filled), -2 on any error (glibc's only
 * other value); errno is never touched. */
static int thrd_sleep_once(clockid_t clock, int flags, const struct timespec *request, struct timespec *rest)
{
	int r = LIBC(thrd_sleep)(request, rest);

	(void)clock;
	(void)flags;
	return r == 0 ? 0 : r == -1 ? EINTR : EINVAL;
}

/* glibc 2.28 and later. */
REAP_EXPORT int thrd_sleep(const struct timespec *request, struct timespec *remain)
{
	int r;

	if (LIBC(thrd_sleep) == NULL) {
		return -2;
	}
	if (request == NULL || !reap_active()) {
		return LIBC(thrd_sleep)(request, remain);
	}
	r = sleep_whole(thrd_sleep_once, CLOCK_REALTIME, 0, request, remain);
	return r == 0 ? 0 : r == EINTR ? -1 : -2;
}
