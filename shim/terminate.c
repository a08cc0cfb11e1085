/* terminate.c: owns the end of PID 1: the termination signals the kernel would drop for a
 * namespace's init while the program leaves them at SIG_DFL, and what the rest of the namespace
 * gets when PID 1 ends, by a signal or by itself (the exit paths are caught in exit.c).
 *
 * A signal is passed on only to those it was meant for and did not reach: a stop request from
 * another process (docker stop, kill) goes to every other process; a terminal's ^C, ^\ or hangup
 * already reached the terminal's foreground process group, so only the processes outside it get
 * it from PID 1; a signal PID 1 brought on itself (SIGPIPE from its own write, its own timers and
 * limits, raise) is nobody else's business. PID 1 then reaps what ends within the grace period
 * (REAP_GRACE) and exits with 128+N, the status a runtime reports for a death by signal N, since
 * the kernel will not let an init die of it. When PID 1 ends by itself or by its own signal, the
 * others get SIGTERM and the grace period, after whoever reads PID 1's stdout and stderr pipes
 * has taken what is in them. Fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) and
 * SIGABRT are never touched: the kernel delivers those even to an init, and they must still dump
 * core. */
#include "terminate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "config.h"
#include "exit.h"
#include "log.h"
#include "namespace.h"
#include "real.h"
#include "signals.h"

/* How often the grace period looks at the namespace when no SIGCHLD wakes it: a process that is
 * not PID 1's child (entered with docker exec) says nothing when it ends. */
#define NAMESPACE_POLL_NS (10 * 1000 * 1000)
/* How often PID 1 looks whether its output pipes have been read. */
#define PIPE_POLL_NS (1000 * 1000)

static const int terminating[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
	SIGSTKFLT, SIGIO, SIGPWR, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
};

/* Who is ending PID 1: 0 while nobody is, the ending thread's id, then ENDED once the namespace
 * has had its grace period and an exit goes on with the program's own exit handlers. */
#define ENDED (-1)
static pid_t ending;

/* What a grace period in a signal handler waits for: SIGCHLD, and the termination signals, to
 * pass them on too. */
static sigset_t drain_wakers;

enum source {
	STOP_REQUEST,  /* another process asked PID 1 to stop: every other process gets the signal */
	FROM_TERMINAL, /* it reached the terminal's foreground group, PID 1's, already */
	OWN_DOING,     /* PID 1 brought it on itself */
};

static long long grace_ns(void)
{
	return config.grace_ms * 1000000LL;
}

/* Async-signal-safe. */
static enum source source_of(int sig, const siginfo_t *info)
{
	if (info == NULL) {
		return STOP_REQUEST;
	}
	switch (info->si_code) {
	case SI_USER:
	case SI_QUEUE:
	case SI_TKILL:
		/* kill, sigqueue, tgkill (from outside the namespace si_pid is 0). The kernel reports a
		 * SIGPIPE or SIGXFSZ this way too, as sent by the writer itself. */
		return info->si_pid == getpid() ? OWN_DOING : STOP_REQUEST;
	case SI_KERNEL:
		/* ^C, ^\ and a hangup seen by the session leader's exit go to the terminal's foreground
		 * group; a hangup of PID 1's own terminal goes to PID 1 alone, the session leader. Every
		 * other signal the kernel makes for PID 1 comes from its own timers, limits and I/O
		 * (SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGIO). */
		if (sig == SIGINT || sig == SIGQUIT) {
			return FROM_TERMINAL;
		}
		if (sig == SIGHUP) {
			return getsid(0) == getpid() ? STOP_REQUEST : FROM_TERMINAL;
		}
		return OWN_DOING;
	default:
		/* POSIX timers, message queues, asynchronous I/O, I/O readiness (F_SETSIG): what PID 1 set
		 * up for itself. */
		return OWN_DOING;
	}
}

