/* A handler-less PID 1 that brings a termination signal on itself, with a bystander child that
 * catches every such signal but SIGTERM and carries on (the way nginx or Python ignore SIGPIPE).
 * Usage: end_self pipe|raise|kill|itimer|vtalrm|timer|xfsz
 *   pipe    write to a pipe nobody reads: SIGPIPE           raise   raise(SIGUSR1)
 *   kill    kill(getpid(), SIGUSR2)                         itimer  setitimer(ITIMER_REAL): SIGALRM
 *   vtalrm  setitimer(ITIMER_VIRTUAL) and a busy loop       timer   timer_create: SIGRTMIN
 *   xfsz    a write beyond RLIMIT_FSIZE: SIGXFSZ
 * The bystander prints "BYSTANDER got <sig> from <sender pid>" for each signal, and exits 0 after
 * SIGTERM. PID 1 prints "SIGNALLING", does it, then idles 30 s (exit SIG_EXIT_IDLE): a run that
 * ends sooner ended by the signal. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sig_util.h"
#include "write_all.h"

static const int caught[] = {SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGXFSZ, SIGTERM, 0};

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sig_write_fmt(STDOUT_FILENO, "BYSTANDER got %d from %ld\n", sig, (long)si->si_pid);
	if (sig == SIGTERM) {
		_exit(0);
	}
}

static void bystander(int ready)
{
	for (const int *s = caught; *s != 0; s++) {
		sig_handle_info(*s, on_signal, SA_RESTART);
	}
	sig_handle_info(SIGRTMIN, on_signal, SA_RESTART);
	write_all(ready, "r", 1);
	sig_idle(30);
	_exit(SIG_EXIT_IDLE);
}

static void start_timer(int which, long usec)
{
	struct itimerval t = {{0, 0}, {0, usec}};
	if (setitimer(which, &t, NULL) != 0) {
		sig_die("setitimer");
	}
}

static void act(const char *how)
{
	if (strcmp(how, "pipe") == 0) {
		int fds[2];
		if (pipe(fds) != 0) {
			sig_die("pipe");
		}
		close(fds[0]);
		write_all(fds[1], "x", 1);
	} else if (strcmp(how, "raise") == 0) {
		raise(SIGUSR1);
	} else if (strcmp(how, "kill") == 0) {
		kill(getpid(), SIGUSR2);
	} else if (strcmp(how, "itimer") == 0) {
		start_timer(ITIMER_REAL, 10000);
	} else if (strcmp(how, "vtalrm") == 0) {
		start_timer(ITIMER_VIRTUAL, 10000);
		for (volatile unsigned long spin = 0; sig_now() > 0; spin++) {
		}
	} else if (strcmp(how, "timer") == 0) {
		struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
		struct itimerspec when = {{0, 0}, {0, 10000000}};
		timer_t timer;
		if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0 || timer_settime(timer, 0, &when, NULL) != 0) {
			sig_die("timer");
		}
	} else if (strcmp(how, "xfsz") == 0) {
		char path[] = "/tmp/reap-xfsz-XXXXXX";
		int fd = mkstemp(path);
		struct rlimit one = {1, 1};
		if (fd < 0 || unlink(path) != 0 || setrlimit(RLIMIT_FSIZE, &one) != 0) {
			sig_die("xfsz setup");
		}
		write_all(fd, "xy", 2);
	} else {
		sig_say("usage: end_self pipe|raise|kill|itimer|vtalrm|timer|xfsz\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int ready;

	if (argc != 2) {
		sig_say("usage: end_self pipe|raise|kill|itimer|vtalrm|timer|xfsz\n");
		return 2;
	}
	pid_t pid = sig_fork_reporting(&ready);
	if (pid == 0) {
		bystander(ready);
	}
	sig_await_step(ready, 'r', "bystander not ready");
	sig_say("SIGNALLING\n");
	act(argv[1]);
	sig_idle(30);
	return SIG_EXIT_IDLE;
}
