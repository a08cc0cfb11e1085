/* reaper.c: owns the proof that a zombie is foreign and its reaping (see reaper.h).
 *
 * waitid(P_ALL, WNOWAIT) shows the oldest zombie child without taking it. While that one is
 * foreign it is reaped and the next one shown; once it is the program's own, nothing behind it can
 * be seen that way, and the kernel's child lists in /proc are read instead (a scan, scan.c).
 *
 * Identity. A pid says which process it names only while that process holds it. A foreign zombie
 * is therefore reaped through a pidfd opened on its pid and judged after the open: the pidfd names
 * that very process, so the reap can never take a child that got the pid since. An own zombie's
 * exit is handed to the program only from a look at the zombie itself (it holds its pid), and only
 * if its registry entry is older than the look.
 *
 * Cost. A scan costs O(children) and is paid for (scan.c). The common fork-and-wait loop never
 * scans: the own zombie in front is the one its SIGCHLD reports, which the program is about to
 * wait for, and the look that follows its wait finds nothing.
 */
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "lock.h"
#include "log.h"
#include "ptrace.h"
#include "real.h"
#include "registry.h"
#include "scan.h"
#include "sigchld.h"
#include "stash.h"
#include "unshared.h"
#include "wait.h"

/* Enough for any burst; a longer one is finished by the next signal. */
#define SWEEP_LIMIT 4096

enum sweep_result {
	SWEEP_CLEAR,       /* no zombie child is left */
	SWEEP_OWN_HEAD,    /* the next zombie is the program's own: the view past it is blocked */
	SWEEP_UNDECIDABLE, /* a birth is in flight: nothing unknown may be touched (sweep deferred) */
};

/* Set while an own zombie in front hides what is behind it and no scan has looked there. Like the
 * counts below, written at every event: unshared (unshared.h). */
static int view_blocked UNSHARED;
/* Sweeps made by the handler, and the count the last wait saw: while the handler keeps sweeping,
 * a wait has nothing to pick up after it. */
static unsigned signal_sweeps UNSHARED, sweeps_seen UNSHARED;
/* pidfd_open is missing (kernel before 5.3) or forbidden. */
static int no_pidfd;

int status_from_info(const siginfo_t *info)
{
	switch (info->si_code) {
	case CLD_EXITED:
		return (info->si_status & 0xff) << 8;
	case CLD_KILLED:
		return info->si_status & 0x7f;
	case CLD_DUMPED:
		return (info->si_status & 0x7f) | 0x80;
	case CLD_CONTINUED:
		return 0xffff;
	default: /* CLD_STOPPED, CLD_TRAPPED */
		return ((info->si_status & 0xff) << 8) | 0x7f;
	}
}

void info_from_status(pid_t pid, int status, siginfo_t *info)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = SIGCHLD;
	info->si_pid = pid;
	if (WIFEXITED(status)) {
		info->si_code = CLD_EXITED;
		info->si_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		info->si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
		info->si_status = WTERMSIG(status);
	} else if (WIFSTOPPED(status)) {
		info->si_code = CLD_STOPPED;
		info->si_status = WSTOPSIG(status);
	} else {
		info->si_code = CLD_CONTINUED;
		info->si_status = SIGCONT;
	}
}

bool status_is_exit(int status)
{
	return WIFEXITED(status) || WIFSIGNALED(status);
}

bool info_is_exit(const siginfo_t *info)
{
	return info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
}

static void read_name(pid_t pid, char name[17])
{
	struct log_line path;
	ssize_t n = -1;
	int fd;

	log_clear(&path);
	log_str(&path, "/proc/");
	log_int(&path, pid);
	log_str(&path, "/comm");
	fd = open(log_text(&path), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, name, 16);
		close(fd);
	}
	if (n > 0 && name[n - 1] == '\n') {
		n--;
	}
	name[n > 0 ? n : 0] = '\0';
}

/* REAP_VERBOSE=1: one line per orphan reaped, like tini -w. */
static void say_reaped(pid_t pid, int status, const char *name)
{
	struct log_line line;

	if (config.verbose < 1) {
		return;
	}
	log_begin(&line);
	log_str(&line, "reaped orphan ");
	log_int(&line, pid);
	if (name != NULL && name[0] != '\0') {
		log_str(&line, " (");
		log_str(&line, name);
		log_str(&line, ")");
	}
	if (WIFEXITED(status)) {
		log_str(&line, ": exited ");
		log_int(&line, WEXITSTATUS(status));
	} else {
		log_str(&line, ": killed by signal ");
		log_int(&line, WTERMSIG(status));
	}
	log_end(&line);
}

void reaper_record(pid_t pid, int status, const struct rusage *usage, const char *name, unsigned mark)
{
	stash_put(pid, status, usage, mark);
	say_reaped(pid, status, name);
}

