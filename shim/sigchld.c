/* sigchld.c: owns the shim's SIGCHLD handler (see sigchld.h).
 *
 * One SIGCHLD reports one child, and signals that arrive while one is pending are merged. So the
 * handler classifies the child it is told about, sweeps for every other foreign zombie (reaper.c),
 * and hands the program's disposition the report of its own child, plus the reports of own
 * zombies whose signals were merged away, each once. A child whose origin cannot be decided yet (a
 * fork has returned in the kernel but the pid is not recorded) is parked and replayed when the
 * birth ends, through a SIGCHLD the shim queues to itself.
 *
 * It also owns what the kernel's own reaping would break: SA_NOCLDWAIT with a handler, emulated
 * (the kernel's flag would lose merged exits), and the kernel's action lent to a blocking wait for
 * several children while the kernel reaps (that wait would sleep on for orphans); see sigchld.h. */
#include "sigchld.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "active.h"
#include "kernel.h"
#include "lock.h"
#include "ptrace.h"
#include "reaper.h"
#include "real.h"
#include "registry.h"
#include "scan.h"
#include "signals.h"
#include "unheard.h"

/* The two futex operations of owe_eintr(), from the kernel's ABI (<linux/futex.h>, which musl's
 * toolchains do not carry). */
#define FUTEX_WAIT 0
#define FUTEX_WAIT_BITSET 9

#define PARKED_SLOTS 8
/* Foreign reports a look for untold stops takes out of its way, at most, per signal. */
#define UNTOLD_LOOKS 8
enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_TAKING };

struct parked {
	int state;
	siginfo_t info;
};

static struct parked parked[PARKED_SLOTS];
/* Slots claimed and not yet freed: while there are none, a replay reads none of their lines. */
static int parked_claimed;
static int resweep_due;
static const char resweep_token; /* its address marks the SIGCHLD the shim queues to itself */

void sigchld_defer_sweep(void)
{
	__atomic_store_n(&resweep_due, 1, __ATOMIC_SEQ_CST);
	/* The birth may have ended between the caller's check and the store above. */
	if (!registry_undecidable()) {
		sigchld_resume();
	}
}

/* While the program ignores SIGCHLD the kernel drops a queued one: the sweep is made here. */
void sigchld_resume(void)
{
	union sigval token = {.sival_ptr = (void *)&resweep_token};
	struct sigaction program;

	/* Looked at first: the exchange writes the page even when nothing is due, a copied page after
	 * every fork. */
	if (__atomic_load_n(&resweep_due, __ATOMIC_SEQ_CST) && __atomic_exchange_n(&resweep_due, 0, __ATOMIC_SEQ_CST)) {
		signals_program_action(SIGCHLD, &program);
		if (program.sa_handler == SIG_IGN) {
			reaper_on_signal(0, NULL, NULL, 0);
		} else {
			sigqueue(getpid(), SIGCHLD, token);
		}
	}
}

