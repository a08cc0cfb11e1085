/* wait.c: owns every libc wait entry point: wait, __wait, waitpid, __waitpid, wait3, wait4, waitid
 * (glibc's wait and wait3 do not go through waitpid and wait4, so each is wrapped; the "__" names
 * are glibc's only).
 *
 * A wait for one named child (pid > 0, P_PID, P_PIDFD) is the program's business: it goes to libc
 * as it is, and a status the shim collected for that pid earlier is handed over instead. A wait that
 * can match several children runs libc's call in a loop: a foreign child it returns (neither own nor
 * traced by the program, ptrace.c) is reaped and dropped and the call made again, and when no own
 * child can match, the call fails with ECHILD at once instead of blocking on orphans that the
 * program never made.
 *
 * libc's call frees the pid of the child it reaps, and a fork in another thread (or in a signal
 * handler) may get that pid before the child is judged: the registry then decides with the mark
 * taken before the call (registry_reaped_own). A call the shim made again after an EINTR only it
 * caused leaves errno as libc's one successful call would: as it was before.
 *
 * While the shim reaps own children as the kernel would have (SA_NOCLDWAIT, sigchld.h), no wait
 * reports an own exit, and own zombies are left to the waits for several children in flight. */
#include "wait.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "active.h"
#include "reaper.h"
#include "exports.h"
#include "ptrace.h"
#include "real.h"
#include "registry.h"
#include "sigchld.h"
#include "signals.h"
#include "start.h"
#include "stash.h"

/* How long a wait lets a birth in another thread record its pid before judging the child. */
#define SETTLE_NS 1000000000L

/* Waits for several children in flight, in all threads: while another may be judging a child it
 * reaped, an ECHILD here says nothing about that child's entry. And while the shim reaps own
 * children as the kernel would have (sigchld.h), their zombies are left to these waits: a wait
 * whose last own child the handler took would sleep on with foreign children left. */
static int waits_for_any;

bool wait_any_in_flight(void)
{
	return __atomic_load_n(&waits_for_any, __ATOMIC_SEQ_CST) != 0;
}

/* Returns once no reap of an own zombie that began before the count said this wait is in flight
 * is under way (reaper.c, reap_own_as_kernel). */
static void enter_wait_for_any(void)
{
	__atomic_add_fetch(&waits_for_any, 1, __ATOMIC_SEQ_CST);
	while (reaper_own_reaps_under_way()) {
		sched_yield();
	}
}

/* The last to leave takes the own zombies the waits left, as the kernel would have. */
static void leave_wait_for_any(void)
{
	if (__atomic_sub_fetch(&waits_for_any, 1, __ATOMIC_SEQ_CST) == 0 && sigchld_emulates_nocldwait()) {
		reaper_on_signal(0, NULL, NULL, 0);
		sigchld_carry_unheard();
	}
}

/* A wait for several children would block while the kernel reaps them (sigchld_lend_begin): what
 * is ready is looked at first, since a zombie from before the kernel began to reap is still the
 * program's to collect. */
static bool blocks_while_kernel_reaps(int options)
{
	return !(options & WNOHANG) && sigchld_kernel_reaps();
}

static int call_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage)
{
	if (usage == NULL) {
		return LIBC(waitid)(idtype, id, info, options);
	}
	return (int)LIBC(syscall)(SYS_waitid, idtype, id, info, options, usage);
}

/* The fields the kernel writes into a waitid report. */
static void copy_report(siginfo_t *to, const siginfo_t *from)
{
	if (to != NULL) {
		to->si_signo = from->si_signo;
		to->si_errno = from->si_errno;
		to->si_code = from->si_code;
		to->si_pid = from->si_pid;
		to->si_uid = from->si_uid;
		to->si_status = from->si_status;
	}
}

/* Whether the child libc's call reported as pid is own (or a tracee of the program), once no birth
 * that could still record pid is in flight. reaped: the call took the child's exit, freeing pid;
 * mark is from before the call. A tracee is asked for only while the report left it holding pid. */
static bool own_once_settled(pid_t pid, bool reaped, unsigned mark)
{
	long long deadline = 0;

	while (!registry_is_own(pid)) {
		if (!registry_births_in_flight()) {
			if (!registry_is_own(pid) && (reaped || !ptrace_claims(pid))) {
				return false;
			}
			break;
		}
		if (deadline == 0) {
			deadline = real_now_ns() + SETTLE_NS;
		} else if (real_now_ns() > deadline) {
			return false;
		}
		sched_yield();
	}
	return !reaped || registry_reaped_own(pid, mark);
}

