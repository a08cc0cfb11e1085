/* core_entries: the entry points whose meaning is the C library's own (glibc's and musl's differ,
 * and one library may lack a name the other has) behave under the shim exactly as the library the
 * program runs on makes them, under a storm of foreign orphans. Each variant prints what the calls
 * returned and did, so that a test compares the transcript with plain libc's.
 *   signal     signal, bsd_signal, __sysv_signal, and glibc's sysv_signal and ssignal: the action
 *              each sets (flags, the signal masked in its own handler), a delivery, signal() after
 *              siginterrupt() (glibc remembers it, musl does not), and sigaction for the signals
 *              below SIGRTMIN that libc keeps for itself (glibc: 32, 33; musl: 32, 33, 34)
 *   sigwaits   sigpause with the signal pending, sigwait
 *   select     select's timeout after it ran out (glibc counts the caller's down, musl leaves it)
 *   popen      popen's modes ("er", "rw"), and fclose of a popen stream (glibc's waits for the
 *              child, musl's leaves it to the program)
 * Usage: core_entries signal|sigwaits|select|popen|all */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

typedef void (*handler_t)(int);

/* Not all of these are declared by default; sigpause is deprecated, which is not a reason for the
 * shim to get it wrong. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
extern handler_t bsd_signal(int sig, handler_t handler);
extern handler_t __sysv_signal(int sig, handler_t handler);
#if defined(__GLIBC__)
extern handler_t sysv_signal(int sig, handler_t handler);
extern handler_t ssignal(int sig, handler_t handler);
#endif

#define SIG SIGUSR2

static volatile sig_atomic_t runs;

static void on_sig(int sig)
{
	(void)sig;
	runs++;
}

/* ---- signal and its relatives ---------------------------------------------------------------- */

static const char *handler_name(handler_t h)
{
	return h == SIG_DFL ? "SIG_DFL" : h == SIG_IGN ? "SIG_IGN" : h == on_sig ? "on_sig" : h == SIG_ERR ? "SIG_ERR" : "?";
}

/* The action the program sees for SIG: handler, the flags a program chooses, and whether SIG is
 * masked while its handler runs. */
static void show_action(const char *when)
{
	struct sigaction now;

	if (sigaction(SIG, NULL, &now) != 0) {
		scn_fail("%s: sigaction: %s", when, strerror(errno));
		return;
	}
	scn_say("%s: %s%s%s%s%s, masks itself %d", when, handler_name(now.sa_handler),
	        now.sa_flags & SA_RESTART ? " SA_RESTART" : "", now.sa_flags & SA_RESETHAND ? " SA_RESETHAND" : "",
	        now.sa_flags & SA_NODEFER ? " SA_NODEFER" : "", now.sa_flags & SA_SIGINFO ? " SA_SIGINFO" : "",
	        sigismember(&now.sa_mask, SIG));
}

static void reset_default(void)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIG, &dfl, NULL);
}

static void try_api(const char *name, handler_t (*api)(int, handler_t))
{
	errno = 0;
	handler_t old = api(SIG, on_sig);
	scn_say("%s(on_sig) -> %s", name, handler_name(old));
	show_action(name);
	runs = 0;
	raise(SIG);
	scn_say("%s: the handler ran %d time(s)", name, (int)runs);
	show_action("after one delivery");
	errno = 0;
	old = api(NSIG + 1, on_sig);
	scn_say("%s(NSIG + 1) -> %s (%s)", name, handler_name(old), strerror(errno));
	reset_default();
}

static void variant_signal(void)
{
	scn_stage("signal", 10);
	try_api("signal", signal);
	try_api("bsd_signal", bsd_signal);
	try_api("__sysv_signal", __sysv_signal);
#if defined(__GLIBC__)
	try_api("sysv_signal", sysv_signal);
	try_api("ssignal", ssignal);
#endif
	if (siginterrupt(SIG, 1) != 0) {
		scn_fail("siginterrupt(1): %s", strerror(errno));
	}
	signal(SIG, on_sig);
	show_action("signal() after siginterrupt(1)");
	siginterrupt(SIG, 0);
	signal(SIG, on_sig);
	show_action("signal() after siginterrupt(0)");
	reset_default();

	scn_say("SIGRTMIN is %d", SIGRTMIN);
	for (int sig = 32; sig <= SIGRTMIN; sig++) {
		struct sigaction act, old;
		memset(&act, 0, sizeof act);
		act.sa_handler = on_sig;
		errno = 0;
		int r = sigaction(sig, &act, &old);
		scn_say("sigaction(%d, on_sig) -> %d (%s)", sig, r, r == 0 ? "-" : strerror(errno));
		if (r == 0) {
			sigaction(sig, &old, NULL);
		}
	}
}