/* Without a free slot the report is dropped: the replay's sweep still finds the zombie. */
static void park(const siginfo_t *info)
{
	__atomic_add_fetch(&parked_claimed, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < PARKED_SLOTS; i++) {
		int expected = SLOT_FREE;
		if (__atomic_compare_exchange_n(&parked[i].state, &expected, SLOT_FILLING, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			parked[i].info = *info;
			__atomic_store_n(&parked[i].state, SLOT_READY, __ATOMIC_RELEASE);
			sigchld_defer_sweep();
			return;
		}
	}
	__atomic_sub_fetch(&parked_claimed, 1, __ATOMIC_SEQ_CST);
	sigchld_defer_sweep();
}

/* The exit info reports, if the program collected it before its handler heard of it. */
static bool take_unheard(const siginfo_t *info, siginfo_t *out)
{
	int status;

	if (!unheard_take(info->si_pid, &status)) {
		return false;
	}
	info_from_status(info->si_pid, status, out);
	out->si_uid = info->si_uid;
	return true;
}

/* Not a tracee's ptrace stop (CLD_TRAPPED), which only its tracer hears of. */
static bool is_stop_or_continue(const siginfo_t *info)
{
	return info->si_code == CLD_STOPPED || info->si_code == CLD_CONTINUED;
}

/* A child event: returns true when it is the program's and belongs in *out. An exit is judged only
 * while its zombie still holds the pid, or once no child holds the pid (reaper_exit_state): a pid
 * held again may name a new child, of which the registry would speak instead. */
static bool classify(const siginfo_t *info, struct reaper_view *view, siginfo_t *out)
{
	enum reaper_exit state;
	unsigned mark;

	if (registry_undecidable()) {
		park(info);
		return false;
	}
	if (!info_is_exit(info)) {
		/* A stop or continue: the child lives on, holding its pid. */
		if (registry_is_own(info->si_pid) || ptrace_claims(info->si_pid)) {
			if (is_stop_or_continue(info)) {
				registry_tell_stopped(info->si_pid, info->si_code == CLD_STOPPED);
			}
			*out = *info;
			return true;
		}
		return false; /* a foreign child stopped or continued */
	}
	state = reaper_exit_state(info, view, &mark);
	if (state == EXIT_CURRENT) {
		if (registry_is_own(info->si_pid) || ptrace_claims(info->si_pid)) {
			if (!registry_announce_as_of(info->si_pid, mark)) {
				return false; /* a sweep has already handed this exit over */
			}
			*out = *info;
			return true;
		}
		reaper_collect(info->si_pid);
		return false;
	}
	/* Reaped already: by the program, before this signal came, if it was its own (and it may not
	 * have forgotten it yet: this handler may run just before its wait returns, or while another
	 * thread forgets it). */
	if (take_unheard(info, out)) {
		return true;
	}
	if (state == EXIT_GONE && registry_announce_as_of(info->si_pid, mark)) {
		*out = *info;
		return true;
	}
	registry_settle_forgets();
	return take_unheard(info, out);
}

/* Every parked report is judged; those that are the program's go to out while it has room. */
static size_t replay_parked(struct reaper_view *view, siginfo_t *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < PARKED_SLOTS && __atomic_load_n(&parked_claimed, __ATOMIC_SEQ_CST) != 0; i++) {
		int expected = SLOT_READY;
		siginfo_t info, report;

		/* Looked at before the exchange, which writes the page even when it fails: after every fork
		 * that write is a copy of the page. */
		if (__atomic_load_n(&parked[i].state, __ATOMIC_RELAXED) != SLOT_READY ||
		    !__atomic_compare_exchange_n(&parked[i].state, &expected, SLOT_TAKING, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED)) {
			continue;
		}
		info = parked[i].info;
		__atomic_store_n(&parked[i].state, SLOT_FREE, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&parked_claimed, 1, __ATOMIC_SEQ_CST);
		if (classify(&info, view, &report) && n < max) {
			out[n++] = report;
		}
	}
	return n;
}

void sigchld_collected(pid_t pid, int status, const sigset_t *mask, unsigned mark)
{
	struct sigaction program;
	sigset_t now;

	signals_program_action(SIGCHLD, &program);
	if (status == -1 || program.sa_handler == SIG_IGN) {
		registry_forget(pid, -1, mark);
		return;
	}
	if (mask == NULL) {
		sigprocmask(SIG_BLOCK, NULL, &now);
		mask = &now;
	}
	if (sigismember(mask, SIGCHLD)) {
		/* Its signal is pending here, or merged into one that is: remembered as unheard, the
		 * exit is handed to the program's handler when that signal comes (unless the handler
		 * has already heard of it). */
		registry_forget(pid, status, mark);
		return;
	}
	if (program.sa_handler == SIG_DFL) {
		registry_forget(pid, -1, mark);
		return;
	}
	/* Unless the handler heard of the exit from the child's own signal, which came as the caller
	 * unblocked SIGCHLD: remembered as unheard, and carried by a signal queued now. The queued
	 * signal is recognised by its token whenever it arrives (the kernel delivers it before the
	 * queueing call returns; valgrind, later). */
	registry_forget(pid, status, mark);
	sigchld_carry_unheard();
}