bool reaper_collect_unkept(pid_t pid)
{
	siginfo_t info;
	char name[17] = "";

	if (config.verbose >= 1) {
		read_name(pid, name);
	}
	memset(&info, 0, sizeof(info));
	if (LIBC(waitid)(P_PID, (id_t)pid, &info, WEXITED | WNOHANG) != 0 || info.si_pid != pid) {
		return false;
	}
	say_reaped(pid, status_from_info(&info), name);
	return true;
}

/* A zombie's exit report, left in place (si_pid 0: none). */
bool reaper_look(idtype_t idtype, pid_t pid, siginfo_t *info)
{
	memset(info, 0, sizeof(*info));
	if (LIBC(waitid)(idtype, (id_t)pid, info, WEXITED | WNOHANG | WNOWAIT) != 0) {
		info->si_pid = 0;
		return errno != ECHILD;
	}
	return true;
}

/* Whether the process the caller's proof is about is foreign: judged after the pidfd (or the
 * fallback's look) fixed which process that is. */
static bool proven_foreign(pid_t pid)
{
	if (registry_undecidable()) {
		sigchld_defer_sweep(); /* a birth may be about to record it */
		return false;
	}
	return !registry_is_own(pid) && !ptrace_claims(pid);
}

static int open_pidfd(pid_t pid)
{
	int fd;

	if (__atomic_load_n(&no_pidfd, __ATOMIC_RELAXED)) {
		errno = ENOSYS;
		return -1;
	}
	fd = (int)LIBC(syscall)(SYS_pidfd_open, pid, 0);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		__atomic_store_n(&no_pidfd, 1, __ATOMIC_RELAXED);
		log_verbose2("no pidfd_open: a foreign zombie is reaped by pid, ",
			     "which a pid recycled in between could mislead");
		errno = ENOSYS;
	}
	return fd;
}

bool reaper_collect(pid_t pid)
{
	siginfo_t info;
	struct rusage usage;
	char name[17] = "";
	unsigned mark = registry_mark();
	int fd = open_pidfd(pid);
	long rc;

	if (fd < 0 && errno != ENOSYS) {
		return false; /* gone already */
	}
	if (!proven_foreign(pid)) {
		if (fd >= 0) {
			close(fd);
		}
		return false;
	}
	if (config.verbose >= 1) {
		read_name(pid, name);
	}
	memset(&info, 0, sizeof(info));
	/* The raw call, because only it reports the orphan's resource usage for the stash. */
	rc = fd >= 0 ? LIBC(syscall)(SYS_waitid, P_PIDFD, fd, &info, WEXITED | WNOHANG, &usage)
		     : LIBC(syscall)(SYS_waitid, P_PID, pid, &info, WEXITED | WNOHANG, &usage);
	if (fd >= 0) {
		close(fd);
	}
	if (rc != 0 || info.si_pid != pid) {
		return false;
	}
	reaper_record(pid, status_from_info(&info), &usage, name, mark);
	return true;
}

/* Reaps of own zombies under way (reap_own_as_kernel), in all threads. */
static int own_reaps;

bool reaper_own_reaps_under_way(void)
{
	return __atomic_load_n(&own_reaps, __ATOMIC_SEQ_CST) != 0;
}

/* While the shim reaps own children as the kernel would have (sigchld.h), an own zombie is reaped,
 * its status kept for the program's handler unless the handler has heard of the exit already
 * (registry_forget). Not while a wait for several children is in flight: it takes the zombie
 * itself, and would sleep on if its last own child went behind its back (wait.c, which lets a
 * reap that began before its count end first: with every signal blocked, as under a lock, so that
 * no handler's wait on this thread waits for it). Whether it took it. */
static bool reap_own_as_kernel(pid_t pid)
{
	siginfo_t info;
	sigset_t saved;
	unsigned mark = registry_mark();
	bool taken = false, hold = !signals_held;

	if (hold) {
		hold_signals(&saved);
	}
	__atomic_add_fetch(&own_reaps, 1, __ATOMIC_SEQ_CST);
	if (!wait_any_in_flight()) {
		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_PID, (id_t)pid, &info, WEXITED | WNOHANG) == 0 && info.si_pid == pid) {
			registry_forget(pid, status_from_info(&info), mark);
		}
		taken = true;
	}
	__atomic_sub_fetch(&own_reaps, 1, __ATOMIC_SEQ_CST);
	if (hold) {
		release_signals(&saved);
	}
	return taken;
}

static bool same_exit(const siginfo_t *a, const siginfo_t *b)
{
	return a->si_pid == b->si_pid && a->si_code == b->si_code && a->si_status == b->si_status;
}

static void look_in_front(struct reaper_view *view)
{
	view->mark = registry_mark();
	view->childless = !reaper_look(P_ALL, 0, &view->front);
	view->seen = true;
}

/* Past the zombie in front, one look at the pid in any state tells both whether the exit is still
 * the zombie holding it and, if not, whether any child holds it. */
