/* orphan_storm: the storm of foreign orphans (lib/storm.c) as a program of its own, for a program
 * that cannot link the scenario library (the Go program of tests/test_go.c runs it as a child).
 * It prints "STORM READY", makes orphans until its standard input ends, then ends the storm and
 * exits 0, or 1 when the storm reported a failure. Run it only in a PID namespace of its own: the
 * orphans go to PID 1 of the namespace (the program, or the split-mode init above it). */
#include <errno.h>
#include <unistd.h>

#include "scn.h"

int main(void)
{
	char c;

	scn_init();
	scn_stage("storm", 120);
	storm_start_for(1);
	scn_say("STORM READY");
	while (read(STDIN_FILENO, &c, 1) > 0 || errno == EINTR) {
	}
	storm_stop();
	return scn_failures() == 0 ? 0 : 1;
}
