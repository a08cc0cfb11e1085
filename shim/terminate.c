/* terminate.c: owns the end of PID 1: the termination signals the kernel would drop for a
 * namespace's init while the program leaves them at SIG_DFL, and PID 1's own exit (exit, return
 * from main, _exit, _Exit, quick_exit, syscall(SYS_exit_group)).
 *
 * Either way the rest of the namespace is told first (the signal, or SIGTERM at an exit), PID 1
 * reaps what ends within the grace period (REAP_GRACE), and then exits: with 128+N after signal N,
 * the status a runtime reports for a death by that signal, since the kernel will not let an init
 * die of it. Fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) and SIGABRT are never
 * touched: the kernel delivers those even to an init, and they must still dump core. */
#include "terminate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "config.h"
#include "log.h"
#include "real.h"
#include "signals.h"

#define POLL_NS (20 * 1000 * 1000) /* only matters while SIGCHLD is ignored and so never arrives */

static const int terminating[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
	SIGSTKFLT, SIGIO, SIGPWR, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
};

static int shutting_down;
/* What the grace period waits for: SIGCHLD, and the termination signals, to pass them on too. */
static sigset_t drain_wakers;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void reap_what_has_ended(void)
{
	for (;;) {
		siginfo_t info;

		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_ALL, 0, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
			return;
		}
	}
}

/* Tells the namespace, then reaps until it is empty or the grace period is over. SIGCHLD and the
 * termination signals must be blocked in the calling thread. */
void terminate_drain(int sig)
{
	long long deadline = now_ns() + config.grace_ms * 1000000LL;

	if (kill(-1, sig) != 0) {
		reap_what_has_ended(); /* ESRCH: PID 1 is alone */
		return;
	}
	for (;;) {
		siginfo_t info;
		long long left;

		reap_what_has_ended();
		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) {
			return; /* no child left, hence no descendant */
		}
		left = deadline - now_ns();
		if (left <= 0) {
			return;
		}
		struct timespec wait = {0, left < POLL_NS ? left : POLL_NS};
		int got = LIBC(sigtimedwait)(&drain_wakers, NULL, &wait);
		struct sigaction program;

		if (got > 0 && got != SIGCHLD) {
			signals_program_action(got, &program);
			if (program.sa_handler == SIG_DFL) {
				kill(-1, got); /* a second termination signal: the namespace gets it too */
			}
		}
	}
}

/* Another thread is already ending the process: this one never returns to the program. */
static void __attribute__((noreturn)) park(void)
{
	sigset_t all;

	sigfillset(&all);
	for (;;) {
		sigsuspend(&all);
	}
}

static void say(const char *what, int sig, int code)
{
	struct log_line line;

	if (config.verbose < 1) {
		return;
	}
	log_begin(&line);
	log_str(&line, what);
	log_int(&line, sig);
	log_str(&line, "; exit status ");
	log_int(&line, code);
	log_end(&line);
}

static int final_status(int status)
{
	return config_maps_to_zero(status & 0xff) ? 0 : status;
}

/* The default action of a terminating signal, for an inert copy of the handler (a forked child):
 * die of it exactly as the kernel would have made it. */
static void die_of(int sig)
{
	struct sigaction dfl;
	sigset_t one;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	LIBC(sigaction)(sig, &dfl, NULL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	LIBC(syscall)(SYS_tgkill, getpid(), gettid(), sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
}

static void on_terminate(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	int code;

	(void)info;
	(void)context;
	if (!reap_is_init()) {
		die_of(sig);
		errno = saved_errno;
		return;
	}
	if (__atomic_exchange_n(&shutting_down, 1, __ATOMIC_SEQ_CST)) {
		kill(-1, sig); /* a second signal while draining: pass it on as well */
		park();
	}
	code = final_status(128 + sig);
	say("PID 1 has no handler for signal ", sig, code);
	terminate_drain(sig);
	LIBC(_exit)(code);
}

/* SIG_DFL is emulated; anything else is the program's (an SA_RESETHAND handler falls back to the
 * emulated default after its first run: signals.c). */
static void terminate_policy(const struct sigaction *program, struct sigaction *kernel)
{
	*kernel = *program;
	if (program->sa_handler == SIG_DFL) {
		memset(kernel, 0, sizeof(*kernel));
		kernel->sa_sigaction = on_terminate;
		sigfillset(&kernel->sa_mask);
		kernel->sa_flags = SA_SIGINFO | SA_RESTART;
	}
}

int terminate_at_exit(int status)
{
	sigset_t all;

	if (!reap_is_init()) {
		return status;
	}
	if (__atomic_exchange_n(&shutting_down, 1, __ATOMIC_SEQ_CST)) {
		park();
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	terminate_drain(SIGTERM);
	return final_status(status);
}

static void at_exit(int status, void *arg)
{
	int code = terminate_at_exit(status);

	(void)arg;
	if ((code & 0xff) != (status & 0xff)) {
		fflush(NULL);
		LIBC(_exit)(code);
	}
}

static void at_quick_exit_hook(void)
{
	terminate_at_exit(0);
}

REAP_EXPORT void _exit(int status)
{
	LIBC(_exit)(terminate_at_exit(status));
}

REAP_EXPORT void _Exit(int status)
{
	LIBC(_Exit)(terminate_at_exit(status));
}

void terminate_init(void)
{
	if (getpid() != 1) {
		return;
	}
	on_exit(at_exit, NULL);
	at_quick_exit(at_quick_exit_hook);
	sigemptyset(&drain_wakers);
	sigaddset(&drain_wakers, SIGCHLD);
	if (!config.emulate_signals) {
		return;
	}
	signals_claim_handler((void *)on_terminate);
	for (size_t i = 0; i < sizeof(terminating) / sizeof(terminating[0]); i++) {
		signals_manage(terminating[i], terminate_policy);
		sigaddset(&drain_wakers, terminating[i]);
	}
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		signals_manage(sig, terminate_policy);
		sigaddset(&drain_wakers, sig);
	}
}
