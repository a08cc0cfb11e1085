/* loops KIND SECONDS: the program's own child work, timed from inside. Prints
 *   OPS <count> <elapsed_ns> <errors>
 *   CPU <user_ns> <sys_ns> <children_user_ns> <children_sys_ns>   (getrusage, over the same span)
 * and, on an error, one line saying what failed. Exits 1 if any operation failed.
 * loops KIND count N: the same work, exactly N operations after a short warm-up, counted by the
 * kernel instead of timed (perfcount.h): COUNT lines, then OPS N 0 <errors>.
 * KIND: fork (fork + _exit + waitpid), vfork (vfork + _exit + waitpid), spawn (posix_spawn
 * /bin/true + waitpid), system (system("true")), popen (popen("true") + pclose), poll
 * (waitpid(-1, WNOHANG) while one own child is alive), exec (the program execs itself: one
 * operation is one execve of a small dynamically linked program, start-up included).
 * loops hold: open the same counters, say HELD, and keep them until EOF on stdin (perfcount.h:
 * while it holds them, the counted runs do not pay for registering the tracepoints). */
#include "lib/perfcount.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long errors;
static char first_error[200];

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void error(const char *what, int err)
{
	if (errors++ == 0) {
		snprintf(first_error, sizeof first_error, "%s: %s", what, strerror(err));
	}
}

static pid_t wait_for(pid_t pid, int *st)
{
	pid_t w;

	do {
		w = waitpid(pid, st, 0);
	} while (w < 0 && errno == EINTR);
	return w;
}

static void op_fork(void)
{
	int st;
	pid_t p = fork();

	if (p == 0) {
		_exit(0);
	}
	if (p < 0) {
		error("fork", errno);
	} else if (wait_for(p, &st) != p) {
		error("waitpid", errno);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		error("fork child status", EINVAL);
	}
}

static void op_vfork(void)
{
	int st;
	pid_t p = vfork();

	if (p == 0) {
		_exit(0);
	}
	if (p < 0) {
		error("vfork", errno);
	} else if (wait_for(p, &st) != p) {
		error("waitpid", errno);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		error("vfork child status", EINVAL);
	}
}

static void op_spawn(void)
{
	static char *const argv[] = {"true", NULL};
	int st, rc;
	pid_t p;

	rc = posix_spawn(&p, "/bin/true", NULL, NULL, argv, environ);
	if (rc != 0) {
		error("posix_spawn", rc);
	} else if (wait_for(p, &st) != p) {
		error("waitpid", errno);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		error("spawned child status", EINVAL);
	}
}

static void op_system(void)
{
	int rc = system("true");

	if (rc != 0) {
		error(rc < 0 ? "system" : "system status", rc < 0 ? errno : EINVAL);
	}
}

static void op_popen(void)
{
	FILE *f = popen("true", "r");
	int rc;

	if (!f) {
		error("popen", errno);
		return;
	}
	rc = pclose(f);
	if (rc != 0) {
		error(rc < 0 ? "pclose" : "pclose status", rc < 0 ? errno : EINVAL);
	}
}

static void op_poll(void)
{
	int st;
	pid_t w = waitpid(-1, &st, WNOHANG);

	if (w != 0) {
		error("waitpid(-1, WNOHANG) did not return 0", w < 0 ? errno : EINVAL);
	}
}

struct cpu {
	int64_t user, sys, child_user, child_sys;
};

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static struct cpu cpu_now(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return (struct cpu){tv_ns(self.ru_utime), tv_ns(self.ru_stime), tv_ns(children.ru_utime),
	                    tv_ns(children.ru_stime)};
}

static void print_result(long count, int64_t elapsed, struct cpu c0, struct cpu c1)
{
	printf("OPS %ld %lld %ld\n", count, (long long)elapsed, errors);
	printf("CPU %lld %lld %lld %lld\n", (long long)(c1.user - c0.user), (long long)(c1.sys - c0.sys),
	       (long long)(c1.child_user - c0.child_user), (long long)(c1.child_sys - c0.child_sys));
	if (errors) {
		printf("ERROR %s (%ld errors)\n", first_error, errors);
	}
}