/* No SIGCHLD is pending for this thread or the process (one that is brings a handler run). */
static bool no_sigchld_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 && sigismember(&pending, SIGCHLD) != 1;
}

/* Own exits the program collected before this handler told it of them, whose signals may have
 * merged into this one: reported now, from the status its wait got. */
static size_t take_unheard_exits(siginfo_t *out, size_t max)
{
	size_t n = 0;
	pid_t pid;
	int status;

	while (n < max && unheard_take_any(&pid, &status)) {
		info_from_status(pid, status, &out[n]);
		out[n++].si_uid = getuid();
	}
	return n;
}

/* Stop and continue reports of own children whose signals merged into another (an orphan's, under
 * a storm): the kernel keeps each until a wait with WUNTRACED or WCONTINUED takes it, and shows the
 * first child with one to a look that does not take it. A report is handed over when the registry
 * says the handler's last report of that child said otherwise. A foreign child's report is taken
 * and dropped, so that the look sees past it; an own report the program heard of and never
 * collected hides those behind it. While a SIGCHLD is pending, the report may be its own, and the
 * handler run it brings looks again. Looked for only where the signal brought the handler nothing;
 * one report at most, into *out. */
static size_t take_untold_stop(siginfo_t *out)
{
	const int stops = WSTOPPED | WCONTINUED | WNOHANG | __WALL;

	for (int looks = 0; looks < UNTOLD_LOOKS; looks++) {
		siginfo_t front, taken;

		memset(&front, 0, sizeof(front));
		if (LIBC(waitid)(P_ALL, 0, &front, stops | WNOWAIT) != 0 || front.si_pid == 0) {
			return 0;
		}
		if (!registry_is_own(front.si_pid) && !ptrace_claims(front.si_pid)) {
			LIBC(waitid)(P_PID, (id_t)front.si_pid, &taken, stops);
			continue;
		}
		if (!is_stop_or_continue(&front) || !no_sigchld_pending() ||
		    !registry_tell_stopped(front.si_pid, front.si_code == CLD_STOPPED)) {
			return 0;
		}
		*out = front;
		return 1;
	}
	return 0;
}

/* The same where no handler of the program will hear of them. */
static void drop_unheard_exits(void)
{
	pid_t pid;
	int status;

	while (unheard_take_any(&pid, &status)) {
	}
}

static bool is_handler(const struct sigaction *action)
{
	return action->sa_handler != SIG_DFL && action->sa_handler != SIG_IGN;
}

/* Whether the program has a SIGCHLD handler. */
static bool program_listens(void)
{
	struct sigaction program;

	signals_program_action(SIGCHLD, &program);
	return is_handler(&program);
}

static bool nocldwait_emulated(const struct sigaction *program)
{
	return is_handler(program) && (program->sa_flags & SA_NOCLDWAIT);
}

/* SIG_IGN, or SA_NOCLDWAIT without a handler: the kernel reaps every child as it ends. */
static bool kernel_reaps(const struct sigaction *program)
{
	return program->sa_handler == SIG_IGN ||
	       (program->sa_handler == SIG_DFL && (program->sa_flags & SA_NOCLDWAIT));
}

/* Blocking waits for several children the kernel's action is lent to (sigchld_lend_begin), and
 * those whose end has not swept yet. */
static int lending_waits;
static int reaping_for_waits;
/* The last policy set SA_NOCLDWAIT with a handler: every wait asks, and most never need the copy
 * of the program's action. */
static int handler_nocldwait;

bool sigchld_emulates_nocldwait(void)
{
	struct sigaction program;

	if (!__atomic_load_n(&handler_nocldwait, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&reaping_for_waits, __ATOMIC_SEQ_CST) == 0) {
		return false;
	}
	signals_program_action(SIGCHLD, &program);
	return reap_active() && (nocldwait_emulated(&program) ||
				 (kernel_reaps(&program) && __atomic_load_n(&reaping_for_waits, __ATOMIC_SEQ_CST) > 0));
}

