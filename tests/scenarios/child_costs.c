/* child_costs: a loop of the program's own child work, for tests/test_costs.c to count the system
 * calls each operation costs with the shim (under strace, as PID 1). Each operation checks its
 * child's status; the run prints "OK <kind>" and exits 0 only when every one was right.
 *   fork     fork + _exit(7) + waitpid
 *   vfork    vfork + _exit(7) + waitpid
 *   spawn    posix_spawn(/bin/sh -c "exit 7") + waitpid
 *   system   system("exit 7")
 *   popen    popen("exit 7", "r") + pclose
 * With "handler" as the third argument the program has a SIGCHLD handler (SA_SIGINFO, SA_RESTART),
 * which must hear of every child: the shim then hands each exit over under the program's mask.
 * With "clonekind" instead, a child made by clone() with no exit signal (only __WALL waits see it)
 * stays alive through the loop: the shim must then look at each reported pid (a clone child could
 * hold it again), which test_costs counts.
 * It also prints "FAULTS <self> <children>": the page faults of the loop (getrusage), in the
 * program and in its children, which test_costs compares with the same loop run without the shim.
 * Usage: child_costs KIND N [handler|clonekind] */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t heard;

static void on_child(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	if (info->si_code == CLD_EXITED && info->si_status == 7) {
		heard++;
	}
}

static pid_t wait_for(pid_t pid, int *status)
{
	pid_t r;

	do {
		r = waitpid(pid, status, 0);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* The clone child: waits for its gate (a pipe) to close at the loop's end. */
static int wait_for_gate(void *arg)
{
	const int *gate = arg;
	char c;

	close(gate[1]);
	while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
	}
	return 0;
}

/* One operation; the wait status it got. */
static int one(const char *kind)
{
	char *const argv[] = {"sh", "-c", "exit 7", NULL};
	int status = -1;
	pid_t pid;

	if (strcmp(kind, "fork") == 0 || strcmp(kind, "vfork") == 0) {
		pid = kind[0] == 'v' ? vfork() : fork();
		if (pid == 0) {
			_exit(7);
		}
		if (pid < 0 || wait_for(pid, &status) != pid) {
			return -1;
		}
	} else if (strcmp(kind, "spawn") == 0) {
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0 || wait_for(pid, &status) != pid) {
			return -1;
		}
	} else if (strcmp(kind, "system") == 0) {
		status = system("exit 7");
	} else if (strcmp(kind, "popen") == 0) {
		FILE *f = popen("exit 7", "r");
		status = f != NULL ? pclose(f) : -1;
	}
	return status;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	bool handler = argc > 3 && strcmp(argv[3], "handler") == 0;
	bool clone_kind = argc > 3 && strcmp(argv[3], "clonekind") == 0;
	static char clone_stack[64 * 1024];
	int gate[2] = {-1, -1};
	pid_t clone_child = 0;
	struct rusage self_before, self_after, children_before, children_after;

	if (n <= 0) {
		fprintf(stderr, "usage: child_costs fork|vfork|spawn|system|popen N [handler|clonekind]\n");
		return 2;
	}
	if (clone_kind) {
		if (pipe(gate) != 0) {
			return 2;
		}
		clone_child = clone(wait_for_gate, clone_stack + sizeof(clone_stack), 0, gate);
		if (clone_child < 0) {
			printf("FAIL clone: %s\n", strerror(errno));
			return 1;
		}
	}
	if (handler) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_child;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, NULL);
	}
	getrusage(RUSAGE_SELF, &self_before);
	getrusage(RUSAGE_CHILDREN, &children_before);
	for (int i = 0; i < n; i++) {
		int status = one(argv[1]);

		if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
			printf("FAIL %s: operation %d: status %#x\n", argv[1], i, (unsigned)status);
			return 1;
		}
	}
	if (clone_kind) {
		int status;

		close(gate[1]);
		if (waitpid(clone_child, &status, __WALL) != clone_child) {
			printf("FAIL clonekind: waitpid(__WALL) of the clone child: %s\n", strerror(errno));
			return 1;
		}
	}
	if (handler && heard != n) {
		printf("FAIL %s: the SIGCHLD handler heard of %d children of %d\n", argv[1], (int)heard, n);
		return 1;
	}
	getrusage(RUSAGE_SELF, &self_after);
	getrusage(RUSAGE_CHILDREN, &children_after);
	printf("FAULTS %ld %ld\n", self_after.ru_minflt - self_before.ru_minflt,
	       children_after.ru_minflt - children_before.ru_minflt);
	printf("OK %s\n", argv[1]);
	return 0;
}
