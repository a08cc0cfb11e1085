/* perfcount: see perfcount.h. */
#include "perfcount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N_FIXED 6

static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
/* Pairs: this process only, then with its descendants. */
static const char *const fixed_names[N_FIXED] = {"sys_self", "sys_all", "sig_self", "sig_all", "flt_self", "flt_all"};

/* The system calls counted by name: those of process creation, waiting, signals, memory, files and
 * sleeping. Not every one: the kernel unregisters a tracepoint when its last counter closes, at the
 * price of an RCU grace period each (tens of ms), so counting all ~360 costs seconds per run. What
 * is not in the list shows as the remainder of the total. Names the kernel does not have are
 * skipped, the same way in every process of an exec chain. */
static const char *const syscall_names[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill",
	"tgkill", "tkill", "getpid", "getppid", "gettid", "set_tid_address", "set_robust_list", "rseq", "prctl",
	"arch_prctl", "prlimit64", "getrlimit", "setrlimit", "sched_yield", "sched_getaffinity", "pidfd_open",
	"pidfd_send_signal", "getuid", "geteuid", "getgid", "getegid", "uname", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigpending", "sigaltstack", "pause", "mmap",
	"munmap", "mprotect", "mremap", "madvise", "brk", "openat", "open", "close", "read", "write", "pread64",
	"pwrite64", "readv", "writev", "lseek", "fstat", "newfstatat", "statx", "fcntl", "dup", "dup2", "dup3",
	"pipe", "pipe2", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "ioctl",
	"close_range", "getcwd", "chdir", "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
	"nanosleep", "clock_nanosleep", "futex", "getrandom",
};
#define N_NAMES (int)(sizeof syscall_names / sizeof syscall_names[0])

static const char *tracefs(void)
{
	for (size_t i = 0; i < sizeof tracefs_dirs / sizeof tracefs_dirs[0]; i++) {
		char path[128];

		snprintf(path, sizeof path, "%s/events/raw_syscalls/sys_enter/id", tracefs_dirs[i]);
		if (access(path, R_OK) == 0) {
			return tracefs_dirs[i];
		}
	}
	return NULL;
}

static long event_id(const char *root, const char *event)
{
	char path[256], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "%s/events/%s/id", root, event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static long syscall_id(const char *root, int i)
{
	char event[64];

	snprintf(event, sizeof event, "syscalls/sys_enter_%s", syscall_names[i]);
	return event_id(root, event);
}

/* One counter at fd `at`: disabled, counting in this process (and its descendants if inherit). */
static int open_counter(uint32_t type, long id, int inherit, int at)
{
	struct perf_event_attr a;
	int fd, moved;

	if (id < 0) {
		errno = ENOENT;
		return -1;
	}
	memset(&a, 0, sizeof a);
	a.type = type;
	a.size = sizeof a;
	a.config = (uint64_t)id;
	a.disabled = 1;
	a.inherit = (unsigned)inherit;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		return -1;
	}
	moved = dup2(fd, at);
	close(fd);
	return moved == at ? 0 : -1;
}

int pc_open(char *why, size_t size)
{
	static const char *const fixed_events[N_FIXED] = {"raw_syscalls/sys_enter", "raw_syscalls/sys_enter",
	                                                   "signal/signal_deliver", "signal/signal_deliver",
	                                                   "page faults", "page faults"};
	const char *root = tracefs();

	if (!root) {
		snprintf(why, size, "no tracefs (neither /sys/kernel/tracing nor /sys/kernel/debug/tracing)");
		return -1;
	}
	for (int i = 0; i < N_FIXED; i++) {
		bool faults = i >= 4;   /* a software event: no tracepoint */

		if (open_counter(faults ? PERF_TYPE_SOFTWARE : PERF_TYPE_TRACEPOINT,
		                 faults ? PERF_COUNT_SW_PAGE_FAULTS : event_id(root, fixed_events[i]), i % 2,
		                 PC_FD_BASE + i) != 0) {
			snprintf(why, size, "perf_event_open(%s): %s", fixed_events[i], strerror(errno));
			return -1;
		}
	}
	for (int i = 0, at = PC_FD_BASE + N_FIXED; i < N_NAMES; i++) {
		long id = syscall_id(root, i);

		if (id >= 0 && open_counter(PERF_TYPE_TRACEPOINT, id, 1, at++) != 0) {
			snprintf(why, size, "perf_event_open(sys_enter_%s) at fd %d: %s", syscall_names[i], at - 1,
			         strerror(errno));
			return -1;
		}
	}
	return 0;
}

void pc_enable(void)
{
	prctl(PR_TASK_PERF_EVENTS_ENABLE, 0, 0, 0, 0);
}

void pc_disable(void)
{
	prctl(PR_TASK_PERF_EVENTS_DISABLE, 0, 0, 0, 0);
}

static int read_counter(int fd, unsigned long long *v)
{
	return read(fd, v, sizeof *v) == (ssize_t)sizeof *v ? 0 : -1;
}

int pc_report(void)
{
	const char *root = tracefs();
	unsigned long long v;

	if (!root) {
		return -1;
	}
	for (int i = 0; i < N_FIXED; i++) {
		if (read_counter(PC_FD_BASE + i, &v) != 0) {
			return -1;
		}
		/* The prctl that stopped the counters entered while they still counted. */
		printf("COUNT %s %llu\n", fixed_names[i], i < 2 && v > 0 ? v - 1 : v);
	}
	for (int i = 0, at = PC_FD_BASE + N_FIXED; i < N_NAMES; i++) {
		if (syscall_id(root, i) < 0 || read_counter(at++, &v) != 0) {
			continue;
		}
		v -= !strcmp(syscall_names[i], "prctl") && v > 0;
		if (v > 0) {
			printf("COUNT sc_%s %llu\n", syscall_names[i], v);
		}
	}
	return 0;
}
