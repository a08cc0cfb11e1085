/* exec_heir: across an exec of PID 1, the children the old image owned stay the program's and an
 * orphan that happened to be alive stays foreign (the shim hands the list over, exec.c).
 *
 * "parent": makes an own child A and an orphan O (a middle child forks O and exits), then execs
 * itself as "heir" with the pipes that hold both. The heir releases A and expects waitpid(-1) to
 * return it with status 7; then releases O and expects waitpid(-1) to fail with ECHILD (O is no
 * child of the program's), and O's zombie to be gone within a bounded poll. Prints RESULT ok or
 * RESULT FAILED; without the shim, waitpid(-1) returns O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void fail(const char *what, long expected, long got)
{
	printf("FAIL %s: expected %ld, got %ld\n", what, expected, got);
	failures++;
}

/* Blocks until every writer of fd has closed it. */
static void wait_for_eof(int fd)
{
	char c;

	while (read(fd, &c, 1) > 0) {
	}
}

static int count_zombies(void)
{
	FILE *ps = popen("grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l", "r");
	int n = -1;

	if (ps != NULL && fscanf(ps, "%d", &n) != 1) {
		n = -1;
	}
	if (ps != NULL) {
		pclose(ps);
	}
	return n;
}

static int heir(int gate_a, int gate_o, pid_t a)
{
	int status = 0;
	pid_t got;
	struct timespec t0, t;

	close(gate_a);
	got = waitpid(-1, &status, 0);
	if (got != a || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
		fail("waitpid(-1) for the inherited own child (pid)", a, got);
	}
	printf("own child inherited across exec: %s\n", got == a ? "returned" : "missing");
	close(gate_o);
	errno = 0;
	got = waitpid(-1, &status, 0);
	if (got != -1 || errno != ECHILD) {
		fail("waitpid(-1) once only the orphan is left (pid; -1 means ECHILD)", -1, got);
	}
	printf("orphan alive at exec: %s\n", got == -1 ? "foreign" : "returned as own");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (count_zombies() == 0) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	if (count_zombies() != 0) {
		fail("zombies left", 0, count_zombies());
	}
	printf(failures == 0 ? "RESULT ok\n" : "RESULT FAILED %d\n", failures);
	return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int pa[2], po[2];
	pid_t a, middle;
	char fd_a[16], fd_o[16], pid_a[16];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 5 && strcmp(argv[1], "heir") == 0) {
		return heir(atoi(argv[2]), atoi(argv[3]), (pid_t)atoi(argv[4]));
	}
	if (pipe(pa) != 0 || pipe(po) != 0) {
		perror("pipe");
		return 2;
	}
	a = fork();
	if (a == 0) {
		close(pa[1]);
		close(po[0]);
		close(po[1]);
		wait_for_eof(pa[0]);
		_exit(7);
	}
	middle = fork();
	if (middle == 0) {
		if (fork() == 0) { /* O: its parent exits at once, so it goes to PID 1 */
			close(po[1]);
			close(pa[0]);
			close(pa[1]);
			wait_for_eof(po[0]);
			_exit(0);
		}
		_exit(0);
	}
	close(pa[0]);
	close(po[0]);
	if (a < 0 || middle < 0 || waitpid(middle, NULL, 0) != middle) {
		perror("fork");
		return 2;
	}
	snprintf(fd_a, sizeof(fd_a), "%d", pa[1]);
	snprintf(fd_o, sizeof(fd_o), "%d", po[1]);
	snprintf(pid_a, sizeof(pid_a), "%d", (int)a);
	execl("/proc/self/exe", argv[0], "heir", fd_a, fd_o, pid_a, (char *)NULL);
	perror("execl");
	return 2;
}