bool sigchld_kernel_reaps(void)
{
	struct sigaction program;

	signals_program_action(SIGCHLD, &program);
	return kernel_reaps(&program);
}

bool sigchld_lend_begin(void)
{
	if (!sigchld_kernel_reaps()) {
		return false;
	}
	__atomic_add_fetch(&reaping_for_waits, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&lending_waits, 1, __ATOMIC_SEQ_CST);
	signals_reapply(SIGCHLD);
	return true;
}

void sigchld_lend_end(void)
{
	/* The last one gives the kernel its own action back (SIG_IGN drops a pending SIGCHLD too),
	 * whichever the program's action is by now: the policy reads the count. */
	if (__atomic_sub_fetch(&lending_waits, 1, __ATOMIC_SEQ_CST) == 0) {
		signals_reapply(SIGCHLD);
	}
	/* Children that ended meanwhile and no wait took are zombies the kernel would have reaped. */
	reaper_on_signal(0, NULL, NULL, 0);
	if (!program_listens()) {
		drop_unheard_exits();
	}
	__atomic_sub_fetch(&reaping_for_waits, 1, __ATOMIC_SEQ_CST);
}

/* Whether that handler is told of stops and continues too (no SA_NOCLDSTOP). */
static bool program_hears_stops(void)
{
	struct sigaction program;

	signals_program_action(SIGCHLD, &program);
	return !(program.sa_flags & SA_NOCLDSTOP);
}

/* After a wait, the signal that would carry an unheard exit is usually the child's own, pending or
 * being taken. But it may have merged into a foreign orphan's that was pending when the child
 * ended, which the handler took as the wait returned, before the wait forgot the child: then no
 * signal is left, and without one the program's handler, which the kernel ran before the wait
 * returned, would hear of the exit only at some later SIGCHLD, cutting short a call it has nothing
 * to do with. */
void sigchld_carry_unheard(void)
{
	if (!unheard_any() || !program_listens()) {
		return;
	}
	if (no_sigchld_pending()) {
		kernel_queue_to_this_thread(SIGCHLD, (union sigval){.sival_ptr = (void *)&resweep_token});
	}
}

static bool is_resweep(const siginfo_t *info)
{
	return info->si_code == SI_QUEUE && info->si_pid == getpid() && info->si_value.sival_ptr == &resweep_token;
}

bool sigchld_taken(const siginfo_t *info)
{
	pid_t fresh = 0;

	/* The shim's own SIGCHLDs (a replay, the owed scan's timer) are never the program's. */
	if (is_resweep(info) || scan_timer_fired(info)) {
		reaper_on_signal(0, NULL, NULL, 0);
		return true;
	}
	/* An own child's event: the program is about to wait for it, and its wait sweeps after. */
	if (info->si_code > 0 && !registry_undecidable() && registry_is_own(info->si_pid)) {
		fresh = info->si_pid;
	}
	reaper_on_signal(fresh, NULL, NULL, 0);
	drop_unheard_exits();
	return false;
}

/* Where a handler's context says the thread stands: at the system call instruction the kernel
 * set up to be made again, its number, its second argument, and how to make it return instead.
 * x86-64: rip points at `syscall` (0f 05), rax holds the number (restored there for the restart),
 * rsi the second argument. arm64: pc points at `svc #0` (d4000001), x8 holds the number, x1 the
 * second argument, and x0, where the result goes, holds the first argument again. */
#if defined(__x86_64__)
static bool at_syscall(const mcontext_t *m)
{
	const unsigned char *ip = (const unsigned char *)m->gregs[REG_RIP];

	return ip[0] == 0x0f && ip[1] == 0x05;
}

static long syscall_nr(const mcontext_t *m)
{
	return m->gregs[REG_RAX];
}

static unsigned long syscall_arg1(const mcontext_t *m)
{
	return (unsigned long)m->gregs[REG_RSI];
}