/* Whether an own child could answer a wait on every child (P_ALL) or on process group pgid. */
static bool own_may_match(idtype_t idtype, pid_t pgid)
{
	if (registry_births_in_flight()) {
		return true;
	}
	/* The kernel reaps children itself: the entries of those gone are dropped on the way. */
	/* A tracee that has not shown itself yet is listed on the way, if there is one. */
	if ((registry_count() == 0 || (sigchld_kernel_reaps() && !registry_any_alive())) &&
	    !ptrace_unclaimed_tracees()) {
		return false;
	}
	return idtype == P_ALL || registry_any_in_group(pgid);
}

/* libc's answer for a wait that matches several children said there are none at all (or, without
 * __WALL, none of the kind it waits for: clone children with another exit signal may remain).
 * Keeps errno. */
static void no_children(idtype_t idtype, int options)
{
	int saved_errno = errno;

	if (errno == ECHILD && idtype == P_ALL && __atomic_load_n(&waits_for_any, __ATOMIC_SEQ_CST) == 1) {
		if (options & __WALL) {
			registry_forget_all();
		} else {
			registry_prune();
		}
	}
	errno = saved_errno;
}

/* Forgets own child pid, which the wait reaped with status, keeping the status for the program's
 * handler if it has not heard of the exit yet. A wait without __WCLONE or __WALL reaps only
 * children whose exit signal is SIGCHLD; with __WCLONE only others, which the handler never hears
 * of; with __WALL either, unless no child of another kind was ever made: those keep nothing. */
static bool reaps_only_sigchld_kind(int options)
{
	return !(options & __WCLONE) && !((options & __WALL) && registry_may_list_clone_kind());
}

static void forget_reaped(pid_t pid, int status, int options, unsigned mark)
{
	registry_forget(pid, reaps_only_sigchld_kind(options) ? status : -1, mark);
}

/* Under SA_NOCLDWAIT, which the shim emulates (sigchld.h), the kernel would have reaped this own
 * exit before any wait could see it: a child that ends with SIGCHLD and that the program does not
 * trace. */
static bool kernel_would_have_reaped(pid_t pid, int options)
{
	return reaps_only_sigchld_kind(options) && sigchld_emulates_nocldwait() && !ptrace_claims(pid);
}

/* A wait handed the program a report of its own. */
static void after_own_report(void)
{
	reaper_after_wait();
	sigchld_carry_unheard();
}

/* A handler of the program cut a wait short (EINTR). The shim may have handed it a child's exit
 * that it found while handling another signal (an orphan's), which the wait itself would have
 * reported: the kernel looks at the children before it looks at pending signals. So a wait cut
 * short by a handler looks once more without blocking, and the EINTR stands only if nothing of the
 * program's is ready. */
static bool cut_short_by_program(int r, int options)
{
	return r < 0 && errno == EINTR && !(options & WNOHANG);
}

static pid_t wait4_one(pid_t pid, int *status, int options, struct rusage *usage)
{
	int st = 0, saved_errno = errno;
	unsigned mark = registry_mark();
	pid_t r;

	if (!stash_take(pid, &st, usage)) {
		for (;;) {
			unsigned runs = signals_handler_runs();

			r = LIBC(wait4)(pid, &st, options, usage);
			if (r >= 0 || !signals_eintr_is_shims(runs)) {
				break;
			}
			errno = saved_errno;
		}
		if (cut_short_by_program(r, options)) {
			r = LIBC(wait4)(pid, &st, options | WNOHANG, usage);
			if (r <= 0) {
				errno = EINTR;
				return -1;
			}
		}
		if (r <= 0) {
			return r;
		}
		if (status_is_exit(st)) {
			forget_reaped(r, st, options, mark);
		}
		after_own_report();
		if (status_is_exit(st) && kernel_would_have_reaped(r, options)) {
			errno = ECHILD;
			return -1;
		}
	}
	if (status != NULL) {
		*status = st;
	}
	errno = saved_errno;
	return pid;
}

