/* core_orphans: known foreign orphans, for the REAP_VERBOSE log: each has a command name and an
 * end of its own, and the program prints what they are, e.g.
 *   ORPHAN 12 orph-exit exited 42
 *   OWN 15
 * A test then expects `reap: reaped orphan 12 (orph-exit): exited 42` on stderr, and no such line
 * for an own child. The orphans must be gone (reaped) before the program ends.
 * Usage: core_orphans */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

static const struct {
	const char *comm;
	int code;
} orphans[] = {
	{ "orph-exit", 42 },
	{ "orph-zero", 0 },
	{ "orph-kill", -SIGKILL },
	{ "orph-term", -SIGTERM },
};
#define N_ORPHANS ((int)(sizeof orphans / sizeof orphans[0]))

int main(void)
{
	scn_init();
	storm_start();
	scn_stage("orphans", 20);
	struct foreign f[N_ORPHANS];
	for (int i = 0; i < N_ORPHANS; i++) {
		foreign_make(&f[i], orphans[i].code, orphans[i].comm);
		char t[64];
		int code = orphans[i].code;
		scn_say("ORPHAN %d %s %s", (int)f[i].pid, orphans[i].comm, st_text(code < 0 ? st_signal(-code) : st_exit(code), t));
	}
	pid_t own = kid_exit(5);
	scn_say("OWN %d", (int)own);
	int status;
	if (waitpid(own, &status, 0) == own) {
		own_collect("waitpid(own child)", own, status);
	}
	for (int i = 0; i < N_ORPHANS; i++) {
		foreign_release(&f[i]);
	}
	double end = scn_now() + 5;
	for (int i = 0; i < N_ORPHANS; i++) {
		double left = end - scn_now();
		if (!proc_wait_state(f[i].pid, 0, left > 0 ? left : 0)) {
			scn_fail("orphan %d (%s) ended and was not reaped: state '%c'", (int)f[i].pid, orphans[i].comm,
			         proc_state(f[i].pid));
		}
	}
	return scn_finish();
}