/* The exec chain. Its state travels in argv from one step to the next:
 *   loops exec-step time SECS WARM_END_NS T0_NS COUNT USER0 SYS0
 *   loops exec-step count WARM_LEFT LEFT N
 * Timed: exec until WARM_END_NS, then count execs until T0 + SECS. Counted: WARM_LEFT execs, then
 * LEFT (of N) counted ones (the counters opened by the first step stay attached across execve). */
static int exec_next(char *self, char *const *args)
{
	char *argv[12] = {self, "exec-step"};
	extern char **environ;

	for (int i = 0; args[i] && i < 9; i++) {
		argv[i + 2] = args[i];
		argv[i + 3] = NULL;
	}
	execve(self, argv, environ);
	printf("ERROR execve %s: %s (1 errors)\nOPS 0 1 1\n", self, strerror(errno));
	return 1;
}

static int exec_step_timed(char *self, char **a)
{
	double secs = atof(a[0]);
	long long warm_end = atoll(a[1]), t0 = atoll(a[2]), count = atoll(a[3]);
	int64_t now = now_ns();
	char s[6][32];

	if (t0 == 0 && now >= warm_end) {
		struct cpu c = cpu_now();

		t0 = now;
		snprintf(s[4], sizeof s[4], "%lld", (long long)c.user);
		snprintf(s[5], sizeof s[5], "%lld", (long long)c.sys);
	} else if (t0 != 0) {
		count++;
		if (now >= t0 + (int64_t)(secs * 1e9)) {
			struct cpu c1 = cpu_now(), c0 = {atoll(a[4]), atoll(a[5]), c1.child_user, c1.child_sys};

			print_result((long)count, now - t0, c0, c1);
			return 0;
		}
		snprintf(s[4], sizeof s[4], "%s", a[4]);
		snprintf(s[5], sizeof s[5], "%s", a[5]);
	} else {
		snprintf(s[4], sizeof s[4], "0");
		snprintf(s[5], sizeof s[5], "0");
	}
	snprintf(s[0], sizeof s[0], "%s", a[0]);
	snprintf(s[1], sizeof s[1], "%lld", warm_end);
	snprintf(s[2], sizeof s[2], "%lld", t0);
	snprintf(s[3], sizeof s[3], "%lld", count);
	return exec_next(self, (char *const[]){"time", s[0], s[1], s[2], s[3], s[4], s[5], NULL});
}

static int exec_step_counted(char *self, char **a)
{
	long warm = atol(a[0]), left = atol(a[1]);
	char s[2][32];

	if (warm > 0) {
		/* The counters go on just before the first counted execve and stay on to the last. */
		if (--warm == 0) {
			pc_enable();
		}
	} else if (--left == 0) {
		pc_disable();
		if (pc_report() != 0) {
			printf("ERROR counters lost across execve (1 errors)\n");
			errors = 1;
		}
		printf("OPS %s 0 %ld\n", a[2], errors);
		return errors ? 1 : 0;
	}
	snprintf(s[0], sizeof s[0], "%ld", warm);
	snprintf(s[1], sizeof s[1], "%ld", left);
	return exec_next(self, (char *const[]){"count", s[0], s[1], a[2], NULL});
}

static int exec_step(int argc, char **argv)
{
	if (argc == 9 && !strcmp(argv[2], "time")) {
		return exec_step_timed(argv[0], argv + 3);
	}
	if (argc == 6 && !strcmp(argv[2], "count")) {
		return exec_step_counted(argv[0], argv + 3);
	}
	fprintf(stderr, "loops: bad exec-step arguments\n");
	return 2;
}

static int start_exec(char *self, const char *mode, const char *arg)
{
	char a[3][32];

	if (!strcmp(mode, "count")) {
		char why[200];

		if (pc_open(why, sizeof why) != 0) {
			printf("NOCOUNT %s\n", why);
			return 3;
		}
		snprintf(a[0], sizeof a[0], "%d", 10);
		snprintf(a[1], sizeof a[1], "%s", arg);
		return exec_next(self, (char *const[]){"count", a[0], a[1], a[1], NULL});
	}
	snprintf(a[0], sizeof a[0], "%s", arg);
	snprintf(a[1], sizeof a[1], "%lld", (long long)(now_ns() + 20000000));
	return exec_next(self, (char *const[]){"time", a[0], a[1], "0", "0", "0", "0", NULL});
}

