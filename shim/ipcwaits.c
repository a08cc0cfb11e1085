/* ipcwaits.c: owns the waits on IPC objects and asynchronous I/O that the kernel never restarts
 * after a signal handler: msgrcv, msgsnd, semop, semtimedop (System V), sem_timedwait and glibc's
 * sem_clockwait (POSIX semaphores: a timed futex wait), aio_suspend and glibc's aio_suspend64,
 * and, through syscall(), io_uring_enter, io_getevents and io_pgetevents. They follow the rule of
 * sleeps.h; a call that fails with EINTR has consumed nothing (no message, no semaphore operation,
 * no event, no submission), so making it again is safe. */
#include "ipcwaits.h"

#include <aio.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#include "active.h"
#include "exports.h"
#include "real.h"
#include "sleeps.h"

/* What io_uring_enter's wait takes, from the kernel's ABI (<linux/io_uring.h>, which musl's
 * toolchains do not carry, and whose older copies lack the last two flags). */
#define IORING_ENTER_EXT_ARG (1U << 3)
#define IORING_ENTER_ABS_TIMER (1U << 5)
#define IORING_ENTER_EXT_ARG_REG (1U << 6)

struct uring_wait_arg { /* struct uring_wait_arg */
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec;
	uint64_t ts; /* a struct uring_timespec * */
};

struct uring_timespec { /* struct uring_timespec */
	int64_t tv_sec;
	int64_t tv_nsec;
};

REAP_EXPORT ssize_t msgrcv(int id, void *message, size_t size, long type, int flags)
{
	AS_IS_WHERE_INERT(LIBC(msgrcv)(id, message, size, type, flags));
	return UNLESS_SHIM_INTERRUPTED(LIBC(msgrcv)(id, message, size, type, flags));
}

REAP_EXPORT int msgsnd(int id, const void *message, size_t size, int flags)
{
	AS_IS_WHERE_INERT(LIBC(msgsnd)(id, message, size, flags));
	return UNLESS_SHIM_INTERRUPTED(LIBC(msgsnd)(id, message, size, flags));
}

REAP_EXPORT int semop(int id, struct sembuf *ops, size_t n)
{
	AS_IS_WHERE_INERT(LIBC(semop)(id, ops, n));
	return UNLESS_SHIM_INTERRUPTED(LIBC(semop)(id, ops, n));
}

REAP_EXPORT int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *timeout)
{
	AS_IS_WHERE_INERT(LIBC(semtimedop)(id, ops, n, timeout));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(semtimedop)(id, ops, n, sleeps_left(deadline, timeout, &left)));
}

/* The timeouts of these two are absolute: the same one serves again. */
REAP_EXPORT int sem_timedwait(sem_t *sem, const struct timespec *at)
{
	AS_IS_WHERE_INERT(LIBC(sem_timedwait)(sem, at));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sem_timedwait)(sem, at));
}

#if defined(__GLIBC__)
/* glibc 2.30 and later; musl has no sem_clockwait. */
REAP_EXPORT int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *at)
{
	if (LIBC(sem_clockwait) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	AS_IS_WHERE_INERT(LIBC(sem_clockwait)(sem, clock, at));
	return UNLESS_SHIM_INTERRUPTED(LIBC(sem_clockwait)(sem, clock, at));
}
#endif

static int suspend(const struct aiocb *const list[], int n, const struct timespec *timeout)
{
	AS_IS_WHERE_INERT(LIBC(aio_suspend)(list, n, timeout));
	long long deadline = sleeps_deadline(timeout);
	struct timespec left;

	return UNLESS_SHIM_INTERRUPTED(LIBC(aio_suspend)(list, n, sleeps_left(deadline, timeout, &left)));
}

REAP_EXPORT int aio_suspend(const struct aiocb *const list[], int n, const struct timespec *timeout)
{
	return suspend(list, n, timeout);
}

#if defined(__GLIBC__)
/* The same function in glibc on 64-bit systems; <aio.h> names it with _FILE_OFFSET_BITS=64. musl's
 * <aio.h> makes the name a macro for aio_suspend, so no program built against it calls it. */
REAP_EXPORT int aio_suspend64(const struct aiocb64 *const list[], int n, const struct timespec *timeout)
{
	return suspend((const struct aiocb *const *)list, n, timeout);
}
#endif

/* --- through syscall() ----------------------------------------------------------------------- */

bool ipcwaits_is_raw_wait(long nr)
{
	switch (nr) {
#ifdef SYS_io_uring_enter
	case SYS_io_uring_enter:
#endif
#ifdef SYS_io_pgetevents
	case SYS_io_pgetevents:
#endif
	case SYS_io_getevents:
		return true;
	default:
		return false;
	}
}

#ifdef SYS_io_uring_enter
/* One io_uring_enter with what is left of the timeout in ext. */
static long uring_enter_once(const long args[6], struct uring_wait_arg *ext, long long deadline,
			     const struct timespec *timeout)
{
	struct timespec left;
	struct uring_timespec ts;

	sleeps_left(deadline, timeout, &left);
	ts.tv_sec = left.tv_sec;
	ts.tv_nsec = left.tv_nsec;
	ext->ts = (unsigned long)&ts;
	return LIBC(syscall)(SYS_io_uring_enter, args[0], args[1], args[2], args[3], ext, args[5]);
}

/* io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz): with IORING_ENTER_EXT_ARG, arg
 * may carry a relative timeout, which shrinks; an absolute one (IORING_ENTER_ABS_TIMER) or a
 * registered wait region (IORING_ENTER_EXT_ARG_REG) serves again as it is. */
static long uring_enter(const long args[6])
{
	unsigned flags = (unsigned)args[3];
	struct uring_wait_arg ext = {0};
	struct uring_timespec given;
	struct timespec timeout;
	long long deadline;

	if ((flags & IORING_ENTER_EXT_ARG) && !(flags & (IORING_ENTER_ABS_TIMER | IORING_ENTER_EXT_ARG_REG)) &&
	    (size_t)args[5] == sizeof(ext) && args[4] != 0) {
		memcpy(&ext, (const void *)args[4], sizeof(ext));
	}
	if (ext.ts == 0) {
		return UNLESS_SHIM_INTERRUPTED(
			LIBC(syscall)(SYS_io_uring_enter, args[0], args[1], args[2], args[3], args[4], args[5]));
	}
	memcpy(&given, (const void *)(unsigned long)ext.ts, sizeof(given));
	timeout.tv_sec = (time_t)given.tv_sec;
	timeout.tv_nsec = (long)given.tv_nsec;
	deadline = sleeps_deadline(&timeout);
	return UNLESS_SHIM_INTERRUPTED(uring_enter_once(args, &ext, deadline, &timeout));
}
#endif

long ipcwaits_raw_wait(long nr, const long args[6])
{
	AS_IS_WHERE_INERT(LIBC(syscall)(nr, args[0], args[1], args[2], args[3], args[4], args[5]));
	const struct timespec *timeout = (const struct timespec *)args[4];
	long long deadline;
	struct timespec left;

#ifdef SYS_io_uring_enter
	if (nr == SYS_io_uring_enter) {
		return uring_enter(args);
	}
#endif
	/* io_getevents(ctx, min, max, events, timeout) and io_pgetevents(..., timeout, sigmask). */
	deadline = sleeps_deadline(timeout);
	return UNLESS_SHIM_INTERRUPTED(LIBC(syscall)(nr, args[0], args[1], args[2], args[3],
						     sleeps_left(deadline, timeout, &left), args[5]));
}
