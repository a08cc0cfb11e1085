/* PID 1 programs whose own signal dispositions must win over the shim's emulation (issue 3, "The
 * program's wishes win"). Every mode installs the probe handler first and prints "READY" when the
 * test may send signals. Usage: sig_wishes MODE [SIG]
 *   handler SIG        a handler for SIG; after it ran: "HANDLED <sig>", "CONTINUED", exit 7.
 *   ignore SIG         SIG_IGN for SIG; after one probe: "ALIVE", exit 0.
 *   sigwait SIG        SIG blocked; after one probe: "PENDING <0|1>", then sigtimedwait() for it:
 *                      "WAITED <signo>" (or "WAITED none"), exit 0.
 *   signalfd SIG       the same, read through a signalfd: "PENDING <0|1>", "READ <signo>|READ none".
 *   redfl SIG          a handler for SIG, then SIG_DFL set again; idles.
 *   resethand SIG API  a handler for SIG installed with SA_RESETHAND through API (sigaction or
 *                      sysv_signal); after its first delivery: "HANDLED <sig> <disposition line>"; idles.
 *   report             installs and removes a SIGTERM handler through each of sigaction, signal,
 *                      sigset, bsd_signal and sysv_signal, printing what each returned, and prints
 *                      the disposition of several signals as sigaction reports it ("Q ..." lines); idles.
 *   sigign             SIG_IGN for SIGHUP, SIGUSR2 and SIGPIPE, nothing else; idles.
 * "Idles" means: wait 30 s, then exit SIG_EXIT_IDLE; a run that ends sooner ended by a signal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "sig_util.h"

/* The kernel's flag for glibc's signal trampoline: not in glibc's public headers. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* glibc defines it but declares it only for old X/Open levels. */
extern __sighandler_t bsd_signal(int sig, __sighandler_t handler);

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static const char *handler_name(void (*h)(int))
{
	if (h == SIG_DFL) {
		return "SIG_DFL";
	}
	if (h == SIG_IGN) {
		return "SIG_IGN";
	}
	if (h == SIG_ERR) {
		return "SIG_ERR";
	}
	if (h == on_signal) {
		return "handler";
	}
	return "foreign";
}

/* "disp=<name> flags=<hex> mask=<hex of the first 64 signals> restorer=<0|1>" as sigaction reports
 * sig; flags without SA_RESTORER, which glibc adds on its own and reports back (restorer=). */
static void describe(int sig, char *buf, size_t size)
{
	struct sigaction sa;
	unsigned long long mask = 0;

	if (sigaction(sig, NULL, &sa) != 0) {
		sig_die("sigaction query");
	}
	for (int s = 1; s <= 64 && s < NSIG; s++) {
		if (sigismember(&sa.sa_mask, s) == 1) {
			mask |= 1ULL << (s - 1);
		}
	}
	snprintf(buf, size, "disp=%s flags=%x mask=%llx restorer=%d", handler_name(sa.sa_handler),
		 (unsigned)sa.sa_flags & ~(unsigned)SA_RESTORER, mask, (sa.sa_flags & SA_RESTORER) ? 1 : 0);
}

static int wait_handled(int sig, int n)
{
	int sigs[2] = { sig, 0 };
	return sig_wait_flag(&handled, n, sigs, 20);
}

static int idle(void)
{
	sig_idle(30);
	return SIG_EXIT_IDLE;
}

static int mode_handler(int sig)
{
	sig_handle(sig, on_signal, 0);
	sig_say("READY\n");
	if (!wait_handled(sig, 1)) {
		return SIG_EXIT_IDLE;
	}
	sig_say("HANDLED %d\n", sig);
	sig_say("CONTINUED\n");
	return 7;
}

static int mode_ignore(int sig)
{
	sig_set_disp(sig, SIG_IGN);
	sig_say("READY\n");
	if (!sig_wait_probes(1, 20)) {
		return SIG_EXIT_IDLE;
	}
	sig_say("ALIVE\n");
	return 0;
}

static sigset_t block_one(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		sig_die("sigprocmask");
	}
	return set;
}

static void say_pending(int sig)
{
	sigset_t pending;
	sigpending(&pending);
	sig_say("PENDING %d\n", sigismember(&pending, sig));
}

static int mode_sigwait(int sig)
{
	sigset_t set = block_one(sig);
	sig_say("READY\n");
	if (!sig_wait_probes(1, 20)) {
		return SIG_EXIT_IDLE;
	}
	say_pending(sig);
	struct timespec ts = { 5, 0 };
	siginfo_t si;
	int got = sigtimedwait(&set, &si, &ts);
	if (got > 0) {
		sig_say("WAITED %d\n", got);
	} else {
		sig_say("WAITED none\n");
	}
	return 0;
}