enum reaper_exit reaper_exit_state(const siginfo_t *report, struct reaper_view *view, unsigned *mark)
{
	const int any_state = WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL;
	siginfo_t now;

	if (!view->seen) {
		look_in_front(view);
	}
	if (same_exit(&view->front, report)) {
		*mark = view->mark;
		return EXIT_CURRENT;
	}
	/* No child the look waits for: none holds the pid either, unless the registry may list one
	 * that only __WALL shows (a clone child with another exit signal). An orphan is never one:
	 * the kernel gives every orphan it re-parents SIGCHLD as its exit signal. */
	if (view->childless && !registry_may_list_clone_kind()) {
		*mark = view->mark;
		return EXIT_GONE;
	}
	*mark = registry_mark();
	memset(&now, 0, sizeof(now));
	if (LIBC(waitid)(P_PID, (id_t)report->si_pid, &now, any_state) != 0) {
		return errno == ECHILD ? EXIT_GONE : EXIT_HELD;
	}
	return same_exit(&now, report) ? EXIT_CURRENT : EXIT_HELD;
}

/* Reaps the foreign zombies in front; the first look may be the handler's own (view). */
static enum sweep_result sweep(struct reaper_view *view, siginfo_t *own_head, unsigned *mark)
{
	for (int round = 0; round < SWEEP_LIMIT; round++) {
		siginfo_t info;
		unsigned m;

		if (round == 0 && view != NULL && view->seen) {
			info = view->front;
			m = view->mark;
		} else {
			m = registry_mark();
			reaper_look(P_ALL, 0, &info);
		}
		if (info.si_pid == 0) {
			return SWEEP_CLEAR;
		}
		if (registry_undecidable()) {
			sigchld_defer_sweep();
			return SWEEP_UNDECIDABLE;
		}
		/* A report other than an exit is a tracee's ptrace stop, which a tracer's waits get
		 * without WSTOPPED: the program's, and in front like an own zombie. */
		if (registry_is_own(info.si_pid) || !info_is_exit(&info)) {
			if (info_is_exit(&info) && sigchld_emulates_nocldwait() && !ptrace_claims(info.si_pid) &&
			    reap_own_as_kernel(info.si_pid)) {
				continue;
			}
			*own_head = info;
			*mark = m;
			return SWEEP_OWN_HEAD;
		}
		reaper_collect(info.si_pid);
	}
	return SWEEP_CLEAR;
}

size_t reaper_on_signal(pid_t fresh_own, struct reaper_view *view, siginfo_t *reports, size_t max)
{
	siginfo_t own_head;
	unsigned mark;
	size_t n = 0;
	enum sweep_result result;
	int saved_errno = errno;

	scan_earn();
	result = sweep(view, &own_head, &mark);
	__atomic_add_fetch(&signal_sweeps, 1, __ATOMIC_RELAXED);
	if (result == SWEEP_CLEAR) {
		__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
	} else if (result == SWEEP_OWN_HEAD && own_head.si_pid == fresh_own) {
		/* The program is about to wait for it; the look after its wait sees behind it. */
		__atomic_store_n(&view_blocked, 1, __ATOMIC_RELAXED);
	} else if (result == SWEEP_OWN_HEAD) {
		/* This signal did not report the own zombie in front: signals merged, or it lingers.
		 * A scan shows the orphans behind it, and the own exits the program missed. */
		if (max > 0 && info_is_exit(&own_head) && registry_announce_as_of(own_head.si_pid, mark)) {
			reports[n++] = own_head;
		}
		if (scan_if_paid(reports, max, &n)) {
			__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(&view_blocked, 1, __ATOMIC_RELAXED);
			scan_owed(); /* should no event follow, a timer makes one */
		}
	}
	errno = saved_errno;
	return n;
}

void reaper_after_wait(void)
{
	unsigned sweeps = __atomic_load_n(&signal_sweeps, __ATOMIC_RELAXED);
	siginfo_t own_head;
	unsigned mark;
	size_t none = 0;

	scan_earn();
	/* SIGCHLD is being handled and left nothing behind: the common case costs no system call. */
	if (__atomic_exchange_n(&sweeps_seen, sweeps, __ATOMIC_RELAXED) != sweeps &&
	    !__atomic_load_n(&view_blocked, __ATOMIC_RELAXED)) {
		return;
	}
	switch (sweep(NULL, &own_head, &mark)) {
	case SWEEP_CLEAR:
		__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
		break;
	case SWEEP_OWN_HEAD:
		if (!__atomic_load_n(&view_blocked, __ATOMIC_RELAXED) || scan_if_paid(NULL, 0, &none)) {
			__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
		} else if (sweeps != 0) {
			/* The timer's SIGCHLD goes where the shim's handler runs, never to a program that
			 * only ever takes SIGCHLD through signalfd or sigwaitinfo. */
			scan_owed();
		}
		break;
	case SWEEP_UNDECIDABLE:
		break;
	}
}
