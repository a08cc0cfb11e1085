/* registry_cases: what the shim keeps per child, and what it costs (issue 9, items 1, 11, 12, 13,
 * 19 and errno). Run as PID 1 with the shim; each case prints "OK <case>" or "FAIL <case>: ..." and
 * exits 0 only when it held.
 *   pid_reuse     a thread waits for any child while another forks into the pid of an orphan that
 *                 wait reaped (forced through /proc/sys/kernel/ns_last_pid): no wait may report the
 *                 orphan's status as the new child's, nor waitpid(new child) the orphan's
 *   ignored       SIGCHLD ignored, 40,000 children: the registry stays small and an exec still
 *                 works (its REAP_OWN list stays short)
 *   burst [N]     N children (4,000; 10,000 with STRESS) that end as soon as they are made are
 *                 waited for once all are made, with a SIGCHLD handler: every status right, no
 *                 pid reported twice to the handler, the handler ran (test_registry also counts
 *                 the system calls)
 *   hidden        own zombies the program never waits for, then a burst of orphans, then nothing: every
 *                 orphan is still reaped, within 10 s (STRESS: 50 s), with no event to prompt it
 *   raw_clone     a child made with a raw clone instruction ends, then an orphan storm: a later
 *                 waitpid(pid) still gets its status
 *   env_cleared   exec with an empty environment (env -i): the new image gets no REAP_OWN
 *   env_childless exec with LD_PRELOAD but no child at all: no REAP_OWN either
 *   env_listed    exec with LD_PRELOAD and a child: REAP_OWN names it (the control)
 *   errno_kept    a wait the shim restarted after an orphan's SIGCHLD cut it short (the program's
 *                 handler has no SA_RESTART) returns with errno as it was before the call
 *   errno_no_pidfd where pidfd_open is forbidden (a seccomp filter, as older container runtimes
 *                 have), sigaction(SIGCHLD, SIG_IGN), which makes the shim reap a foreign zombie
 *                 there and then, keeps errno
 *   stale_entry   a child born while another thread is blocked in wait() for any child, and reaped
 *                 by that wait, leaves no entry behind: a foreign orphan that then gets its pid
 *                 (ns_last_pid) is never reported to wait()
 *   own_reuse     the program's SIGCHLD handler, run as waitpid(child) returns, forks a new child
 *                 into the pid that wait just freed (ns_last_pid): wait() still reports the new
 *                 child once it ends, and the handler heard of the first child once
 * STRESS=1 makes the counts larger. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *self_path;

static int verdict(const char *name, int ok, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "OK" : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
	return ok ? 0 : 1;
}

static int scaled(int n)
{
	const char *stress = getenv("STRESS");

	return stress != NULL && strcmp(stress, "0") != 0 && stress[0] != '\0' ? n * 5 : n;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	printf("BROKEN %s: %s\n", what, strerror(errno));
	exit(2);
}

static void pipe_or_die(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0) {
		die("pipe2");
	}
}

/* Blocks until the pipe's write ends are all closed. */
static void wait_for_eof(int fd)
{
	char c;

	while (read(fd, &c, 1) != 0 && (errno == EINTR || errno == 0)) {
	}
}

