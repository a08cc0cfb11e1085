/* A PID 1 that installs no handler for any termination signal: what `docker stop` usually meets.
 * It installs only the probe handler (SIG_PROBE prints "PROBE <n>"), prints
 *   READY ignored=<its SigIgn, hex> term=<SIG_DFL|SIG_IGN|handler, as sigaction reports SIGTERM>
 * and idles. Usage: sig_idle [--exit-on-probe]
 *   --exit-on-probe  print "ALIVE" and exit(0) after the first probe (a run that ends by itself).
 * Otherwise it idles for 30 s and then exits SIG_EXIT_IDLE: a run that ends sooner ended by a signal. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig_util.h"

static const char *disp_name(int sig)
{
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa) != 0) {
		sig_die("sigaction query");
	}
	if (sa.sa_handler == SIG_DFL) {
		return "SIG_DFL";
	}
	if (sa.sa_handler == SIG_IGN) {
		return "SIG_IGN";
	}
	return "handler";
}

int main(int argc, char **argv)
{
	bool exit_on_probe = argc > 1 && strcmp(argv[1], "--exit-on-probe") == 0;

	sig_install_probe();
	sig_say("READY ignored=%llx term=%s\n", sig_status_mask(getpid(), "SigIgn"), disp_name(SIGTERM));
	if (!exit_on_probe) {
		sig_idle(30);
		return SIG_EXIT_IDLE;
	}
	if (!sig_wait_probes(1, 30)) {
		return SIG_EXIT_IDLE;
	}
	sig_say("ALIVE\n");
	return 0;
}
