/* core_blocked: a program that keeps SIGCHLD blocked and learns of its children through signalfd or
 * sigtimedwait still gets every own status exactly once, never a foreign pid, and ends with no
 * zombies: foreign orphans are swept by its wait calls (issue 2, property 4).
 * Usage: core_blocked signalfd|sigwaitinfo */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scn.h"

/* Wait (at most a second) for news of a SIGCHLD; its content is not used. */
static void await_sigchld(int sfd, const sigset_t *set)
{
	if (sfd >= 0) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		if (poll(&pfd, 1, 1000) > 0) {
			struct signalfd_siginfo si[16];
			if (read(sfd, si, sizeof si) < 0 && errno != EAGAIN) {
				scn_fail("read(signalfd): %s", strerror(errno));
			}
		}
	} else {
		struct timespec ts = { 1, 0 };
		siginfo_t si;
		sigtimedwait(set, &si, &ts);
	}
}

int main(int argc, char **argv)
{
	bool use_signalfd = argc > 1 && strcmp(argv[1], "signalfd") == 0;
	scn_init();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = use_signalfd ? signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
	if (use_signalfd && sfd < 0) {
		scn_broken("signalfd");
	}
	storm_start();

	scn_stage(use_signalfd ? "signalfd" : "sigtimedwait", 30);
	int n = scn_scale(12);
	struct gate g;
	gate_make(&g);
	for (int i = 0; i < n; i++) {
		kid_gated(&g, i % 4 == 3 ? -SIGTERM : 20 + i);
	}
	storm_batches(3);
	gate_release(&g, n);
	int own = 0;
	double end = scn_now() + 20;
	while (own < n && scn_now() < end) {
		await_sigchld(sfd, &set);
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (own_collect("waitpid(-1, WNOHANG) after a blocked SIGCHLD", pid, status)) {
				own++;
			}
		}
	}
	gate_close(&g);
	scn_expect_int("own children collected", n, own);
	scn_say("%s: %d own children collected with SIGCHLD blocked", use_signalfd ? "signalfd" : "sigtimedwait", own);
	/* SIGCHLD stays blocked to the end: no handler can reap, only the wait calls can sweep */
	return scn_finish();
}