/* A thread's (or process's) state letter and its system call from /proc; 0 and -1 when gone. */
static char state_of(const char *stat_path)
{
	char buf[512];
	FILE *f = fopen(stat_path, "r");
	size_t n;
	char *paren;

	if (f == NULL) {
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

static long syscall_of(const char *syscall_path)
{
	long nr = -1;
	FILE *f = fopen(syscall_path, "r");

	if (f != NULL) {
		if (fscanf(f, "%ld", &nr) != 1) {
			nr = -1;
		}
		fclose(f);
	}
	return nr;
}

/* Polls (bounded) until the task sleeps in wait4 or waitid. */
static int blocked_in_wait(const char *task_dir, double seconds)
{
	char stat_path[96], syscall_path[96];

	snprintf(stat_path, sizeof(stat_path), "%s/stat", task_dir);
	snprintf(syscall_path, sizeof(syscall_path), "%s/syscall", task_dir);
	for (double end = now() + seconds; now() < end;) {
		long nr = syscall_of(syscall_path);
		if (state_of(stat_path) == 'S' && (nr == SYS_wait4 || nr == SYS_waitid)) {
			return 1;
		}
		sched_yield();
	}
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *paren;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (paren == NULL || sscanf(paren + 2, "%*c %d", &ppid) != 1) {
		return -1;
	}
	return ppid;
}

static void set_last_pid(pid_t pid)
{
	char text[16];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	int len = snprintf(text, sizeof(text), "%d", (int)pid);

	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		die("ns_last_pid");
	}
	close(fd);
}

/* An orphan of ours that ends with code when its gate's write end closes; the middle process
 * that made it is collected by whoever waits. With want > 0 the orphan is to get that pid (it
 * gets the first free one from there). Returns its pid once it is ours. */
static pid_t make_orphan(int gate[2], int code, pid_t want)
{
	int report[2];
	pid_t middle, orphan = 0;

	pipe_or_die(gate);
	pipe_or_die(report);
	middle = fork();
	if (middle < 0) {
		die("fork");
	}
	if (middle == 0) {
		pid_t g;
		if (want > 0) {
			set_last_pid(want - 1);
		}
		g = fork();
		if (g == 0) {
			close(gate[1]);
			wait_for_eof(gate[0]);
			_exit(code);
		}
		if (write(report[1], &g, sizeof(g)) != sizeof(g)) {
			_exit(1);
		}
		_exit(0);
	}
	close(report[1]);
	close(gate[0]);
	if (read(report[0], &orphan, sizeof(orphan)) != sizeof(orphan)) {
		die("orphan pid");
	}
	close(report[0]);
	for (double end = now() + 10; parent_of(orphan) != getpid(); sched_yield()) {
		if (now() > end) {
			die("orphan never came");
		}
	}
	return orphan;
}

/* --- pid_reuse -------------------------------------------------------------------------------- */

#define MAX_REPORTS 65536

static struct {
	pthread_mutex_t lock;
	pid_t pid[MAX_REPORTS];
	int status[MAX_REPORTS];
	int n;
	pid_t tid;
} reports = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *wait_for_any(void *arg)
{
	(void)arg;
	__atomic_store_n(&reports.tid, gettid(), __ATOMIC_SEQ_CST);
	for (;;) {
		int status = 0;
		pid_t r = wait(&status);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			break;
		}
		pthread_mutex_lock(&reports.lock);
		if (reports.n < MAX_REPORTS) {
			reports.pid[reports.n] = r;
			reports.status[reports.n++] = status;
		}
		pthread_mutex_unlock(&reports.lock);
	}
	return NULL;
}

/* Reports of pid since report number from: how many, and the status of the last. */
static int reports_of(pid_t pid, int from, int *status)
{
	int count = 0;

	pthread_mutex_lock(&reports.lock);
	for (int i = from; i < reports.n; i++) {
		if (reports.pid[i] == pid) {
			count++;
			*status = reports.status[i];
		}
	}
	pthread_mutex_unlock(&reports.lock);
	return count;
}

static int reports_now(void)
{
	int n;

	pthread_mutex_lock(&reports.lock);
	n = reports.n;
	pthread_mutex_unlock(&reports.lock);
	return n;
}

/* A thread that waits for any child in a loop and keeps what wait() reports, with SIGCHLD blocked
 * in every thread (libc's wait, not the shim's handler, meets the ends) and an own child alive
 * until waiter_stop, so that wait() blocks. dir: the thread's /proc directory. */
struct waiter {
	pthread_t thread;
	int anchor_gate; /* closing it ends the anchor child, and then the thread's waits */
	char dir[64];
};