static int mode_signalfd(int sig)
{
	sigset_t set = block_one(sig);
	int fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0) {
		sig_die("signalfd");
	}
	sig_say("READY\n");
	if (!sig_wait_probes(1, 20)) {
		return SIG_EXIT_IDLE;
	}
	say_pending(sig);
	/* signalfd reads whole records; poll first so an empty one cannot block forever. */
	struct signalfd_siginfo info;
	if (sig_wait_readable(fd, 5) && read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
		sig_say("READ %u\n", info.ssi_signo);
	} else {
		sig_say("READ none\n");
	}
	return 0;
}

static int mode_redfl(int sig)
{
	sig_handle(sig, on_signal, 0);
	sig_set_disp(sig, SIG_DFL);
	sig_say("READY\n");
	return idle();
}

static int mode_resethand(int sig, const char *api)
{
	char line[160];

	if (strcmp(api, "sigaction") == 0) {
		sig_handle(sig, on_signal, SA_RESETHAND);
	} else if (strcmp(api, "sysv_signal") == 0) {
		if (sysv_signal(sig, on_signal) == SIG_ERR) {
			sig_die("sysv_signal");
		}
	} else {
		return 2;
	}
	sig_say("READY\n");
	if (!wait_handled(sig, 1)) {
		return SIG_EXIT_IDLE;
	}
	describe(sig, line, sizeof line);
	sig_say("HANDLED %d %s\n", sig, line);
	return idle();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static __sighandler_t call_api(const char *api, int sig, __sighandler_t h)
{
	if (strcmp(api, "signal") == 0) {
		return signal(sig, h);
	}
	if (strcmp(api, "sigset") == 0) {
		return sigset(sig, h);
	}
	if (strcmp(api, "bsd_signal") == 0) {
		return bsd_signal(sig, h);
	}
	if (strcmp(api, "sysv_signal") == 0) {
		return sysv_signal(sig, h);
	}
	struct sigaction sa;
	struct sigaction old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) != 0) {
		return SIG_ERR;
	}
	return old.sa_handler;
}
#pragma GCC diagnostic pop

static int mode_report(void)
{
	static const char *const apis[] = { "sigaction", "signal", "sigset", "bsd_signal", "sysv_signal" };
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM, SIGRTMIN, SIGRTMIN + 5 };
	char line[160];

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		describe(sigs[i], line, sizeof line);
		sig_say("Q start %d %s\n", sigs[i], line);
	}
	for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++) {
		__sighandler_t first = call_api(apis[i], SIGTERM, on_signal);
		describe(SIGTERM, line, sizeof line);
		sig_say("Q %s-set %d %s\n", apis[i], SIGTERM, line);
		__sighandler_t back = call_api(apis[i], SIGTERM, SIG_DFL);
		sig_say("API %s first=%s back=%s\n", apis[i], handler_name(first), handler_name(back));
		describe(SIGTERM, line, sizeof line);
		sig_say("Q %s-dfl %d %s\n", apis[i], SIGTERM, line);
	}
	sig_say("READY\n");
	return idle();
}

static int mode_sigign(void)
{
	sig_set_disp(SIGHUP, SIG_IGN);
	sig_set_disp(SIGUSR2, SIG_IGN);
	sig_set_disp(SIGPIPE, SIG_IGN);
	sig_say("READY\n");
	return idle();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int sig = argc > 2 ? atoi(argv[2]) : SIGTERM;

	sig_install_probe();
	if (strcmp(mode, "handler") == 0) {
		return mode_handler(sig);
	}
	if (strcmp(mode, "ignore") == 0) {
		return mode_ignore(sig);
	}
	if (strcmp(mode, "sigwait") == 0) {
		return mode_sigwait(sig);
	}
	if (strcmp(mode, "signalfd") == 0) {
		return mode_signalfd(sig);
	}
	if (strcmp(mode, "redfl") == 0) {
		return mode_redfl(sig);
	}
	if (strcmp(mode, "resethand") == 0 && argc > 3) {
		return mode_resethand(sig, argv[3]);
	}
	if (strcmp(mode, "report") == 0) {
		return mode_report();
	}
	if (strcmp(mode, "sigign") == 0) {
		return mode_sigign();
	}
	sig_say("usage: sig_wishes MODE [SIG]\n");
	return 2;
}