/* ---- the waits for a signal -------------------------------------------------------------------- */

static void variant_sigwaits(void)
{
	scn_stage("sigwaits", 10);
	sigset_t one, saved;
	sigemptyset(&one);
	sigaddset(&one, SIG);

	signal(SIG, on_sig);
	sigprocmask(SIG_BLOCK, &one, &saved);
	raise(SIG);
	runs = 0;
	errno = 0;
	int r = sigpause(SIG);
	int err = errno;
	scn_say("sigpause with the signal pending -> %d (%s), the handler ran %d time(s)", r, strerror(err),
	        (int)runs);

	raise(SIG);
	int got = 0;
	r = sigwait(&one, &got);
	scn_say("sigwait with the signal pending -> %d, signal %s", r, got == SIG ? "SIGUSR2" : "?");
	sigprocmask(SIG_SETMASK, &saved, NULL);
	reset_default();
}

/* ---- select's timeout ------------------------------------------------------------------------- */

static void variant_select(void)
{
	scn_stage("select", 10);
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	for (int i = 0; i < 3; i++) {
		fd_set readable;
		FD_ZERO(&readable);
		FD_SET(fds[0], &readable);
		struct timeval timeout = { 0, 200000 };
		errno = 0;
		int r = select(fds[0] + 1, &readable, NULL, NULL, &timeout);
		scn_say("select on an empty pipe for 0.2 s -> %d (%s), timeout then %ld.%06ld, fd set %d", r,
		        r < 0 ? strerror(errno) : "-", (long)timeout.tv_sec, (long)timeout.tv_usec,
		        FD_ISSET(fds[0], &readable) != 0);
	}
	close(fds[0]);
	close(fds[1]);
}

/* ---- popen ---------------------------------------------------------------------------------------- */

static void try_mode(const char *mode)
{
	errno = 0;
	FILE *f = popen("echo hello", mode);
	if (f == NULL) {
		scn_say("popen(\"%s\") -> NULL (%s)", mode, strerror(errno));
		return;
	}
	char line[64] = "";
	if (fgets(line, sizeof line, f) == NULL) {
		strcpy(line, "nothing\n");
	}
	char t[64];
	scn_say("popen(\"%s\") -> a stream, read %.*s, pclose -> %s", mode, (int)strcspn(line, "\n"), line,
	        st_text(pclose(f), t));
}

static void variant_popen(void)
{
	scn_stage("popen", 20);
	try_mode("r");
	try_mode("er");
	try_mode("rw");
	try_mode("x");

	FILE *f = popen("echo $$; exit 3", "r");
	char line[32] = "";
	if (f == NULL || fgets(line, sizeof line, f) == NULL) {
		scn_fail("popen(\"echo $$; exit 3\"): %s", strerror(errno));
		return;
	}
	pid_t shell = (pid_t)atoi(line);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"
	int rc = fclose(f); /* on purpose */
#pragma GCC diagnostic pop
	char t[64];
	scn_say("fclose of a popen stream -> %s", rc == 0 ? "0" : st_text(rc, t));
	int status = 0;
	errno = 0;
	pid_t got = waitpid(shell, &status, 0);
	if (got == shell) {
		own_add(shell, st_exit(3));
		own_collect("waitpid after fclose", got, status);
	}
	scn_say("then waitpid(the shell) -> %s", got == shell ? st_text(status, t) : strerror(errno));
}

/* ---- main ------------------------------------------------------------------------------------ */

static const struct scn_variant variants[] = {
	{ "signal", variant_signal },
	{ "sigwaits", variant_sigwaits },
	{ "select", variant_select },
	{ "popen", variant_popen },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
	return scn_variants_main(argc, argv, variants, N_VARIANTS, NULL,
	                         "usage: core_entries signal|sigwaits|select|popen|all");
}