static void waiter_start(struct waiter *w)
{
	int gate[2];
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pipe_or_die(gate);
	if (fork() == 0) { /* the anchor */
		close(gate[1]);
		wait_for_eof(gate[0]);
		_exit(0);
	}
	close(gate[0]);
	w->anchor_gate = gate[1];
	pthread_create(&w->thread, NULL, wait_for_any, NULL);
	while (__atomic_load_n(&reports.tid, __ATOMIC_SEQ_CST) == 0) {
		sched_yield();
	}
	snprintf(w->dir, sizeof(w->dir), "/proc/self/task/%d", (int)reports.tid);
}

static void waiter_stop(struct waiter *w)
{
	close(w->anchor_gate);
	pthread_join(w->thread, NULL);
}

/* Forks until the child gets pid want (free once the waiting thread reaped the orphan that held
 * it); that child waits at gate, the others exit at once. Returns want, or -1. */
static pid_t fork_into(pid_t want, int gate[2])
{
	for (int tries = 0; tries < 100000; tries++) {
		pid_t pid;

		set_last_pid(want - 1);
		pid = fork();
		if (pid < 0) {
			die("fork");
		}
		if (pid == 0) {
			if (getpid() == want) {
				close(gate[1]);
				wait_for_eof(gate[0]);
				_exit(42);
			}
			_exit(0);
		}
		if (pid == want) {
			return pid;
		}
	}
	return -1;
}

static int pid_reuse(void)
{
	int rounds = scaled(20), wrong = 0, skipped = 0;
	char detail[160] = "";
	struct waiter waiter;

	waiter_start(&waiter);
	for (int round = 0; round < rounds; round++) {
		int orphan_gate[2], child_gate[2], from, status = 0, count;
		pid_t orphan, child;

		orphan = make_orphan(orphan_gate, 7, 0);
		if (!blocked_in_wait(waiter.dir, 10)) {
			die("the waiting thread never blocked");
		}
		from = reports_now();
		pipe_or_die(child_gate);
		close(orphan_gate[1]); /* the orphan ends; the waiting thread reaps it */
		child = fork_into(orphan, child_gate);
		close(child_gate[0]);
		if (child < 0) {
			skipped++;
			close(child_gate[1]);
			continue;
		}
		/* The waiting thread has judged the orphan's end once it blocks again. */
		if (!blocked_in_wait(waiter.dir, 10)) {
			die("the waiting thread never blocked again");
		}
		if (waitpid(child, &status, WNOHANG) != 0) {
			wrong++;
			snprintf(detail, sizeof(detail), "round %d: waitpid(%d, WNOHANG) of a live child reported %#x", round,
				 (int)child, status);
		}
		if (reports_of(child, from, &status) != 0) {
			wrong++;
			snprintf(detail, sizeof(detail), "round %d: wait() reported %d (status %#x) while it was alive",
				 round, (int)child, status);
		}
		close(child_gate[1]);
		for (double end = now() + 10; reports_of(child, from, &status) == 0 && now() < end;) {
			sched_yield();
		}
		count = reports_of(child, from, &status);
		if (count != 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 42) {
			wrong++;
			snprintf(detail, sizeof(detail), "round %d: pid %d reported %d times, last status %#x (want once, 42)",
				 round, (int)child, count, status);
		}
	}
	waiter_stop(&waiter);
	if (skipped > rounds / 2) {
		printf("BROKEN pid_reuse: the pid could not be forced in %d of %d rounds\n", skipped, rounds);
		return 2;
	}
	printf("pid_reuse: %d rounds, %d wrong reports\n", rounds - skipped, wrong);
	return verdict("pid_reuse", wrong == 0, detail);
}

/* --- stale_entry ------------------------------------------------------------------------------ */

static int gone(pid_t pid)
{
	return kill(pid, 0) != 0 && errno == ESRCH;
}