/* The loop of a wait4 for several children; waits_for_any counts it. */
static pid_t wait4_any(pid_t pid, int *status, int options, struct rusage *usage)
{
	idtype_t idtype = pid == -1 ? P_ALL : P_PGID;
	pid_t pgid = pid == 0 ? getpgrp() : -pid;
	int saved_errno = errno;
	bool interrupted = false; /* by a handler of the program: only what is ready now, else EINTR */

	for (;;) {
		struct rusage ru;
		unsigned runs = signals_handler_runs(), mark;
		int st = 0;
		pid_t r;

		if (!own_may_match(idtype, pgid)) {
			errno = interrupted ? EINTR : ECHILD;
			return -1;
		}
		mark = registry_mark();
		r = LIBC(wait4)(pid, &st, interrupted ? options | WNOHANG : options, usage != NULL ? &ru : NULL);
		if (r < 0 && !interrupted && signals_eintr_is_shims(runs)) {
			errno = saved_errno;
			continue;
		}
		if (!interrupted && cut_short_by_program(r, options)) {
			interrupted = true;
			continue;
		}
		if (interrupted && r <= 0) {
			errno = EINTR;
			return -1;
		}
		if (r < 0) {
			no_children(idtype, options);
			return r;
		}
		if (r == 0) {
			errno = saved_errno;
			return 0;
		}
		if (own_once_settled(r, status_is_exit(st), mark)) {
			if (status_is_exit(st)) {
				forget_reaped(r, st, options, mark);
			}
			if (status_is_exit(st) && kernel_would_have_reaped(r, options)) {
				after_own_report();
				continue;
			}
			if (status != NULL) {
				*status = st;
			}
			if (usage != NULL) {
				*usage = ru;
			}
			after_own_report();
			errno = saved_errno;
			return r;
		}
		if (status_is_exit(st)) {
			reaper_record(r, st, usage != NULL ? &ru : NULL, NULL, mark);
		} /* else a foreign stop or continue report: consumed, dropped */
	}
}

ACTIVE_PATH static pid_t wait4_active(pid_t pid, int *status, int options, struct rusage *usage)
{
	bool probe, lent = false;
	pid_t r;

	if (pid > 0) {
		return wait4_one(pid, status, options, usage);
	}
	probe = blocks_while_kernel_reaps(options);
	enter_wait_for_any();
	r = wait4_any(pid, status, probe ? options | WNOHANG : options, usage);
	if (probe && r == 0) {
		lent = sigchld_lend_begin();
		r = wait4_any(pid, status, options, usage);
	}
	leave_wait_for_any();
	if (lent) {
		sigchld_lend_end();
	}
	return r;
}

/* In the start's section, as the wait family's entries are (start.h): shells and servers wait in
 * processes where the shim never acted. */
START_PATH static __attribute__((noinline)) pid_t wait4_unbound_or_active(pid_t pid, int *status, int options,
									     struct rusage *usage)
{
	if (!reap_active()) {
		return LIBC_AT_START(wait4)(pid, status, options, usage);
	}
	return wait4_active(pid, status, options, usage);
}

/* Once libc's wait4 is bound, an inert process's call is two loads, two tests and a jump, with no
 * stack frame: both ways out are tail calls with the caller's arguments. */
START_PATH pid_t wait_wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
	__typeof__(real_libc.wait4) libc_wait4 = __atomic_load_n(&real_libc.wait4, __ATOMIC_ACQUIRE);

	if (__builtin_expect(libc_wait4 != NULL && !reap_active(), 1)) {
		return libc_wait4(pid, status, options, usage);
	}
	return wait4_unbound_or_active(pid, status, options, usage);
}

/* An own exit a waitid reported, which the kernel would have reaped under SA_NOCLDWAIT as the shim
 * emulates it: taken (a look with WNOWAIT left it in place) and forgotten, never reported. */
static bool taken_as_kernel(idtype_t idtype, id_t id, const siginfo_t *report, int options, unsigned mark)
{
	siginfo_t taken;

	if (report->si_pid == 0 || !info_is_exit(report) || !kernel_would_have_reaped(report->si_pid, options)) {
		return false;
	}
	if (options & WNOWAIT) {
		call_waitid(idtype, id, &taken, WEXITED | WNOHANG | (options & (__WALL | __WCLONE)), NULL);
	}
	forget_reaped(report->si_pid, status_from_info(report), options, mark);
	after_own_report();
	return true;
}

static int waitid_one(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage)
{
	siginfo_t report;
	int st, r, saved_errno = errno;
	unsigned mark = registry_mark();

	if (idtype == P_PID && (options & WEXITED) && !(options & WNOWAIT) && stash_take((pid_t)id, &st, usage)) {
		info_from_status((pid_t)id, st, &report);
		copy_report(info, &report);
		return 0;
	}
	memset(&report, 0, sizeof(report));
	for (;;) {
		unsigned runs = signals_handler_runs();

		r = call_waitid(idtype, id, &report, options, usage);
		if (r == 0 || !signals_eintr_is_shims(runs)) {
			break;
		}
		errno = saved_errno;
	}
	if (cut_short_by_program(r, options)) {
		if (call_waitid(idtype, id, &report, options | WNOHANG, usage) != 0 || report.si_pid == 0) {
			errno = EINTR;
			return -1;
		}
		r = 0;
	}
	if (r == 0 && taken_as_kernel(idtype, id, &report, options, mark)) {
		errno = ECHILD;
		return -1;
	}
	if (r == 0) {
		if (report.si_pid != 0 && info_is_exit(&report) && !(options & WNOWAIT)) {
			forget_reaped(report.si_pid, status_from_info(&report), options, mark);
		}
		copy_report(info, &report);
		after_own_report();
		errno = saved_errno;
	}
	return r;
}

