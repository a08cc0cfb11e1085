/* A handler-less PID 1 that forks children without exec and kills them: a child is not PID 1, so every
 * signal must kill it exactly as plain libc would, and PID 1's waitpid must see WIFSIGNALED.
 * Usage: sig_forkkill MODE [DIR]
 *   signals   for each of SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN+3: fork an
 *             idling child, kill it with that signal once it is ready, and print
 *             "CHILD sig=<n> status=<raw hex> signaled=<0|1> termsig=<n> core=<0|1>".
 *   quit DIR  the same for SIGQUIT, the child first raising its core limit to the hard limit and
 *             moving to DIR (so a core file, if the system writes one, lands there).
 *   instant   the instant between fork and anything the shim does afterwards, 20 times each:
 *             "kill": PID 1 kills the child right after fork returns; "atfork": the child raises
 *             SIGTERM inside fork (a pthread_atfork child handler); "raise": the child raises SIGTERM
 *             first thing after fork returns. Prints "INSTANT <kind> ok=<n> bad=<n> last=<raw hex>"
 *             where ok counts WIFSIGNALED with SIGTERM.
 * Ends with "DONE" and exit 0. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig_util.h"

static volatile sig_atomic_t raise_in_atfork;

static void atfork_child(void)
{
	if (raise_in_atfork) {
		raise(SIGTERM);
	}
}

static int wait_child(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid) {
		sig_die("waitpid");
	}
	return status;
}

static void report(int sig, int status)
{
	sig_say("CHILD sig=%d status=%x signaled=%d termsig=%d core=%d\n", sig, (unsigned)status,
		WIFSIGNALED(status) ? 1 : 0, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
}

/* Fork a child that idles after saying it is ready (and after moving to dir, if given). */
static int kill_ready_child(int sig, const char *dir)
{
	int fd;
	pid_t pid = sig_fork_reporting(&fd);
	if (pid == 0) {
		if (dir != NULL) {
			struct rlimit rl;
			if (getrlimit(RLIMIT_CORE, &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_CORE, &rl);
			}
			if (chdir(dir) != 0) {
				sig_die("chdir");
			}
		}
		if (write(fd, "r", 1) != 1) {
			sig_die("write");
		}
		sig_idle(20);
		_exit(SIG_EXIT_IDLE);
	}
	sig_await_step(fd, 'r', "child not ready");
	close(fd);
	if (kill(pid, sig) != 0) {
		sig_die("kill");
	}
	return wait_child(pid);
}

static void instant(const char *kind)
{
	int ok = 0;
	int bad = 0;
	int last = 0;

	for (int i = 0; i < 20; i++) {
		raise_in_atfork = strcmp(kind, "atfork") == 0;
		pid_t pid = fork();
		if (pid < 0) {
			sig_die("fork");
		}
		if (pid == 0) {
			if (strcmp(kind, "raise") == 0) {
				raise(SIGTERM);
			}
			sig_idle(20);
			_exit(SIG_EXIT_IDLE);
		}
		raise_in_atfork = 0;
		if (strcmp(kind, "kill") == 0 && kill(pid, SIGTERM) != 0) {
			sig_die("kill");
		}
		int status = wait_child(pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) {
			ok++;
		} else {
			bad++;
			last = status;
		}
	}
	sig_say("INSTANT %s ok=%d bad=%d last=%x\n", kind, ok, bad, (unsigned)last);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "signals") == 0) {
		const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN + 3 };
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
			report(sigs[i], kill_ready_child(sigs[i], NULL));
		}
	} else if (strcmp(mode, "quit") == 0 && argc > 2) {
		report(SIGQUIT, kill_ready_child(SIGQUIT, argv[2]));
	} else if (strcmp(mode, "instant") == 0) {
		if (pthread_atfork(NULL, NULL, atfork_child) != 0) {
			sig_die("pthread_atfork");
		}
		instant("kill");
		instant("atfork");
		instant("raise");
	} else {
		sig_say("usage: sig_forkkill signals|quit DIR|instant\n");
		return 2;
	}
	sig_say("DONE\n");
	return 0;
}