static int stale_entry(void)
{
	int rounds = scaled(5), wrong = 0, skipped = 0;
	char detail[160] = "";
	struct waiter waiter;

	waiter_start(&waiter);
	for (int round = 0; round < rounds; round++) {
		int orphan_gate[2], from, status = 0;
		pid_t child, orphan;

		if (!blocked_in_wait(waiter.dir, 10)) {
			die("the waiting thread never blocked");
		}
		from = reports_now();
		child = fork(); /* born after the blocked wait began */
		if (child == 0) {
			_exit(3);
		}
		for (double end = now() + 10; reports_of(child, from, &status) == 0 && now() < end;) {
			sched_yield();
		}
		if (reports_of(child, from, &status) != 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 3) {
			wrong++;
			snprintf(detail, sizeof(detail), "round %d: wait() did not report own child %d once, with 3", round,
				 (int)child);
			continue;
		}
		/* The middle process sets the pid its fork takes: the child's, free once reported. (Set
		 * before the middle's own fork, the pid before it had to be free too, which the waiting
		 * thread's or a slow orphan's often was not.) */
		orphan = make_orphan(orphan_gate, 7, child);
		if (orphan != child) {
			skipped++;
			close(orphan_gate[1]);
			continue;
		}
		if (!blocked_in_wait(waiter.dir, 10)) {
			die("the waiting thread never blocked again");
		}
		from = reports_now();
		close(orphan_gate[1]); /* the orphan ends; the waiting thread reaps it */
		for (double end = now() + 10; !gone(orphan) && now() < end;) {
			sched_yield();
		}
		if (!blocked_in_wait(waiter.dir, 10)) {
			die("the waiting thread never blocked after the orphan");
		}
		if (reports_of(orphan, from, &status) != 0) {
			wrong++;
			snprintf(detail, sizeof(detail), "round %d: wait() reported the orphan %d (status %#x) as the program's",
				 round, (int)orphan, status);
		}
	}
	waiter_stop(&waiter);
	if (skipped > rounds / 2) {
		printf("BROKEN stale_entry: the pid could not be forced in %d of %d rounds\n", skipped, rounds);
		return 2;
	}
	return verdict("stale_entry", wrong == 0, detail);
}

/* --- ignored ---------------------------------------------------------------------------------- */

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld", &kib) == 1) {
			break;
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	return kib;
}

static int ignored(void)
{
	int children = scaled(40000), gate[2];
	long before, after;
	char detail[128];
	char *argv[] = {(char *)self_path, "ignored_exec", NULL};

	signal(SIGCHLD, SIG_IGN);
	before = rss_kib();
	for (int i = 0; i < children; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			_exit(0);
		}
		if (pid < 0) {
			die("vfork");
		}
	}
	after = rss_kib();
	if (after - before > 1024) {
		snprintf(detail, sizeof(detail), "RSS grew from %ld to %ld KiB over %d children", before, after, children);
		return verdict("ignored", 0, detail);
	}
	/* One child alive, so that the exec has a list to hand over; it ends when the exec closes the
	 * gate (close-on-exec). */
	pipe_or_die(gate);
	if (fork() == 0) {
		close(gate[1]);
		wait_for_eof(gate[0]);
		_exit(0);
	}
	close(gate[0]);
	execve(self_path, argv, environ);
	snprintf(detail, sizeof(detail), "exec failed: %s", strerror(errno));
	return verdict("ignored", 0, detail);
}

/* The environment as the kernel handed it to this image (the shim's constructor has already taken
 * REAP_OWN out of environ, not out of this copy). */
static const char *initial_own_list(char *buf, size_t size)
{
	int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0) {
		die("/proc/self/environ");
	}
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0) {
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	for (size_t at = 0; at < len; at += strlen(buf + at) + 1) {
		if (strncmp(buf + at, "REAP_OWN=", 9) == 0) {
			return buf + at + 9;
		}
	}
	return NULL;
}

