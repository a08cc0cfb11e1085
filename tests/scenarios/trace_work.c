/* trace_work: the program that `strace -f`, as PID 1 of the namespace, runs in test_trace. It forks
 * and spawns children and checks each status, while middle processes it forks leave grandchildren
 * behind as orphans (they end at once, die of a signal, or live on a little): PID 1, strace, gets
 * them and traces them too, since they descend from this program. Prints "RESULT ok" and exits 0
 * when every status held. */
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

extern char **environ;

/* A middle process that leaves three orphans behind and exits 0. */
static void orphans(int round)
{
	int status;
	pid_t middle = fork();

	if (middle == 0) {
		if (fork() == 0) {
			_exit(round % 100 + 1);
		}
		if (fork() == 0) {
			raise(SIGKILL);
		}
		if (fork() == 0) {
			/* Outlives its parent: re-parented to PID 1 while it runs. */
			for (int i = 0; i < 1000 && getppid() != 1; i++) {
				sched_yield();
			}
			_exit(0);
		}
		_exit(0);
	}
	scn_expect_int("waitpid(middle)", middle, waitpid(middle, &status, 0));
	scn_expect_status("middle status", st_exit(0), status);
}

int main(void)
{
	char *argv[] = {"true", NULL};
	int status, rounds;

	scn_init();
	scn_stage("work", 120);
	rounds = scn_scale(30);
	for (int i = 0; i < rounds; i++) {
		pid_t pid;

		orphans(i);
		pid = fork();
		if (pid == 0) {
			_exit(i % 7);
		}
		scn_expect_int("waitpid(fork)", pid, waitpid(pid, &status, 0));
		scn_expect_status("fork status", st_exit(i % 7), status);
		if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != 0) {
			scn_broken("posix_spawnp");
		}
		scn_expect_int("waitpid(spawn)", pid, waitpid(pid, &status, 0));
		scn_expect_status("spawn status", st_exit(0), status);
	}
	scn_say("RESULT %s", scn_failures() == 0 ? "ok" : "FAILED");
	return scn_failures() == 0 ? 0 : 1;
}
