/* split_ctrlc: a terminal's Ctrl-C reaches each process of the foreground group once (issue 8 and
 * issue 9, item 14). Run with the terminal of tests/harness.c (run_opts.tty); the test types Ctrl-C
 * once "READY" is out. The program forks an app that counts its SIGINTs ("APP INT n" each) and, on
 * SIGTERM, prints "APP INTS n" and exits 0. Usage: split_ctrlc [handler]
 *   (none)    the program leaves SIGINT at its default: under split mode it dies of it, and the
 *             init's SIGTERM at the program's end makes the app say how many SIGINTs it got.
 *   handler   the program counts its SIGINTs too ("PROGRAM INT n"); on SIGTERM it prints
 *             "PROGRAM INTS n", ends the app with SIGTERM, waits for it and exits 0. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig_util.h"

static volatile sig_atomic_t ints, terms;
static const char *who = "APP";

static void on_int(int sig)
{
	(void)sig;
	ints++;
	sig_write_fmt(STDOUT_FILENO, "%s INT %d\n", who, (int)ints);
}

static void on_app_term(int sig)
{
	(void)sig;
	sig_write_fmt(STDOUT_FILENO, "APP INTS %d\n", (int)ints);
	_exit(0);
}

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

int main(int argc, char **argv)
{
	bool handler = argc > 1 && strcmp(argv[1], "handler") == 0;
	int fd, status;
	pid_t app = sig_fork_reporting(&fd);

	if (app == 0) {
		/* SIGTERM waits for a SIGINT handler that has begun: both may be pending at once, and the
		 * SIGINT's count must be in when SIGTERM asks for it. */
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_int;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGTERM);
		if (sigaction(SIGINT, &sa, NULL) != 0) {
			sig_die("sigaction");
		}
		sig_handle(SIGTERM, on_app_term, 0);
		if (write(fd, "r", 1) != 1) {
			_exit(SIG_EXIT_BROKEN);
		}
		sig_idle(30);
		_exit(SIG_EXIT_IDLE);
	}
	sig_await_step(fd, 'r', "the app did not start");
	if (handler) {
		const int sigs[] = { SIGTERM, 0 };
		who = "PROGRAM";
		sig_handle(SIGINT, on_int, 0);
		sig_handle(SIGTERM, on_term, 0);
		sig_say("READY\n");
		if (!sig_wait_flag(&terms, 1, sigs, 30)) {
			return SIG_EXIT_IDLE;
		}
		sig_say("PROGRAM INTS %d\n", (int)ints);
		kill(app, SIGTERM);
	} else {
		sig_say("READY\n");
		alarm(30);
	}
	waitpid(app, &status, 0);
	sig_say("app ended\n");
	return 0;
}