static char environ_copy[1 << 20];

static int ignored_exec(void)
{
	const char *list = initial_own_list(environ_copy, sizeof(environ_copy));
	char detail[128];

	/* Without the shim there is no list; with it, one short entry names the one child alive. */
	snprintf(detail, sizeof(detail), "REAP_OWN has %zu characters", list != NULL ? strlen(list) : 0);
	return verdict("ignored", list == NULL || strlen(list) < 64, detail);
}

/* --- burst ------------------------------------------------------------------------------------ */

static unsigned char *heard; /* per pid: how many times the handler heard of its exit */
static volatile long handler_runs;

static void on_child(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	handler_runs++;
	if (info->si_pid > 0 && info->si_pid < (1 << 22) && info->si_code != CLD_STOPPED &&
	    info->si_code != CLD_CONTINUED) {
		heard[info->si_pid]++;
	}
}

static int burst(int n)
{
	int wrong = 0, twice = 0;
	pid_t *pids = calloc((size_t)n, sizeof(pid_t));
	struct sigaction sa;
	char detail[160] = "";

	heard = calloc(1 << 22, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_child;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	/* Each child ends at once: its zombie waits behind the first one while more are made. */
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			die("fork");
		}
		if (pids[i] == 0) {
			_exit(i % 200);
		}
	}
	/* Half of them by wait(), the rest by pid. */
	for (int i = 0, next = 0; i < n; i++) {
		int status = 0, j;
		pid_t r;

		while (i >= n / 2 && pids[next] < 0) {
			next++;
		}
		r = i < n / 2 ? wait(&status) : waitpid(pids[next], &status, 0);
		if (r < 0) {
			snprintf(detail, sizeof(detail), "wait %d failed: %s", i, strerror(errno));
			wrong++;
			break;
		}
		for (j = 0; j < n && pids[j] != r; j++) {
		}
		if (j == n) {
			snprintf(detail, sizeof(detail), "wait returned %d, not a child of ours", (int)r);
			wrong++;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != j % 200) {
			snprintf(detail, sizeof(detail), "child %d: status %#x", (int)r, status);
			wrong++;
		} else {
			pids[j] = -pids[j]; /* collected */
		}
	}
	for (int i = 0; i < (1 << 22); i++) {
		twice += heard[i] > 1;
	}
	if (wrong == 0 && twice != 0) {
		snprintf(detail, sizeof(detail), "%d children reported to the handler more than once", twice);
	} else if (wrong == 0 && handler_runs == 0) {
		snprintf(detail, sizeof(detail), "the handler never ran");
	}
	printf("burst: %d children, handler ran %ld times\n", n, handler_runs);
	return verdict("burst", wrong == 0 && twice == 0 && handler_runs > 0, detail);
}

/* --- hidden ---------------------------------------------------------------------------------- */

static int children_now(void)
{
	char path[64];
	int count = 0, c;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	while (f != NULL && fscanf(f, "%d", &c) == 1) {
		count++;
	}
	if (f != NULL) {
		fclose(f);
	}
	return count;
}

static int hidden(void)
{
	int own = scaled(300), orphans = scaled(2000), batch = 100, left = 0;
	char detail[128];

	for (int i = 0; i < own; i++) {
		if (fork() == 0) {
			_exit(0); /* a zombie in front of every orphan, never waited for */
		}
	}
	for (int i = 0; i < orphans / batch; i++) {
		pid_t middle = fork();
		if (middle == 0) {
			for (int j = 0; j < batch; j++) {
				if (fork() == 0) {
					_exit(0);
				}
			}
			_exit(0);
		}
		waitpid(middle, NULL, 0);
	}
	/* From here on the program makes no child and waits for none: only the shim can act. */
	for (double end = now() + scaled(10); now() < end && (left = children_now() - own) > 0;) {
		struct timespec pause = {0, 10000000}; /* pacing of a bounded poll */
		nanosleep(&pause, NULL);
	}
	snprintf(detail, sizeof(detail), "%d of %d orphans still zombies behind %d own ones", left, orphans, own);
	return verdict("hidden", left == 0, detail);
}

