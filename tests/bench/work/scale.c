/* scale children N OPS SECS | scale orphans K M reap|keep: the program of the scaling runs (issue #9:
 * every event must cost O(1) amortised, whatever the number of live or zombie own children).
 *
 * children: first one own child that exits at once and is left a zombie (first in the kernel's line,
 *   as in issue #9 item 12); then fork N children that each block on a gate pipe, so that all N are
 *   alive at once (FORK); then fork + _exit + waitpid(pid) while the N are alive, OPS times or for
 *   SECS seconds, whichever comes first, so that a slow library still gets its cost measured (ALIVE);
 *   then close the gate, so that all N exit at once, and wait for any child until none is left, the
 *   way a program waits for all its workers (EXIT; the zombie in front goes first).
 * orphans: fork K children that exit at once and are never waited for, and wait (WNOWAIT) until each
 *   is a zombie (ZOMBIES); then make M orphans one after the other, each by a middle process that
 *   forks it and exits, the program waiting for each middle by pid. With `reap`, someone else is to
 *   reap the orphans (reap.so in this very process, or a wrapper init): wait until PID 1 has no more
 *   children than before the orphans. With `keep` nobody reaps (bare PID 1): only the making is
 *   timed.
 *
 * Prints FORK N ns, ALIVE ops_done ns, EXIT N ns, ZOMBIES K ns, ORPHANS M made_ns reaped_ns, each as
 * soon as its phase is over (so that a run killed at its time limit still shows the phases it
 * finished), and ERROR <what> on a failure (exit 1). The driver bounds the run in time. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int fail(const char *what, int err)
{
	printf("ERROR %s: %s\n", what, strerror(err));
	fflush(stdout);
	return 1;
}

/* Wait for pid (-1: any child) and check that it exited with 0. */
static int wait_exited(pid_t pid)
{
	int st;
	pid_t w;

	do {
		w = waitpid(pid, &st, 0);
	} while (w < 0 && errno == EINTR);
	if (w < 0 || (pid > 0 && w != pid)) {
		return fail("waitpid", errno);
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : fail("child status", EINVAL);
}

/* Until pid has exited, without reaping it. */
static int wait_zombie(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

static void report(const char *what, long n, int64_t ns)
{
	printf("%s %ld %lld\n", what, n, (long long)ns);
	fflush(stdout);
}

/* The children of PID 1, zombies included: one read of /proc/1/task/1/children (PID 1 has one
 * thread, under reap.so and under the wrappers alike). */
static long pid1_children(void)
{
	char buf[8192];
	long n = 0;
	ssize_t len;
	int fd = open("/proc/1/task/1/children", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return -1;
	}
	while ((len = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < len; i++) {
			n += buf[i] == ' ';
		}
	}
	close(fd);
	return n;
}

static int make_zombies(long k)
{
	pid_t *pid = calloc((size_t)(k > 0 ? k : 1), sizeof *pid);
	int64_t t = now_ns();

	if (!pid) {
		return fail("calloc", errno);
	}
	for (long i = 0; i < k; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			return fail("fork", errno);
		}
		if (pid[i] == 0) {
			_exit(0);
		}
	}
	for (long i = 0; i < k; i++) {
		if (wait_zombie(pid[i]) != 0) {
			return fail("waitid(WNOWAIT)", errno);
		}
	}
	free(pid);
	report("ZOMBIES", k, now_ns() - t);
	return 0;
}

static int children(long n, long ops, double secs)
{
	pid_t *pid = calloc((size_t)n, sizeof *pid);
	int gate[2];
	int64_t t;
	long made = 0;
	int rc = 0;

	pid_t head;

	if (!pid || pipe(gate) != 0) {
		return fail("setup", errno);
	}
	head = fork();
	if (head == 0) {
		_exit(0);
	}
	if (head < 0 || wait_zombie(head) != 0) {
		return fail("the head zombie", errno);
	}
	t = now_ns();
	for (; made < n; made++) {
		pid[made] = fork();
		if (pid[made] < 0) {
			rc = fail("fork", errno);
			break;
		}
		if (pid[made] == 0) {
			char c;

			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
			}
			_exit(0);
		}
	}
	if (rc == 0) {
		int64_t end;
		long done = 0;

		report("FORK", n, now_ns() - t);
		t = now_ns();
		end = t + (int64_t)(secs * 1e9);
		for (; done < ops && rc == 0 && (done == 0 || now_ns() < end); done++) {
			pid_t p = fork();

			if (p == 0) {
				_exit(0);
			}
			rc = p < 0 ? fail("fork", errno) : wait_exited(p);
		}
		if (rc == 0) {
			report("ALIVE", done, now_ns() - t);
		}
	}
	t = now_ns();
	close(gate[1]);
	for (long i = 0; i <= made; i++) {
		rc |= wait_exited(-1);
	}
	if (rc == 0) {
		report("EXIT", n, now_ns() - t);
	}
	free(pid);
	return rc;
}

static int orphans(long k, long m, int reaped)
{
	const struct timespec ms = {0, 1000000};
	int64_t t, made;
	long before;

	if (make_zombies(k) != 0) {
		return 1;
	}
	before = pid1_children();
	if (reaped && before < 0) {
		return fail("/proc/1/task/1/children", errno);
	}
	t = now_ns();
	for (long i = 0; i < m; i++) {
		pid_t middle = fork();

		if (middle == 0) {
			pid_t o = fork();

			if (o == 0) {
				_exit(0);
			}
			_exit(o < 0);
		}
		if (middle < 0) {
			return fail("fork", errno);
		}
		if (wait_exited(middle) != 0) {
			return 1;
		}
	}
	made = now_ns() - t;
	/* Nothing tells this process when another one reaps: look, once a millisecond (bounded by the
	 * driver's time limit). */
	while (reaped && pid1_children() > before) {
		nanosleep(&ms, NULL);
	}
	printf("ORPHANS %ld %lld %lld\n", m, (long long)made, (long long)(reaped ? now_ns() - t : made));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "children")) {
		return children(atol(argv[2]), atol(argv[3]), atof(argv[4]));
	}
	if (argc == 5 && !strcmp(argv[1], "orphans")) {
		return orphans(atol(argv[2]), atol(argv[3]), !strcmp(argv[4], "reap"));
	}
	fprintf(stderr, "usage: scale children N OPS SECS | scale orphans K M reap|keep\n");
	return 2;
}
