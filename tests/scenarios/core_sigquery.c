/* core_sigquery: sigaction, __sigaction, signal, sigset, bsd_signal and sysv_signal (musl:
 * __sysv_signal) report back the SIGCHLD disposition the program set — never the shim's handler —
 * starting with SIG_DFL in a program that set nothing (issue 2, property 6). It prints every answer,
 * so that a test compares the transcript with plain libc's; a few answers are also checked here.
 * Usage: core_sigquery */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

/* libc's other entry points for dispositions; not all are declared by default, and sigset and
 * sigrelse are deprecated, which is not a reason for the shim to get them wrong. musl has no
 * __sigaction, and its SysV name is __sysv_signal (the same function as its signal). */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
typedef void (*handler_t)(int);
extern handler_t bsd_signal(int sig, handler_t handler);
#if defined(__GLIBC__)
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
extern handler_t sysv_signal(int sig, handler_t handler);
#define SIGACTION_ALIAS __sigaction
#define SYSV_SIGNAL sysv_signal
#else
extern handler_t __sysv_signal(int sig, handler_t handler);
#define SIGACTION_ALIAS sigaction
#define SYSV_SIGNAL __sysv_signal
#endif
#define NAME_OF(fn) #fn
#define NAME(fn) NAME_OF(fn)

static void h1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	(void)ctx;
}

static void h2(int sig)
{
	(void)sig;
}

static void h3(int sig)
{
	(void)sig;
}

static const char *name_of(void (*fn)(int))
{
	if (fn == SIG_DFL) {
		return "SIG_DFL";
	}
	if (fn == SIG_IGN) {
		return "SIG_IGN";
	}
	if (fn == SIG_HOLD) {
		return "SIG_HOLD";
	}
	if ((void *)fn == (void *)h1) {
		return "h1";
	}
	if (fn == h2) {
		return "h2";
	}
	if (fn == h3) {
		return "h3";
	}
	return "SOMEONE ELSE'S HANDLER";
}

/* glibc adds SA_RESTORER itself; it is not part of what the program set. */
#define FLAGS_SHOWN(f) ((unsigned)(f) & ~0x04000000u)

static void show(const char *when, const struct sigaction *sa)
{
	scn_say("%s: %s flags 0x%x mask has SIGUSR1 %d", when, name_of(sa->sa_handler), FLAGS_SHOWN(sa->sa_flags),
	        sigismember(&sa->sa_mask, SIGUSR1));
	if (strcmp(name_of(sa->sa_handler), "SOMEONE ELSE'S HANDLER") == 0) {
		scn_fail("%s: sigaction reports a handler the program never set", when);
	}
}

static void query(const char *when)
{
	struct sigaction now;
	memset(&now, 0, sizeof now);
	if (sigaction(SIGCHLD, NULL, &now) != 0) {
		scn_fail("%s: sigaction(SIGCHLD, NULL, &old) failed", when);
	}
	show(when, &now);
}

static void expect_prev(const char *call, void (*prev)(int), const char *expect)
{
	scn_say("%s returned %s", call, name_of(prev));
	if (strcmp(name_of(prev), expect) != 0) {
		scn_fail("%s: expected the previous disposition %s, got %s", call, expect, name_of(prev));
	}
}

/* `call` has just set a new disposition and returned prev: check prev, then query what is set now. */
static void expect_prev_then_query(const char *call, void (*prev)(int), const char *expect)
{
	char after[96];
	expect_prev(call, prev, expect);
	snprintf(after, sizeof after, "after %s", call);
	query(after);
}

int main(void)
{
	scn_init();
	storm_start();
	storm_batches(2);

	scn_stage("queries", 20);
	query("at start");
	struct sigaction start;
	sigaction(SIGCHLD, NULL, &start);
	if (start.sa_handler != SIG_DFL) {
		scn_fail("at start: expected SIG_DFL, the program set nothing");
	}

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(SIGCHLD, &sa, &old);
	show("sigaction(h1) old", &old);
	query("after sigaction(h1)");
	storm_batches(1);
	query("after sigaction(h1), foreign orphans later");

	expect_prev_then_query("signal(h2)", signal(SIGCHLD, h2), "h1");
	expect_prev_then_query("sigset(h3)", sigset(SIGCHLD, h3), "h2");
	expect_prev_then_query("bsd_signal(h2)", bsd_signal(SIGCHLD, h2), "h3");
	expect_prev_then_query(NAME(SYSV_SIGNAL) "(h3)", SYSV_SIGNAL(SIGCHLD, h3), "h2");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	SIGACTION_ALIAS(SIGCHLD, &sa, &old);
	show(NAME(SIGACTION_ALIAS) "(SIG_DFL) old", &old);
	query("after " NAME(SIGACTION_ALIAS) "(SIG_DFL)");

	expect_prev_then_query("signal(SIG_IGN)", signal(SIGCHLD, SIG_IGN), "SIG_DFL");
	expect_prev_then_query("signal(SIG_DFL)", signal(SIGCHLD, SIG_DFL), "SIG_IGN");

	expect_prev("sigset(SIG_HOLD)", sigset(SIGCHLD, SIG_HOLD), "SIG_DFL");
	sigset_t mask;
	sigprocmask(SIG_BLOCK, NULL, &mask);
	scn_say("after sigset(SIG_HOLD): SIGCHLD blocked %d", sigismember(&mask, SIGCHLD));
	sigrelse(SIGCHLD);
	query("after sigrelse");

	/* a forked child sees the same */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t x = own_fork(st_exit(0));
	if (x == 0) {
		query("in a forked child");
		_exit(scn_failures() == 0 ? 0 : 1);
	}
	int status;
	waitpid(x, &status, 0);
	own_collect("waitpid(forked child)", x, status);
	signal(SIGCHLD, SIG_DFL);
	return scn_finish();
}