/* --- raw_clone -------------------------------------------------------------------------------- */

/* clone(SIGCHLD) and exit_group by the instruction, past every libc wrapper. */
static long raw_clone_child_exits(int code)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_clone), "D"((long)SIGCHLD), "S"(0L), "d"(0L)
			 : "rcx", "r11", "memory");
	if (ret == 0) {
		__asm__ volatile("syscall" : : "a"((long)SYS_exit_group), "D"((long)code) : "rcx", "r11", "memory");
		__builtin_unreachable();
	}
	return ret;
}

static int raw_clone(void)
{
	int orphans = scaled(200), status = 0, gate[2];
	pid_t child = (pid_t)raw_clone_child_exits(33), r;
	char detail[128];

	if (child < 0) {
		die("raw clone");
	}
	/* The shim reaps it as foreign (it cannot tell) and keeps its status. */
	for (double end = now() + 10; kill(child, 0) == 0; sched_yield()) {
		if (now() > end) {
			return verdict("raw_clone", 0, "the raw child was never reaped");
		}
	}
	/* An orphan storm: one middle process leaves many orphans that end at once. */
	pipe_or_die(gate);
	if (fork() == 0) {
		for (int i = 0; i < orphans; i++) {
			if (fork() == 0) {
				close(gate[1]);
				wait_for_eof(gate[0]);
				_exit(i % 100);
			}
		}
		_exit(0);
	}
	close(gate[0]);
	waitpid(-1, NULL, 0); /* the middle process */
	close(gate[1]);
	/* Every orphan reaped: no child left at all. */
	for (double end = now() + 20; now() < end; sched_yield()) {
		int c, any;
		FILE *f = fopen("/proc/self/task/1/children", "r");

		any = f != NULL && fscanf(f, "%d", &c) == 1;
		if (f != NULL) {
			fclose(f);
		}
		if (!any) {
			break;
		}
	}
	r = waitpid(child, &status, 0);
	snprintf(detail, sizeof(detail), "waitpid(%d) returned %d (%s), status %#x", (int)child, (int)r,
		 r < 0 ? strerror(errno) : "ok", status);
	return verdict("raw_clone", r == child && WIFEXITED(status) && WEXITSTATUS(status) == 33, detail);
}

/* --- env_* ------------------------------------------------------------------------------------ */

static int exec_printer(char *const envp[], const char *expect)
{
	char *argv[] = {(char *)self_path, "print_own", (char *)expect, NULL};

	execve(self_path, argv, envp);
	die("execve");
	return 2;
}

static pid_t child_until_exec(void)
{
	int gate[2];
	pid_t pid;

	pipe_or_die(gate);
	pid = fork();
	if (pid == 0) {
		close(gate[1]);
		wait_for_eof(gate[0]);
		_exit(0);
	}
	close(gate[0]);
	return pid;
}

static char preload_entry[4096];

