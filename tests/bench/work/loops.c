/* loops KIND SECONDS: the program's own child work, timed from inside. Prints
 *   OPS <count> <elapsed_ns> <errors>
 * and, on an error, one line saying what failed. Exits 1 if any operation failed.
 * KIND: fork (fork + _exit + waitpid), spawn (posix_spawn /bin/true + waitpid), system
 * (system("true")), popen (popen("true") + pclose), poll (waitpid(-1, WNOHANG) while one own
 * child is alive). */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	void (*op)(void) = NULL;
	int batch = 1, pipefd[2] = {-1, -1};
	pid_t sleeper = -1;
	int64_t t0, t1, end, warm;
	long count = 0;
	double secs;

	if (argc != 3) {
		fprintf(stderr, "usage: loops fork|spawn|system|popen|poll SECONDS\n");
		return 2;
	}
	secs = atof(argv[2]);
	if (!strcmp(argv[1], "fork")) {
		op = op_fork;
	} else if (!strcmp(argv[1], "spawn")) {
		op = op_spawn;
	} else if (!strcmp(argv[1], "system")) {
		op = op_system;
	} else if (!strcmp(argv[1], "popen")) {
		op = op_popen;
	} else if (!strcmp(argv[1], "poll")) {
		op = op_poll;
		batch = 1000;
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
	} else {
		fprintf(stderr, "loops: unknown kind %s\n", argv[1]);
		return 2;
	}
	/* warm-up: page cache, lazy binding, the shim's first calls */
	warm = now_ns() + 20000000;
	while (now_ns() < warm) {
		op();
	}
	t0 = now_ns();
	end = t0 + (int64_t)(secs * 1e9);
	do {
		for (int i = 0; i < batch; i++) {
			op();
		}
		count += batch;
		t1 = now_ns();
	} while (t1 < end);
	if (sleeper > 0) {
		int st;

		close(pipefd[1]);
		if (wait_for(sleeper, &st) != sleeper) {
			error("waitpid(sleeper)", errno);
		}
	}
	printf("OPS %ld %lld %ld\n", count, (long long)(t1 - t0), errors);
	if (errors) {
		printf("ERROR %s (%ld errors)\n", first_error, errors);
	}
	return errors ? 1 : 0;
}