static void syscall_return(mcontext_t *m, long result)
{
	m->gregs[REG_RAX] = result;
	m->gregs[REG_RIP] += 2;
}
#elif defined(__aarch64__)
static bool at_syscall(const mcontext_t *m)
{
	return *(const unsigned int *)m->pc == 0xd4000001;
}

static long syscall_nr(const mcontext_t *m)
{
	return (long)m->regs[8];
}

static unsigned long syscall_arg1(const mcontext_t *m)
{
	return m->regs[1];
}

static void syscall_return(mcontext_t *m, long result)
{
	m->regs[0] = (unsigned long long)result;
	m->pc += 4;
}
#endif

/* The shim's handler may have cut a blocking system call short and, with SA_RESTART, had the kernel
 * set it up to be made again. If a handler of the program without SA_RESTART ran meanwhile (nested
 * in this one), the program is owed the EINTR it would have got had it been interrupted first:
 * the call is made to return EINTR instead of being made again. Only at a system call instruction,
 * for calls that can block and that return EINTR to any interrupting handler without SA_RESTART
 * (not open, ioctl or the futex and fcntl operations that the kernel always restarts). Each of these
 * calls has the same name on x86-64 and arm64 (arm64 lacks only older forms, such as select and
 * pause, which are never restarted anyway). */
static bool eintr_owable(const void *context)
{
	const mcontext_t *m = &((const ucontext_t *)context)->uc_mcontext;

	if (!at_syscall(m)) {
		return false;
	}
	switch (syscall_nr(m)) {
	case SYS_futex: /* only the plain waits: FUTEX_LOCK_PI must never fail with EINTR */
		return (syscall_arg1(m) & 0x7f) == FUTEX_WAIT || (syscall_arg1(m) & 0x7f) == FUTEX_WAIT_BITSET;
	case SYS_fcntl:
		return syscall_arg1(m) == F_SETLKW || syscall_arg1(m) == F_OFD_SETLKW;
	case SYS_read: case SYS_write: case SYS_readv: case SYS_writev:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg: case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_wait4: case SYS_waitid: case SYS_flock:
	case SYS_msgrcv: case SYS_msgsnd: case SYS_semop: case SYS_semtimedop:
		return true;
	default:
		return false;
	}
}

static void owe_eintr(void *context)
{
	if (eintr_owable(context)) {
		syscall_return(&((ucontext_t *)context)->uc_mcontext, -EINTR);
	}
}

/* The shim's handler runs with every signal blocked (its sa_mask, sigchld_policy), so that the
 * registry's lock costs it no system call. Before it hands events to the program's handler, and
 * before it returns to a blocking call that a handler of the program could still owe an EINTR, it
 * opens the mask that the program's view of it has: the interrupted code's, the program's sa_mask,
 * and SIGCHLD unless SA_NODEFER. A signal of the program that came meanwhile is then taken nested
 * in it, as it would have been. */
