/* core_subreaper: with REAP_MODE=subreaper outside PID 1, the program is a child subreaper: orphans
 * of its descendants come to it and are reaped, its own children stay its own, and neither its
 * forked children nor programs they execute inherit the opt-in (issue 2, property 2). It prints:
 *   subreaper N                  PR_GET_CHILD_SUBREAPER of the program
 *   forked child subreaper N     ... of a forked child
 *   probe subreaper=N            ... of a child that executed this program again (preload and all)
 * SCN_SELF_SUBREAPER=1 makes the program a subreaper by itself (the negative control, no shim).
 * Usage: core_subreaper | core_subreaper probe */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

extern char **environ;

static int subreaper(void)
{
	int v = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
	return v;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "probe") == 0) {
		scn_say("probe subreaper=%d", subreaper());
		return 0;
	}
	scn_init();
	const char *self = getenv("SCN_SELF_SUBREAPER");
	if (self != NULL && strcmp(self, "1") == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	}
	scn_say("subreaper %d", subreaper());
	storm_start();
	storm_batches(3);

	scn_stage("descendants", 20);
	pid_t x = own_fork(OWN_ANY);
	if (x == 0) {
		_exit(subreaper() == 0 ? 0 : 1);
	}
	int status;
	if (waitpid(x, &status, 0) == x) {
		own_collect("waitpid(forked child)", x, status);
	}
	scn_say("forked child subreaper %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	char *args[] = { argv[0], (char *)"probe", NULL };
	pid_t p;
	if (posix_spawn(&p, "/proc/self/exe", NULL, NULL, args, environ) != 0) {
		scn_broken("posix_spawn");
	}
	own_add(p, st_exit(0));
	if (waitpid(p, &status, 0) == p) {
		own_collect("waitpid(probe)", p, status);
	}

	scn_stage("orphans of descendants", 20);
	struct foreign f;
	foreign_make(&f, 7, NULL);
	foreign_release(&f);
	if (scn_reaper() && !proc_wait_state(f.pid, 0, 5)) {
		scn_fail("orphan %d of a descendant ended and was not reaped: state '%c'", (int)f.pid, proc_state(f.pid));
	}
	struct gate g;
	gate_make(&g);
	for (int i = 0; i < 4; i++) {
		kid_gated(&g, 70 + i);
	}
	storm_batches(2);
	gate_release(&g, 4);
	for (int i = 0, calls = 0; i < 4 && calls < 50; calls++) {
		pid_t got = wait(&status);
		if (got < 0) {
			scn_fail("wait(): %s", strerror(errno));
			break;
		}
		i += own_collect("wait()", got, status);
	}
	gate_close(&g);
	return scn_finish();
}
