/* PID 1 with a terminal, as `docker run -it` gives it: PID 1 becomes a session leader with its
 * stdin (a pty) as controlling terminal, so its process group is the terminal's foreground group.
 * Usage: end_tty
 * It forks an app into that group and a witness into a group of its own (a background daemon).
 * The app counts its SIGINTs: on the first it tells PID 1, then waits (bounded) until the witness
 * has had a SIGINT, and prints "APP SIGINT count=<n> codes=<si_code of each>" and exits 0. The
 * witness prints "WITNESS SIGINT from <sender pid>" on SIGINT, tells the app and exits 0.
 * PID 1 blocks SIGINT until the app has taken the terminal's ^C, so that whatever PID 1 does with
 * its own ^C comes after the app's first. It prints "READY" once both are in place, then idles 30 s
 * (exit SIG_EXIT_IDLE) with SIGINT at SIG_DFL. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sig_util.h"
#include "write_all.h"

static volatile sig_atomic_t count;
static volatile int codes[8];
static volatile sig_atomic_t witness_sender;
static int to_pid1[2], to_app[2];

static void app_on_int(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (count < 8) {
		codes[count] = si->si_code;
	}
	if (count++ == 0) {
		write_all(to_pid1[1], "g", 1);
	}
}

static void witness_on_int(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	witness_sender = si->si_pid;
	count++;
}

static void unblock_int(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void app(int ready)
{
	char line[160];
	size_t len;

	sig_handle_info(SIGINT, app_on_int, 0);
	unblock_int();
	write_all(ready, "a", 1);
	if (sig_read_byte(to_app[0], 20) != 'w') {
		_exit(SIG_EXIT_IDLE);
	}
	getppid(); /* one more return to user space: a SIGINT sent with the witness's is delivered */
	len = (size_t)snprintf(line, sizeof line, "APP SIGINT count=%d codes=", (int)count);
	for (int i = 0; i < count && i < 8; i++) {
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", i ? "," : "",
					codes[i] == SI_KERNEL ? "kernel" : codes[i] == SI_USER ? "user" : "other");
	}
	sig_say("%s\n", line);
	_exit(0);
}

static void witness(int ready)
{
	int sigs[2] = {SIGINT, 0};

	if (setpgid(0, 0) != 0) {
		sig_die("setpgid");
	}
	sig_handle_info(SIGINT, witness_on_int, 0);
	unblock_int();
	write_all(ready, "w", 1);
	if (!sig_wait_flag(&count, 1, sigs, 20)) {
		_exit(SIG_EXIT_IDLE);
	}
	sig_say("WITNESS SIGINT from %d\n", (int)witness_sender);
	write_all(to_app[1], "w", 1);
	_exit(0);
}

int main(void)
{
	sigset_t s;
	int ready[2];

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigprocmask(SIG_BLOCK, &s, NULL);
	if (setsid() < 0 || ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0) {
		sig_die("setsid/TIOCSCTTY");
	}
	if (pipe(to_pid1) != 0 || pipe(to_app) != 0 || pipe(ready) != 0) {
		sig_die("pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		app(ready[1]);
	}
	pid = fork();
	if (pid == 0) {
		witness(ready[1]);
	}
	if (pid < 0) {
		sig_die("fork");
	}
	for (int i = 0; i < 2; i++) {
		if (sig_read_byte(ready[0], 10) < 0) {
			sig_die("children not ready");
		}
	}
	sig_say("READY pgrp=%d foreground=%d\n", (int)getpgrp(), (int)tcgetpgrp(STDIN_FILENO));
	if (sig_read_byte(to_pid1[0], 20) != 'g') {
		return SIG_EXIT_IDLE;
	}
	unblock_int();
	sig_idle(30);
	return SIG_EXIT_IDLE;
}