/* A foreign report that a wait for several children, begun after mark, returned. */
static void drop_foreign(const siginfo_t *report, int options, const struct rusage *usage, unsigned mark)
{
	siginfo_t ignored;

	if (info_is_exit(report)) {
		if (options & WNOWAIT) {
			reaper_collect(report->si_pid);
		} else {
			reaper_record(report->si_pid, status_from_info(report), usage, NULL, mark);
		}
	} else if (options & WNOWAIT) {
		/* Consume the stop or continue report, or the next call shows it again. */
		call_waitid(P_PID, (id_t)report->si_pid, &ignored, (options & (WSTOPPED | WCONTINUED)) | WNOHANG, NULL);
	}
}

/* The loop of a waitid for several children; waits_for_any counts it. */
static int waitid_any(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage)
{
	pid_t pgid = idtype == P_PGID && id == 0 ? getpgrp() : (pid_t)id;
	int saved_errno = errno;
	bool interrupted = false; /* by a handler of the program: only what is ready now, else EINTR */

	for (;;) {
		siginfo_t report;
		struct rusage ru;
		unsigned runs = signals_handler_runs(), mark;
		bool reaped;
		int r;

		if (!own_may_match(idtype, pgid)) {
			errno = interrupted ? EINTR : ECHILD;
			return -1;
		}
		memset(&report, 0, sizeof(report));
		mark = registry_mark();
		r = call_waitid(idtype, id, &report, interrupted ? options | WNOHANG : options, usage != NULL ? &ru : NULL);
		if (r < 0 && !interrupted && signals_eintr_is_shims(runs)) {
			errno = saved_errno;
			continue;
		}
		if (!interrupted && cut_short_by_program(r, options)) {
			interrupted = true;
			continue;
		}
		if (interrupted && (r < 0 || report.si_pid == 0)) {
			errno = EINTR;
			return -1;
		}
		if (r < 0) {
			no_children(idtype, options);
			return r;
		}
		reaped = info_is_exit(&report) && !(options & WNOWAIT);
		if (report.si_pid == 0 || own_once_settled(report.si_pid, reaped, mark)) {
			if (taken_as_kernel(P_PID, (id_t)report.si_pid, &report, options, mark)) {
				continue;
			}
			if (report.si_pid != 0 && reaped) {
				forget_reaped(report.si_pid, status_from_info(&report), options, mark);
			}
			copy_report(info, &report);
			if (report.si_pid != 0) {
				if (usage != NULL) {
					*usage = ru; /* the kernel leaves it alone when nothing was ready */
				}
				after_own_report();
			}
			errno = saved_errno;
			return 0;
		}
		drop_foreign(&report, options, usage != NULL ? &ru : NULL, mark);
	}
}

ACTIVE_PATH static int waitid_active(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage)
{
	bool probe, lent = false;
	siginfo_t ready;
	int r;

	if (idtype != P_ALL && idtype != P_PGID) {
		return waitid_one(idtype, id, info, options, usage);
	}
	probe = blocks_while_kernel_reaps(options);
	memset(&ready, 0, sizeof(ready));
	enter_wait_for_any();
	r = waitid_any(idtype, id, probe ? &ready : info, probe ? options | WNOHANG : options, usage);
	if (probe && r == 0 && ready.si_pid == 0) {
		lent = sigchld_lend_begin();
		r = waitid_any(idtype, id, info, options, usage);
	} else if (probe && r == 0) {
		copy_report(info, &ready);
	}
	leave_wait_for_any();
	if (lent) {
		sigchld_lend_end();
	}
	return r;
}

int wait_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage)
{
	if (!reap_active()) {
		return call_waitid(idtype, id, info, options, usage);
	}
	return waitid_active(idtype, id, info, options, usage);
}

START_PATH REAP_EXPORT pid_t wait(int *status)
{
	return wait_wait4(-1, status, 0, NULL);
}

#if defined(__GLIBC__)
START_PATH REAP_EXPORT pid_t __wait(int *status)
{
	return wait_wait4(-1, status, 0, NULL);
}
#endif

START_PATH REAP_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	return wait_wait4(pid, status, options, NULL);
}

#if defined(__GLIBC__)
START_PATH REAP_EXPORT pid_t __waitpid(pid_t pid, int *status, int options)
{
	return wait_wait4(pid, status, options, NULL);
}
#endif

START_PATH REAP_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
	return wait_wait4(-1, status, options, usage);
}

START_PATH REAP_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
	return wait_wait4(pid, status, options, usage);
}

REAP_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	return wait_waitid(idtype, id, info, options, NULL);
}