/* Passes sig on to the processes it was meant for and did not reach. Async-signal-safe. */
static void pass_on(int sig, enum source from)
{
	if (from == STOP_REQUEST) {
		kill(-1, sig);
	} else if (from == FROM_TERMINAL) {
		/* Without the namespace's /proc nobody else gets it: never twice to the foreground. */
		namespace_signal_outside_group(sig, getpgrp());
	}
}

/* Async-signal-safe: reaps every child that has ended, the program's own included (used only where
 * the program never waits again). */
static void reap_children(void)
{
	for (;;) {
		siginfo_t info;

		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_ALL, 0, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
			return;
		}
	}
}

/* Waits until no other process of the namespace is alive, or deadline. Async-signal-safe.
 * dying: PID 1 dies in a signal handler (or is the split-mode init) with SIGCHLD and the
 * termination signals blocked; it reaps every child itself and passes on further termination
 * signals. Otherwise an exit path runs while the program is whole: the shim's SIGCHLD handler and
 * the program's handlers run as usual, and the program's own children stay for its own waits. */
static void wait_for_namespace(long long deadline, bool dying)
{
	for (;;) {
		long long left;

		if (dying) {
			reap_children();
		}
		if (!namespace_others_alive()) {
			return;
		}
		left = deadline - real_now_ns();
		if (left <= 0) {
			return;
		}
		struct timespec wait = {0, left < NAMESPACE_POLL_NS ? left : NAMESPACE_POLL_NS};

		if (!dying) {
			LIBC(ppoll)(NULL, 0, &wait, NULL);
			continue;
		}
		siginfo_t info;
		int got = LIBC(sigtimedwait)(&drain_wakers, &info, &wait);
		struct sigaction program;

		if (got > 0 && got != SIGCHLD) {
			signals_program_action(got, &program);
			if (program.sa_handler == SIG_DFL) {
				pass_on(got, source_of(got, &info));
			}
		}
	}
}

/* Whether fd is the writing end of a pipe that still holds bytes and has a reader to take them.
 * Async-signal-safe. */
static bool pipe_has_unread(int fd)
{
	struct stat st;
	struct pollfd out = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL);
	int unread = 0;

	if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY || real_fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		return false;
	}
	if (ioctl(fd, FIONREAD, &unread) != 0 || unread <= 0) {
		return false;
	}
	/* POLLERR: no reader is left. A full pipe shows nothing at all. */
	return LIBC(poll)(&out, 1, 0) >= 0 && !(out.revents & POLLERR);
}

/* A log shipper in the namespace that reads PID 1's stdout or stderr must have taken PID 1's last
 * lines before it is told to stop. Async-signal-safe. */
static void let_readers_catch_up(long long deadline)
{
	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		while (pipe_has_unread(fd) && real_now_ns() < deadline) {
			struct timespec pause = {0, PIPE_POLL_NS};

			LIBC(nanosleep)(&pause, NULL);
		}
	}
}

/* Passes sig on to the processes it was meant for, then waits for the namespace for the grace
 * period. Async-signal-safe. */
static void relay_and_wait(int sig, enum source from)
{
	long long deadline = real_now_ns() + grace_ns();

	pass_on(sig, from);
	wait_for_namespace(deadline, true);
}

/* PID 1 ends: its output pipes are read (for at most half the grace period), then every other
 * process gets SIGTERM and what is left of the grace period. Async-signal-safe. */
static void end_namespace(bool dying)
{
	long long start = real_now_ns();

	let_readers_catch_up(start + grace_ns() / 2);
	kill(-1, SIGTERM);
	wait_for_namespace(start + grace_ns(), dying);
}

/* What a grace period wakes up for: SIGCHLD, and the termination signals when they are passed on. */
static void watch_for_drain(bool termination)
{
	sigemptyset(&drain_wakers);
	sigaddset(&drain_wakers, SIGCHLD);
	for (size_t i = 0; termination && i < sizeof(terminating) / sizeof(terminating[0]); i++) {
		sigaddset(&drain_wakers, terminating[i]);
	}
	for (int sig = SIGRTMIN; termination && sig <= SIGRTMAX; sig++) {
		sigaddset(&drain_wakers, sig);
	}
}