static void (*op_of(const char *kind))(void)
{
	static const struct {
		const char *name;
		void (*op)(void);
	} ops[] = {{"fork", op_fork}, {"vfork", op_vfork}, {"spawn", op_spawn}, {"system", op_system},
	           {"popen", op_popen}, {"poll", op_poll}};

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (!strcmp(kind, ops[i].name)) {
			return ops[i].op;
		}
	}
	return NULL;
}

/* Counted mode: warm-up, then exactly n operations with the counters on. */
static int run_counted(void (*op)(void), long n)
{
	char why[200];

	if (pc_open(why, sizeof why) != 0) {
		printf("NOCOUNT %s\n", why);
		return 3;
	}
	for (int i = 0; i < 10; i++) {
		op();
	}
	pc_enable();
	for (long i = 0; i < n; i++) {
		op();
	}
	pc_disable();
	pc_report();
	printf("OPS %ld 0 %ld\n", n, errors);
	return 0;
}

static int hold(void)
{
	char why[200], c;
	ssize_t r;

	if (pc_open(why, sizeof why) != 0) {
		printf("NOCOUNT %s\n", why);
		return 3;
	}
	printf("HELD\n");
	fflush(stdout);
	while ((r = read(0, &c, 1)) > 0 || (r < 0 && errno == EINTR)) {
	}
	return 0;
}

/* Timed mode: 20 ms of warm-up (page cache, lazy binding, the shim's first calls), then batches
 * of operations until secs have passed. */
static void run_timed(void (*op)(void), int batch, double secs)
{
	int64_t t0, t1, end, warm = now_ns() + 20000000;
	struct cpu c0, c1;
	long count = 0;

	while (now_ns() < warm) {
		op();
	}
	c0 = cpu_now();
	t0 = now_ns();
	end = t0 + (int64_t)(secs * 1e9);
	do {
		for (int i = 0; i < batch; i++) {
			op();
		}
		count += batch;
		t1 = now_ns();
	} while (t1 < end);
	c1 = cpu_now();
	print_result(count, t1 - t0, c0, c1);
}

int main(int argc, char **argv)
{
	void (*op)(void);
	bool counted;
	int pipefd[2] = {-1, -1}, rc = 0;
	pid_t sleeper = -1;

	if (argc >= 2 && !strcmp(argv[1], "exec-step")) {
		return exec_step(argc, argv);
	}
	if (argc == 2 && !strcmp(argv[1], "hold")) {
		return hold();
	}
	counted = argc == 4 && !strcmp(argv[2], "count");
	if (argc != 3 && !counted) {
		fprintf(stderr, "usage: loops fork|vfork|spawn|system|popen|poll|exec SECONDS | KIND count N | hold\n");
		return 2;
	}
	if (!strcmp(argv[1], "exec")) {
		return start_exec(argv[0], counted ? "count" : "time", counted ? argv[3] : argv[2]);
	}
	op = op_of(argv[1]);
	if (!op) {
		fprintf(stderr, "loops: unknown kind %s\n", argv[1]);
		return 2;
	}
	if (op == op_poll) {
		if (pipe(pipefd) != 0) {
			perror("pipe");
			return 2;
		}
		sleeper = fork();
		if (sleeper == 0) {
			char c;

			close(pipefd[1]);
			_exit(read(pipefd[0], &c, 1) < 0);
		}
		close(pipefd[0]);
	}
	if (counted) {
		rc = run_counted(op, atol(argv[3]));
	} else {
		run_timed(op, op == op_poll ? 1000 : 1, atof(argv[2]));
	}
	if (sleeper > 0) {
		int st;

		close(pipefd[1]);
		if (wait_for(sleeper, &st) != sleeper) {
			error("waitpid(sleeper)", errno);
		}
	}
	return rc ? rc : errors ? 1 : 0;
}
