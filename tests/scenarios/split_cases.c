/* split_cases: what split mode (REAP_MODE=split, the program under a separate init) changes for a
 * program, and what in-process mode cannot give it (issue 8). Usage: split_cases VARIANT
 *   whoami    prints "pid N", the command name of its parent ("parent reap-init" under split mode)
 *             and what it sees of REAP_MODE; a program it executes prints "probe parent NAME": the
 *             descendant must not split again (the opt-in is pinned to PID 1)
 *   getppid   a child polls getppid() == 1 as "my parent died" (old ipykernel's parent poller)
 *             for a while and fails if it ever sees it
 *   signalfd  SIGCHLD blocked and read through a signalfd only, no wait call while the storm runs:
 *             no orphan may stay a zombie, and the signalfd reports no foreign child
 * Each runs under the storm of foreign orphans (SCN_STORM). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

extern char **environ;

static const char *command_name(pid_t pid, char buf[32])
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, 32, f) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
		}
		fclose(f);
	}
	return buf;
}

static const char *self_path;

static void whoami(void)
{
	char comm[32];
	const char *mode = getenv("REAP_MODE");
	scn_stage("whoami", 20);
	scn_say("pid %d", (int)getpid());
	scn_say("parent %s", command_name(getppid(), comm));
	scn_say("REAP_MODE %s", mode != NULL ? mode : "(unset)");

	char *args[] = { (char *)self_path, (char *)"probe", NULL };
	pid_t p;
	if (posix_spawn(&p, self_path, NULL, NULL, args, environ) != 0) {
		scn_broken("posix_spawn");
	}
	own_add(p, st_exit(0));
	int status;
	if (waitpid(p, &status, 0) == p) {
		own_collect("waitpid(probe)", p, status);
	}
}

static void getppid_poller(void)
{
	int polls = scn_scale(200);
	scn_stage("getppid", 20);
	pid_t x = own_fork(st_exit(0));
	if (x == 0) {
		for (int i = 0; i < polls; i++) {
			if (getppid() == 1) {
				_exit(1); /* "my parent died": the kernel re-parented me to the init */
			}
			scn_nap(0.001);
		}
		_exit(0);
	}
	int status;
	if (waitpid(x, &status, 0) == x) {
		own_collect("waitpid(getppid poller)", x, status);
	}
	scn_say("getppid poller %s", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "saw its parent" : "saw 1");
}

/* Drains the signalfd; a report of a child that is not ours is a FAIL. */
static void drain(int sfd)
{
	struct signalfd_siginfo si[16];
	ssize_t n;
	while ((n = read(sfd, si, sizeof si)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			if (!own_is((pid_t)si[i].ssi_pid)) {
				scn_fail("signalfd reported foreign child %d", (int)si[i].ssi_pid);
			}
		}
	}
}

static int zombies_anywhere(void)
{
	int zombies, live;
	kids_count_foreign(&zombies, &live);
	pid_t reaper = scn_orphan_reaper();
	if (reaper != 0 && reaper != getpid()) {
		zombies += proc_zombie_children(reaper);
	}
	return zombies;
}

static void signalfd_only(void)
{
	sigset_t set, old;
	scn_stage("signalfd", 30);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		scn_broken("signalfd");
	}
	storm_batches(5);
	storm_pause();
	double end = scn_now() + 5;
	int zombies = zombies_anywhere();
	while (zombies != 0 && scn_now() < end) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		poll(&pfd, 1, 2);
		drain(sfd);
		zombies = zombies_anywhere();
	}
	if (zombies != 0) {
		scn_fail("zombies left while SIGCHLD is only read through a signalfd: %d", zombies);
	}
	drain(sfd);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	storm_resume();
	scn_say("signalfd: done");
}

static const struct scn_variant variants[] = {
	{ "whoami", whoami },
	{ "getppid", getppid_poller },
	{ "signalfd", signalfd_only },
};

int main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc > 1 && strcmp(argv[1], "probe") == 0) {
		char comm[32];
		printf("probe parent %s\n", command_name(getppid(), comm));
		return 0;
	}
	return scn_variants_main(argc, argv, variants, sizeof variants / sizeof variants[0], NULL,
	                         "usage: split_cases whoami|getppid|signalfd|all");
}