/* The split-mode init calls this without terminate_init: it always passes signals on. */
void terminate_drain(int sig)
{
	watch_for_drain(true);
	relay_and_wait(sig, STOP_REQUEST);
}

/* Another thread is already ending the process: this one never returns to the program. */
static void __attribute__((noreturn)) park(void)
{
	sigset_t all;

	sigfillset(&all);
	for (;;) {
		LIBC(sigsuspend)(&all);
	}
}

/* Async-signal-safe: whether this exit path is the one to end the namespace. An exit in another
 * thread while one thread ends PID 1 waits for that end, as a dying process's threads would; a
 * call nested in a signal handler on the ending thread itself, or made once the namespace has had
 * its grace period (by an exit handler), goes on. */
static bool exit_claims_end(void)
{
	pid_t self = real_gettid();
	pid_t holder = 0;

	if (__atomic_compare_exchange_n(&ending, &holder, self, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		return true;
	}
	if (holder != ENDED && holder != self) {
		park();
	}
	return false;
}

static int final_status(int status)
{
	return config_maps_to_zero(status & 0xff) ? 0 : status;
}

FORK_CHILD_PATH int terminate_at_exit(int status)
{
	if (!reap_is_init()) {
		return status;
	}
	if (exit_claims_end()) {
		end_namespace(false);
		__atomic_store_n(&ending, ENDED, __ATOMIC_SEQ_CST);
	}
	return final_status(status);
}

int terminate_at_thread_exit(int status)
{
	return reap_is_init() && namespace_caller_is_last_thread() ? terminate_at_exit(status) : status;
}

void terminate_before_exit(void)
{
	if (reap_is_init() && exit_claims_end()) {
		fflush(NULL);
		end_namespace(false);
		__atomic_store_n(&ending, ENDED, __ATOMIC_SEQ_CST);
	}
}

int terminate_final_status(int status)
{
	return reap_is_init() ? final_status(status) : status;
}

static void say(int sig, enum source from, int code)
{
	static const char *const sources[] = {
		[STOP_REQUEST] = "",
		[FROM_TERMINAL] = " (from its terminal)",
		[OWN_DOING] = " (raised by itself)",
	};
	struct log_line line;

	if (config.verbose < 1) {
		return;
	}
	log_begin(&line);
	log_str(&line, "PID 1 has no handler for signal ");
	log_int(&line, sig);
	log_str(&line, sources[from]);
	log_str(&line, "; exit status ");
	log_int(&line, code);
	log_end(&line);
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
	LIBC(syscall)(SYS_tgkill, getpid(), real_gettid(), sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
}

/* Runs with every signal blocked (terminate_policy). */
static void on_terminate(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	enum source from = source_of(sig, info);
	pid_t holder = 0;
	int code;

	(void)context;
	if (!reap_is_init()) {
		die_of(sig);
		errno = saved_errno;
		return;
	}
	if (!__atomic_compare_exchange_n(&ending, &holder, real_gettid(), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		/* PID 1 is ending already: the signal is passed on and changes nothing else. */
		pass_on(sig, from);
		errno = saved_errno;
		return;
	}
	code = final_status(128 + sig);
	say(sig, from, code);
	if (from == OWN_DOING) {
		end_namespace(true);
	} else {
		relay_and_wait(sig, from);
	}
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

void terminate_init(void)
{
	sigset_t managed;

	if (getpid() != 1) {
		return;
	}
	exit_init();
	watch_for_drain(config.emulate_signals);
	if (!config.emulate_signals) {
		return;
	}
	signals_claim_handler((void *)on_terminate);
	managed = drain_wakers;
	sigdelset(&managed, SIGCHLD);
	signals_manage_all(&managed, terminate_policy);
}