static int env_case(const char *which)
{
	char *cleared[] = {NULL};
	char *with_preload[] = {preload_entry, NULL};
	char expect[16] = "none";

	snprintf(preload_entry, sizeof(preload_entry), "LD_PRELOAD=%s", getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
	if (strcmp(which, "env_cleared") == 0) {
		child_until_exec();
		return exec_printer(cleared, expect);
	}
	if (strcmp(which, "env_childless") == 0) {
		return exec_printer(with_preload, expect);
	}
	snprintf(expect, sizeof(expect), "%d", (int)child_until_exec());
	return exec_printer(with_preload, expect);
}

static int print_own(const char *expect)
{
	const char *list = initial_own_list(environ_copy, sizeof(environ_copy));
	char detail[128];

	snprintf(detail, sizeof(detail), "REAP_OWN %s%s, expected %s", list != NULL ? "=" : "absent",
		 list != NULL ? list : "", expect);
	if (strcmp(expect, "none") == 0) {
		return verdict("env", list == NULL, detail);
	}
	return verdict("env", list != NULL && strcmp(list, expect) == 0, detail);
}

/* --- errno_kept ------------------------------------------------------------------------------- */

static void count_run(int sig)
{
	(void)sig;
}

/* An own child that lets an orphan end while this process sleeps in a wait, waits until the shim
 * reaped it, then ends with 5. */
static pid_t child_ending_orphan(pid_t orphan, int orphan_gate[2])
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		char dir[32];
		snprintf(dir, sizeof(dir), "/proc/%d", (int)parent);
		if (!blocked_in_wait(dir, 10)) {
			_exit(90);
		}
		close(orphan_gate[1]);
		for (double end = now() + 10; kill(orphan, 0) == 0 && now() < end;) {
			sched_yield();
		}
		_exit(5);
	}
	close(orphan_gate[1]);
	return pid;
}

static int errno_kept(void)
{
	struct sigaction sa;
	const char *calls[] = {"waitpid(pid)", "wait()", "waitid(P_ALL)"};
	char detail[160] = "";
	int wrong = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_run;
	sigaction(SIGCHLD, &sa, NULL); /* no SA_RESTART: an orphan's SIGCHLD cuts a wait short */
	for (int call = 0; call < 3; call++) {
		int orphan_gate[2], status = 0;
		siginfo_t info;
		pid_t orphan = make_orphan(orphan_gate, 9, 0), child, r;

		while (waitpid(-1, NULL, 0) < 0 && errno == EINTR) { /* the orphan's middle process */
		}
		child = child_ending_orphan(orphan, orphan_gate);
		errno = EDOM;
		if (call == 0) {
			r = waitpid(child, &status, 0);
		} else if (call == 1) {
			r = wait(&status);
		} else {
			memset(&info, 0, sizeof(info));
			r = waitid(P_ALL, 0, &info, WEXITED) == 0 ? info.si_pid : -1;
			status = info.si_code == CLD_EXITED ? info.si_status << 8 : -1;
		}
		if (r != child || !WIFEXITED(status) || WEXITSTATUS(status) != 5 || errno != EDOM) {
			int e = errno;
			wrong++;
			snprintf(detail, sizeof(detail), "%s returned %d, status %#x, errno %s (want %d, exit 5, EDOM)",
				 calls[call], (int)r, status, strerrorname_np(e) ? strerrorname_np(e) : "?", (int)child);
		}
	}
	return verdict("errno_kept", wrong == 0, detail);
}

/* --- errno_no_pidfd ---------------------------------------------------------------------------- */

/* pidfd_open fails with EPERM from now on, in this process and its children. */
static void forbid_pidfd_open(void)
{
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#else
	const unsigned arch = AUDIT_ARCH_AARCH64;
#endif
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		die("seccomp");
	}
}

static int errno_no_pidfd(void)
{
	int gate[2], e, rc;
	char stat_path[32], detail[160] = "";
	struct sigaction ign;
	sigset_t chld;
	pid_t orphan;

	forbid_pidfd_open();
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL); /* the orphan stays a zombie until SIG_IGN is set */
	orphan = make_orphan(gate, 3, 0);
	while (waitpid(-1, NULL, 0) < 0 && errno == EINTR) { /* the orphan's middle process */
	}
	close(gate[1]);
	snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int)orphan);
	for (double end = now() + 10; state_of(stat_path) != 'Z' && now() < end;) {
		sched_yield();
	}
	if (state_of(stat_path) != 'Z') {
		return verdict("errno_no_pidfd", 0, "the orphan never became a zombie");
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	errno = EDOM;
	rc = sigaction(SIGCHLD, &ign, NULL);
	e = errno;
	if (rc != 0 || e != EDOM) {
		snprintf(detail, sizeof(detail), "sigaction(SIGCHLD, SIG_IGN) returned %d, errno %s (want 0, EDOM)", rc,
			 strerrorname_np(e) ? strerrorname_np(e) : "?");
	}
	return verdict("errno_no_pidfd", detail[0] == '\0', detail);
}