static void open_mask(const void *context)
{
	const ucontext_t *interrupted = context;
	struct sigaction program;
	sigset_t mask;

	signals_program_action(SIGCHLD, &program);
	if (program.sa_handler == SIG_DFL || program.sa_handler == SIG_IGN) {
		sigemptyset(&mask);
		program.sa_flags = 0;
	} else {
		mask = program.sa_mask;
	}
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&interrupted->uc_sigmask, sig) == 1) {
			sigaddset(&mask, sig);
		}
	}
	if (!(program.sa_flags & SA_NODEFER)) {
		sigaddset(&mask, SIGCHLD);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

static void on_sigchld(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno, held = signals_held;
	unsigned interrupting = signals_interrupting_runs();
	/* Room for the reports only where a handler of the program will take them: the handler then
	 * runs one page of stack less deep, which after each fork is a page less to fault in. */
	bool listening = program_listens();
	siginfo_t events[listening ? PARKED_SLOTS + 4 : 1];
	const size_t max = sizeof(events) / sizeof(events[0]);
	struct reaper_view view = {.seen = false};
	size_t n = 0;
	pid_t fresh = 0;

	if (!reap_active()) {
		/* An inert child that inherited the handler: the program's disposition, nothing else. */
		open_mask(context);
		signals_deliver(sig, info, context);
		errno = saved_errno;
		return;
	}
	signals_held = 1;
	if (info->si_code > 0) {
		n = classify(info, &view, &events[0]) ? 1 : 0;
	} else if (!is_resweep(info) && !scan_timer_fired(info)) {
		events[n++] = *info; /* sent by someone with kill(): the program's business */
	}
	/* Any SIGCHLD replays what was parked: the one queued for it may have merged into this one. */
	n += replay_parked(&view, events + n, max - n);
	if (n > 0 && events[n - 1].si_code > 0) {
		fresh = events[n - 1].si_pid;
	}
	/* Own exits whose signals merged away are looked for only where a handler will hear of them. */
	n += reaper_on_signal(fresh, &view, events + n, listening ? max - n : 0);
	if (listening) {
		n += take_unheard_exits(events + n, max - n);
		/* More than the handler run has room for (a burst under emulated SA_NOCLDWAIT). */
		if (unheard_any()) {
			sigchld_carry_unheard();
		}
		/* Only a signal that brings the handler nothing hides a stop: had it brought anything,
		 * the handler would run for it, as it does for a merged signal without the shim. */
		if (n == 0 && program_hears_stops() && registry_count() > 0) {
			n += take_untold_stop(events);
		}
	} else {
		drop_unheard_exits();
	}
	signals_held = held;
	if ((n > 0 && listening) || eintr_owable(context)) {
		open_mask(context);
	}
	errno = saved_errno;
	for (size_t i = 0; i < n; i++) {
		signals_deliver(sig, &events[i], context);
	}
	if (signals_interrupting_runs() != interrupting) {
		owe_eintr(context);
	}
}

static void sigchld_policy(const struct sigaction *program, struct sigaction *kernel)
{
	const int kept = SA_RESTART | SA_ONSTACK | SA_NODEFER | SA_NOCLDSTOP;
	bool lent = kernel_reaps(program) && __atomic_load_n(&lending_waits, __ATOMIC_SEQ_CST) > 0;

	/* Set before the kernel's action changes: an own child that ends under the new one is taken. */
	__atomic_store_n(&handler_nocldwait, nocldwait_emulated(program), __ATOMIC_SEQ_CST);
	/* While the kernel reaps children itself, their entries go stale unseen. */
	registry_set_kernel_reaps(kernel_reaps(program));
	if (program->sa_handler == SIG_IGN && !lent) {
		*kernel = *program; /* the kernel reaps every child by itself */
		return;
	}
	memset(kernel, 0, sizeof(*kernel));
	kernel->sa_sigaction = on_sigchld;
	sigfillset(&kernel->sa_mask); /* on_sigchld relies on it */
	if (!is_handler(program)) {
		/* Never interrupt the program for a signal it would not have seen. */
		kernel->sa_flags = SA_SIGINFO | SA_RESTART | (program->sa_flags & SA_NOCLDSTOP) |
				   (lent ? 0 : program->sa_flags & SA_NOCLDWAIT);
	} else {
		/* The program's own handler runs inside ours, with the flags it asked for, and under its
		 * mask (open_mask). */
		kernel->sa_flags = SA_SIGINFO | (program->sa_flags & kept);
	}
}

/* The kernel reaps the children that end from now on, and drops a pending SIGCHLD: the foreign
 * zombies already there (an orphan that ended while SIGCHLD was blocked) are reaped at once, also
 * those behind an own zombie. */
static void on_installed(const struct sigaction *program)
{
	if (program->sa_handler == SIG_IGN || (program->sa_flags & SA_NOCLDWAIT)) {
		reaper_on_signal(0, NULL, NULL, 0);
	}
}

void sigchld_init(void)
{
	struct sigaction program;

	signals_claim_handler((void *)on_sigchld);
	signals_manage(SIGCHLD, sigchld_policy);
	signals_watch(SIGCHLD, on_installed);
	signals_program_action(SIGCHLD, &program);
	on_installed(&program); /* SIG_IGN inherited across exec */
}
