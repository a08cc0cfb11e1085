/* A PID 1 whose stderr is a pipe nobody reads any more (a log shipper that died), run with
 * REAP_VERBOSE=1: the shim's line about the orphan it reaps must not end PID 1 with the write's
 * SIGPIPE. Prints "ORPHAN REAPED" once the orphan is gone and "ALIVE" at the end, on stdout;
 * exits 0. (Without the shim the orphan stays a zombie: only ALIVE.) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *text)
{
	ssize_t n = write(STDOUT_FILENO, text, strlen(text));
	(void)n;
}

/* Whether pid is gone (reaped by someone), within a bounded poll. */
static int gone_within(pid_t pid, double seconds)
{
	struct timespec pause = {0, 1000000};

	for (double waited = 0; waited < seconds; waited += 0.001) {
		if (kill(pid, 0) != 0 && errno == ESRCH) {
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

int main(void)
{
	int broken[2], handoff[2], release[2];
	pid_t middle, orphan = 0;

	if (pipe(broken) != 0 || pipe(handoff) != 0 || pipe(release) != 0) {
		return 2;
	}
	dup2(broken[1], STDERR_FILENO);
	close(broken[0]); /* the reader is gone */
	close(broken[1]);
	middle = fork();
	if (middle == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			char byte;
			close(release[1]);
			while (read(release[0], &byte, 1) < 0 && errno == EINTR) {
			}
			_exit(0); /* exits once orphaned: the middle's end of `release` closed with it */
		}
		if (write(handoff[1], &grandchild, sizeof(grandchild)) != sizeof(grandchild)) {
			_exit(3);
		}
		_exit(0); /* leaves the grandchild to PID 1 */
	}
	close(release[0]);
	close(release[1]);
	close(handoff[1]);
	if (read(handoff[0], &orphan, sizeof(orphan)) != sizeof(orphan) || waitpid(middle, NULL, 0) != middle) {
		return 2;
	}
	if (gone_within(orphan, 10)) {
		say("ORPHAN REAPED\n");
	}
	say("ALIVE\n");
	return 0;
}