/* own_reuse: the handler reforks into the pid of the child whose exit it hears of, once. */
static volatile sig_atomic_t reuse_target, reuse_reports;
static volatile pid_t reused;
static int reuse_gate[2];

static void refork(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	if (info->si_pid != reuse_target) {
		return;
	}
	reuse_reports++;
	if (reused == 0) {
		set_last_pid(reuse_target - 1);
		reused = fork();
		if (reused == 0) {
			close(reuse_gate[1]);
			wait_for_eof(reuse_gate[0]);
			_exit(42);
		}
	}
}

static int own_reuse(void)
{
	struct sigaction sa;
	char detail[200] = "";
	int status = 0, later = 0;
	pid_t child, r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = refork;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	if (pipe(reuse_gate) != 0) {
		die("pipe");
	}
	/* The child ends once this process sleeps in the wait, so that its SIGCHLD is taken as that
	 * wait returns. */
	child = fork();
	if (child == 0) {
		_exit(blocked_in_wait("/proc/1/task/1", 10) ? 7 : 8);
	}
	reuse_target = child;
	r = waitpid(child, &status, 0);
	if (r != child || !WIFEXITED(status) || WEXITSTATUS(status) != 7 || reused != child) {
		snprintf(detail, sizeof(detail), "waitpid(%d) returned %d status %#x; the handler's fork got %d",
			 (int)child, (int)r, status, (int)reused);
		return verdict("own_reuse", 0, detail);
	}
	close(reuse_gate[1]);
	r = wait(&later);
	if (r != child || !WIFEXITED(later) || WEXITSTATUS(later) != 42 || reuse_reports != 2) {
		int e = errno;
		snprintf(detail, sizeof(detail),
			 "wait() for the new child %d returned %d (%s), status %#x; handler heard of pid %d %d times (want 2)",
			 (int)child, (int)r, r < 0 ? strerror(e) : "ok", later, (int)child, (int)reuse_reports);
	}
	return verdict("own_reuse", detail[0] == '\0', detail);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	self_path = "/proc/self/exe";
	if (strcmp(which, "pid_reuse") == 0) {
		return pid_reuse();
	}
	if (strcmp(which, "ignored") == 0) {
		return ignored();
	}
	if (strcmp(which, "ignored_exec") == 0) {
		return ignored_exec();
	}
	if (strcmp(which, "burst") == 0) {
		/* Not scaled by 5: every zombie holds a pid, and pids are shared with the whole machine. */
		return burst(argc > 2 ? atoi(argv[2]) : scaled(1) > 1 ? 10000 : 4000);
	}
	if (strcmp(which, "raw_clone") == 0) {
		return raw_clone();
	}
	if (strcmp(which, "hidden") == 0) {
		return hidden();
	}
	if (strncmp(which, "env_", 4) == 0) {
		return env_case(which);
	}
	if (strcmp(which, "print_own") == 0 && argc > 2) {
		return print_own(argv[2]);
	}
	if (strcmp(which, "errno_kept") == 0) {
		return errno_kept();
	}
	if (strcmp(which, "errno_no_pidfd") == 0) {
		return errno_no_pidfd();
	}
	if (strcmp(which, "own_reuse") == 0) {
		return own_reuse();
	}
	if (strcmp(which, "stale_entry") == 0) {
		return stale_entry();
	}
	fprintf(stderr, "usage: registry_cases pid_reuse|ignored|burst|hidden|raw_clone|env_cleared|env_childless|"
			"env_listed|errno_kept|errno_no_pidfd|own_reuse|stale_entry\n");
	return 2;
}
