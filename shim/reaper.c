/* reaper.c: owns the proof that a zombie is foreign and its reaping (see reaper.h).
 *
 * waitid(P_ALL, WNOWAIT) shows the oldest zombie child without taking it. While that one is
 * foreign it is reaped and the next one shown; once it is the program's own, nothing behind it can
 * be seen that way, and the kernel's child lists in /proc are read instead. That read costs a few
 * system calls, so it is skipped when the own zombie in front is the one this very SIGCHLD reports
 * (the program is about to wait for it): a foreign exit whose signal merged into that one is then
 * found by the sweep that follows the program's wait. */
#include "reaper.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "config.h"
#include "log.h"
#include "real.h"
#include "registry.h"
#include "sigchld.h"

/* Enough for any burst; a longer one is finished by the next signal. */
#define SWEEP_LIMIT 4096

/* Set when the handler stopped at a fresh own zombie without reading /proc. */
static int view_blocked;
/* Sweeps made by the handler, and the count the last wait saw: while the handler keeps sweeping,
 * a wait has nothing to pick up after it. */
static unsigned signal_sweeps, sweeps_seen;

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

	log_begin(&path); /* only its buffer: "reap: " is overwritten */
	path.len = 0;
	log_str(&path, "/proc/");
	log_int(&path, pid);
	log_str(&path, "/comm");
	path.text[path.len] = '\0';
	fd = open(path.text, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, name, 16);
		close(fd);
	}
	if (n > 0 && name[n - 1] == '\n') {
		n--;
	}
	name[n > 0 ? n : 0] = '\0';
}

void reaper_record(pid_t pid, int status, const struct rusage *usage, const char *name)
{
	struct log_line line;

	stash_put(pid, status, usage);
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

bool reaper_collect(pid_t pid)
{
	siginfo_t info;
	struct rusage usage;
	char name[17] = "";

	if (config.verbose >= 1) {
		read_name(pid, name);
	}
	memset(&info, 0, sizeof(info));
	/* The raw call, because only it reports the orphan's resource usage for the stash. */
	if (LIBC(syscall)(SYS_waitid, P_PID, pid, &info, WEXITED | WNOHANG, &usage) != 0 || info.si_pid != pid) {
		return false;
	}
	reaper_record(pid, status_from_info(&info), &usage, name);
	return true;
}

static enum sweep_result sweep(siginfo_t *own_head)
{
	for (int round = 0; round < SWEEP_LIMIT; round++) {
		siginfo_t info;

		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
			return SWEEP_CLEAR;
		}
		if (registry_undecidable()) {
			sigchld_defer_sweep();
			return SWEEP_UNDECIDABLE;
		}
		if (registry_is_own(info.si_pid)) {
			*own_head = info;
			return SWEEP_OWN_HEAD;
		}
		reaper_collect(info.si_pid);
	}
	return SWEEP_CLEAR;
}

/* Own zombies whose exit the program's handler has not heard of, found while reading /proc. */
struct unheard {
	siginfo_t *reports;
	size_t max, n;
};

static void visit_child(pid_t pid, void *ctx)
{
	struct unheard *unheard = ctx;
	siginfo_t info;

	if (registry_undecidable()) {
		sigchld_defer_sweep();
		return;
	}
	if (registry_is_own(pid) && (unheard == NULL || unheard->n == unheard->max)) {
		return;
	}
	memset(&info, 0, sizeof(info));
	if (LIBC(waitid)(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid) {
		return;
	}
	if (!registry_is_own(pid)) {
		reaper_collect(pid);
	} else if (registry_announce(pid)) {
		unheard->reports[unheard->n++] = info;
	}
}

static void scan(struct unheard *unheard)
{
	static int warned;

	if (!children_foreach(visit_child, unheard) && !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) {
		log_verbose2("cannot read /proc/self/task/*/children: ",
			     "orphans behind an unwaited child of the program wait for its wait");
	}
}

size_t reaper_on_signal(pid_t fresh_own, siginfo_t *unheard_reports, size_t max)
{
	struct unheard unheard = {.reports = unheard_reports, .max = max};
	siginfo_t own_head;
	enum sweep_result result = sweep(&own_head);

	__atomic_add_fetch(&signal_sweeps, 1, __ATOMIC_RELAXED);
	if (result == SWEEP_OWN_HEAD && own_head.si_pid == fresh_own) {
		__atomic_store_n(&view_blocked, 1, __ATOMIC_RELAXED);
	} else if (result == SWEEP_OWN_HEAD) {
		/* This signal did not report the own zombie in front: signals merged, or it lingers.
		 * /proc shows the orphans behind it, and the own exits the program missed. */
		__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
		if (max > 0 && registry_announce(own_head.si_pid)) {
			unheard_reports[unheard.n++] = own_head;
		}
		scan(&unheard);
	} else if (result == SWEEP_CLEAR) {
		__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
	}
	return unheard.n;
}

void reaper_after_wait(void)
{
	unsigned sweeps = __atomic_load_n(&signal_sweeps, __ATOMIC_RELAXED);
	siginfo_t own_head;

	/* SIGCHLD is being handled and left nothing behind: the common case costs no system call. */
	if (__atomic_exchange_n(&sweeps_seen, sweeps, __ATOMIC_RELAXED) != sweeps &&
	    !__atomic_load_n(&view_blocked, __ATOMIC_RELAXED)) {
		return;
	}
	switch (sweep(&own_head)) {
	case SWEEP_CLEAR:
		__atomic_store_n(&view_blocked, 0, __ATOMIC_RELAXED);
		break;
	case SWEEP_OWN_HEAD:
		if (__atomic_exchange_n(&view_blocked, 0, __ATOMIC_RELAXED)) {
			scan(NULL);
		}
		break;
	case SWEEP_UNDECIDABLE:
		break;
	}
}
