/* signals.c: owns the program's view of the managed signals' dispositions, and every libc entry
 * point that reads or sets one (sigaction, __sigaction, signal, bsd_signal, ssignal, sysv_signal,
 * __sysv_signal, sigset, sigignore, siginterrupt: neither glibc nor musl routes them through the
 * exported sigaction, so each is wrapped; musl has neither __sigaction, ssignal nor sysv_signal,
 * and its signal, bsd_signal and __sysv_signal are one function). Unmanaged signals go straight
 * to libc.
 *
 * In the active process the table is the truth and the kernel holds what the signal's policy
 * derives from it. A child inherits the kernel's actions and a copy of the table but is inert: it
 * never writes the table (a vfork child shares it with its parent), it sets the kernel's action
 * verbatim, and it reports the table's entry only while the kernel still holds a shim handler. */
#include "signals.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "active.h"
#include "lock.h"
#include "exports.h"
#include "kernel.h"
#include "real.h"
#include "start.h"

#define MAX_SHIM_HANDLERS 4

/* The kernel's flag for the return trampoline glibc installs; not in glibc's public headers. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static int lock;
static struct sigaction program[NSIG];
static unsigned program_version[NSIG]; /* odd while program[sig] is being written */
static __thread unsigned handler_runs __attribute__((tls_model("initial-exec")));
static __thread unsigned interrupting_runs __attribute__((tls_model("initial-exec")));
static policy_fn *policy[NSIG];
static bool kernel_shim[NSIG]; /* the kernel holds a shim handler for sig: set with its action */
static installed_fn *watcher[NSIG];
static void *shim_handlers[MAX_SHIM_HANDLERS];
#if defined(__GLIBC__)
static sigset_t interrupting; /* managed signals siginterrupt() asked not to restart */
#endif

/* Writes program[sig]; lock held (or start-up). */
static void set_program(int sig, const struct sigaction *act)
{
	__atomic_add_fetch(&program_version[sig], 1, __ATOMIC_SEQ_CST);
	program[sig] = *act;
	__atomic_add_fetch(&program_version[sig], 1, __ATOMIC_SEQ_CST);
}

unsigned signals_handler_runs(void)
{
	return __atomic_load_n(&handler_runs, __ATOMIC_RELAXED);
}

bool signals_eintr_is_shims(unsigned runs_before)
{
	return errno == EINTR && reap_active() && signals_handler_runs() == runs_before;
}

unsigned signals_interrupting_runs(void)
{
	return __atomic_load_n(&interrupting_runs, __ATOMIC_RELAXED);
}

static bool is_handler(const struct sigaction *act)
{
	return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

/* Signals raised by a fault of the current instruction interrupt no system call: never wrapped. */
static bool is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

/* The shim stands in front of a handler of the program, under its mask and flags. */
static void trampoline(int sig, siginfo_t *info, void *context)
{
	signals_deliver(sig, info, context);
}

/* Every handler of the program runs through the trampoline, which counts its runs (an EINTR is
 * then known to be the program's or the shim's) and emulates SA_RESETHAND. */
static void wrap_if_needed(const struct sigaction *act, struct sigaction *kernel)
{
	if (kernel->sa_handler == act->sa_handler && is_handler(act)) {
		kernel->sa_sigaction = trampoline;
		kernel->sa_flags = (act->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
	}
}

/* The policy of a signal the shim manages only to count and emulate: the program's wish as it is. */
static void as_is(const struct sigaction *wish, struct sigaction *kernel)
{
	*kernel = *wish;
}

void signals_claim_handler(void *handler)
{
	for (int i = 0; i < MAX_SHIM_HANDLERS; i++) {
		if (shim_handlers[i] == NULL || shim_handlers[i] == handler) {
			shim_handlers[i] = handler;
			return;
		}
	}
}

static bool is_shim_handler(const struct sigaction *act)
{
	for (int i = 0; i < MAX_SHIM_HANDLERS; i++) {
		if (shim_handlers[i] != NULL && (void *)act->sa_sigaction == shim_handlers[i]) {
			return true;
		}
	}
	return false;
}

bool signals_manage(int sig, policy_fn *fn)
{
	struct sigaction now, kernel;

	if (policy[sig] != NULL) {
		return true;
	}
	if (LIBC(sigaction)(sig, NULL, &now) != 0) {
		return false;
	}
	/* Already true before the kernel changes: a trampoline installed below reads it. */
	set_program(sig, &now);
	fn(&now, &kernel);
	wrap_if_needed(&now, &kernel);
	if (LIBC(sigaction)(sig, &kernel, NULL) != 0) {
		return false;
	}
	kernel_shim[sig] = is_shim_handler(&kernel);
	__atomic_store_n(&policy[sig], fn, __ATOMIC_RELEASE);
	return true;
}

/* An action as the kernel takes it: handler, flags and mask (not what libc adds). */
static bool same_action(const struct sigaction *a, const struct sigaction *b)
{
	return a->sa_handler == b->sa_handler && (a->sa_flags & ~SA_RESTORER) == (b->sa_flags & ~SA_RESTORER) &&
	       memcmp(&a->sa_mask, &b->sa_mask, sizeof(a->sa_mask)) == 0;
}

void signals_manage_all(const sigset_t *sigs, policy_fn *fn)
{
	struct sigaction fresh = {.sa_handler = SIG_DFL}, guess, now, kernel;
	sigset_t saved;

	sigemptyset(&fresh.sa_mask);
	fn(&fresh, &guess);
	hold_signals(&saved);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(sigs, sig) != 1 || policy[sig] != NULL || LIBC(sigaction)(sig, &guess, &now) != 0) {
			continue;
		}
		set_program(sig, &now);
		fn(&now, &kernel);
		wrap_if_needed(&now, &kernel);
		if (!same_action(&kernel, &guess) && LIBC(sigaction)(sig, &kernel, NULL) != 0) {
			LIBC(sigaction)(sig, &now, NULL);
			continue;
		}
		kernel_shim[sig] = is_shim_handler(&kernel);
		__atomic_store_n(&policy[sig], fn, __ATOMIC_RELEASE);
	}
	release_signals(&saved);
}

void signals_watch(int sig, installed_fn *installed)
{
	watcher[sig] = installed;
}

void signals_adopt_handlers(void)
{
	signals_claim_handler((void *)trampoline);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction act;

		if (sig != SIGKILL && sig != SIGSTOP && !is_fault(sig) && !signals_managed(sig) &&
		    LIBC(sigaction)(sig, NULL, &act) == 0 && is_handler(&act)) {
			signals_manage(sig, as_is);
		}
	}
}

bool signals_managed(int sig)
{
	return sig > 0 && sig < NSIG && __atomic_load_n(&policy[sig], __ATOMIC_ACQUIRE) != NULL;
}

/* Set in a fork child whose handler set an action before the child's reset: the kernel's actions
 * are then no longer the ones the table's kernel_shim[] describes. */
static __thread int set_before_reset __attribute__((tls_model("initial-exec")));

static int inert_action(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction kernel;

	if (act != NULL && reap_fork_child_before_reset()) {
		set_before_reset = 1;
	}

	if (old != NULL) {
		if (LIBC(sigaction)(sig, NULL, &kernel) != 0) {
			return -1;
		}
		if (is_shim_handler(&kernel)) {
			signals_program_action(sig, &kernel);
		}
	}
	if (act != NULL && LIBC(sigaction)(sig, act, NULL) != 0) {
		return -1;
	}
	if (old != NULL) {
		*old = kernel;
	}
	return 0;
}

/* What libc adds to an action it hands the kernel, as the kernel reports it back (glibc:
 * SA_RESTORER and its restorer; musl reports no sa_restorer): the same for every action that
 * brings no other restorer of its own (one the table reported back brings libc's), so the kernel
 * is asked once. Lock held. */
static bool libc_adds_known;
static struct sigaction libc_adds;

static bool brings_no_other_restorer(const struct sigaction *act)
{
	return !(act->sa_flags & SA_RESTORER) ||
	       ((libc_adds.sa_flags & SA_RESTORER) && act->sa_restorer == libc_adds.sa_restorer);
}

static bool stored_as(int sig, const struct sigaction *act, struct sigaction *stored)
{
	if (libc_adds_known && brings_no_other_restorer(act)) {
		*stored = libc_adds;
		return true;
	}
	memset(stored, 0, sizeof(*stored));
	if (LIBC(sigaction)(sig, NULL, stored) != 0) {
		return false;
	}
	if (!(act->sa_flags & SA_RESTORER)) {
		libc_adds = *stored;
		libc_adds_known = true;
	}
	return true;
}

/* Gives the kernel the action sig's policy derives from the program's wish act. Lock held. */
static int apply_policy(int sig, const struct sigaction *act)
{
	struct sigaction kernel;

	policy[sig](act, &kernel);
	wrap_if_needed(act, &kernel);
	if (LIBC(sigaction)(sig, &kernel, NULL) != 0) {
		return -1;
	}
	kernel_shim[sig] = is_shim_handler(&kernel);
	return 0;
}

/* Installs the kernel's action for the program's wish act, and records the wish as the kernel
 * would store it (stored_as). Lock held. */
static int install(int sig, const struct sigaction *act)
{
	struct sigaction stored, wish = *act;

	if (apply_policy(sig, act) != 0) {
		return -1;
	}
	/* The kernel can never block these two, and does not report them. */
	sigdelset(&wish.sa_mask, SIGKILL);
	sigdelset(&wish.sa_mask, SIGSTOP);
	if (stored_as(sig, act, &stored)) {
		wish.sa_flags = (act->sa_flags & ~SA_RESTORER) | (stored.sa_flags & SA_RESTORER);
		wish.sa_restorer = stored.sa_restorer;
	}
	set_program(sig, &wish);
	return 0;
}

void signals_reapply(int sig)
{
	sigset_t mask;

	if (!signals_managed(sig)) {
		return;
	}
	lock_take(&lock, &mask);
	apply_policy(sig, &program[sig]);
	lock_give(&lock, &mask);
}

int signals_action(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction previous;
	sigset_t mask;
	int rc = 0;

	if (!signals_managed(sig)) {
		bool managed;

		/* A handler of the program is counted from now on. */
		if (act == NULL || !is_handler(act) || is_fault(sig) || sig <= 0 || sig >= NSIG || !reap_active()) {
			return LIBC(sigaction)(sig, act, old);
		}
		lock_take(&lock, &mask);
		managed = signals_manage(sig, as_is);
		lock_give(&lock, &mask);
		if (!managed) {
			return LIBC(sigaction)(sig, act, old); /* libc's own answer, EINVAL for its signals */
		}
	}
	if (!reap_active()) {
		return inert_action(sig, act, old);
	}
	lock_take(&lock, &mask);
	previous = program[sig];
	if (act != NULL) {
		rc = install(sig, act);
	}
	lock_give(&lock, &mask);
	if (rc == 0 && old != NULL) {
		*old = previous;
	}
	if (rc == 0 && act != NULL && watcher[sig] != NULL) {
		watcher[sig](act);
	}
	return rc;
}

/* Lock-free: a writer holds the lock with every signal blocked, so it is never this thread. */
void signals_program_action(int sig, struct sigaction *out)
{
	for (;;) {
		unsigned v = __atomic_load_n(&program_version[sig], __ATOMIC_ACQUIRE);

		if (v & 1) {
			if (reap_fork_child_before_reset()) {
				*out = program[sig]; /* what the reset will use too */
				return;
			}
			sched_yield();
			continue;
		}
		*out = program[sig];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&program_version[sig], __ATOMIC_RELAXED) == v) {
			return;
		}
	}
}

void signals_reset_default(int sig)
{
	struct sigaction reset;
	sigset_t mask;

	/* Like the kernel's SA_RESETHAND: only the handler changes; flags and mask stay. An inert
	 * process never writes the table: it takes no lock (a fork child may inherit it held). */
	if (!reap_active()) {
		signals_program_action(sig, &reset);
		reset.sa_handler = SIG_DFL;
		LIBC(sigaction)(sig, &reset, NULL);
		return;
	}
	lock_take(&lock, &mask);
	reset = program[sig];
	reset.sa_handler = SIG_DFL;
	install(sig, &reset);
	lock_give(&lock, &mask);
}

void signals_deliver(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	struct sigaction act;

	signals_program_action(sig, &act);
	if (act.sa_handler == SIG_DFL || act.sa_handler == SIG_IGN) {
		return;
	}
	if (act.sa_flags & SA_RESETHAND) {
		signals_reset_default(sig);
	}
	handler_runs++;
	if (!(act.sa_flags & SA_RESTART)) {
		interrupting_runs++;
	}
	errno = saved_errno; /* the program's handler sees the interrupted code's errno */
	if (act.sa_flags & SA_SIGINFO) {
		act.sa_sigaction(sig, info, context);
	} else {
		act.sa_handler(sig);
	}
}

/* Unless the table is known to be in step with the kernel, the kernel's action is read first: a
 * child of an inert process (a worker forked from PID 1) may have set its own SIGCHLD disposition,
 * which the table it inherited knows nothing of. */
FORK_CHILD_PATH void signals_release_sigchld(bool in_step)
{
	struct sigaction wish, kernel;

	if (!signals_managed(SIGCHLD)) {
		return;
	}
	signals_program_action(SIGCHLD, &wish);
	/* The shim's handler passes a handler of the program on, but only an active process emulates
	 * SA_NOCLDWAIT (sigchld.h): this child gets the kernel's. */
	if (is_handler(&wish) && !(wish.sa_flags & SA_NOCLDWAIT)) {
		return;
	}
	if (in_step ? kernel_shim[SIGCHLD]
		    : LIBC(sigaction)(SIGCHLD, NULL, &kernel) == 0 && is_shim_handler(&kernel)) {
		if (is_handler(&wish)) {
			LIBC(sigaction)(SIGCHLD, &wish, NULL); /* libc adds the return trampoline */
		} else {
			kernel_set_disposition(SIGCHLD, &wish);
		}
	}
}

/* Ends a write a sibling thread had begun: that thread does not exist in the child. Only what needs
 * it is written: each page the child writes is a copy. With no write under way in an active
 * parent, every disposition in the table is the one the kernel's action derives from. */
FORK_CHILD_PATH void signals_reset_in_child(bool from_active)
{
	bool in_step = from_active && lock == 0 && !set_before_reset;

	if (lock != 0) {
		lock = 0;
	}
	for (int sig = 1; sig < NSIG; sig++) {
		if (program_version[sig] & 1) {
			program_version[sig]++;
			in_step = false;
		}
	}
	signals_release_sigchld(in_step);
}

/* --- the libc entry points ------------------------------------------------------------------ */

/* Nearly every program sets signal actions as it starts, most where the shim never acted: the
 * entries are in the start's section (start.h), and there they are libc's. */
START_PATH static int sigaction_entry(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (reap_never_acted()) {
		return LIBC_AT_START(sigaction)(sig, act, old);
	}
	return signals_action(sig, act, old);
}

START_PATH REAP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction_entry(sig, act, old);
}

#if defined(__GLIBC__)
START_PATH REAP_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction_entry(sig, act, old);
}
#endif

/* signal() and friends build the action libc would build and set it through signals_action, for
 * a managed signal and for any signal in an active process (every handler of the program must be
 * counted; siginterrupt's choices must be the shim's own). Elsewhere libc's own functions run. */
static bool ours(int sig)
{
	return signals_managed(sig) || reap_active();
}

static handler_fn *install_simple(int sig, handler_fn *handler, int flags, bool mask_self)
{
	struct sigaction act, old;

	if (handler == SIG_ERR || sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	if (mask_self) {
		sigaddset(&act.sa_mask, sig);
	}
	act.sa_flags = flags;
	if (signals_action(sig, &act, &old) != 0) {
		return SIG_ERR;
	}
	return old.sa_handler;
}

/* The signal() family: libc's own function (libc_fn) where the shim never acted or the signal is
 * not the shim's business, and otherwise the libc's semantics set through the shim (out of line:
 * the entries lie in the start's section, which the semantics would fill, start.h). */
START_PATH static handler_fn *signal_entry(int sig, handler_fn *handler, handler_fn *(*libc_fn)(int, handler_fn *),
					   handler_fn *(*semantics)(int, handler_fn *))
{
	return reap_never_acted() || !ours(sig) ? libc_fn(sig, handler) : semantics(sig, handler);
}

#if defined(__GLIBC__)
/* glibc's signal, bsd_signal and ssignal: the signal blocked in its own handler, SA_RESTART unless
 * siginterrupt said so. */
static __attribute__((noinline)) handler_fn *bsd_semantics(int sig, handler_fn *handler)
{
	return install_simple(sig, handler, sigismember(&interrupting, sig) ? 0 : SA_RESTART, true);
}

/* glibc's sysv_signal: reset to SIG_DFL when taken, not blocked in its own handler. */
static __attribute__((noinline)) handler_fn *sysv_semantics(int sig, handler_fn *handler)
{
	return install_simple(sig, handler, SA_RESETHAND | SA_NODEFER, false);
}

START_PATH REAP_EXPORT handler_fn *signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(signal), bsd_semantics);
}

START_PATH REAP_EXPORT handler_fn *bsd_signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(bsd_signal), bsd_semantics);
}

START_PATH REAP_EXPORT handler_fn *ssignal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(ssignal), bsd_semantics);
}

START_PATH REAP_EXPORT handler_fn *sysv_signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(sysv_signal), sysv_semantics);
}

START_PATH REAP_EXPORT handler_fn *__sysv_signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(sysv_signal), sysv_semantics);
}
#else
/* musl's signal, bsd_signal and __sysv_signal are one function: SA_RESTART, an empty mask, whatever
 * siginterrupt said before (which changes only the action in place). */
static __attribute__((noinline)) handler_fn *musl_semantics(int sig, handler_fn *handler)
{
	return install_simple(sig, handler, SA_RESTART, false);
}

START_PATH REAP_EXPORT handler_fn *signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(signal), musl_semantics);
}

START_PATH REAP_EXPORT handler_fn *bsd_signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(signal), musl_semantics);
}

START_PATH REAP_EXPORT handler_fn *__sysv_signal(int sig, handler_fn *handler)
{
	return signal_entry(sig, handler, LIBC_AT_START(signal), musl_semantics);
}
#endif

REAP_EXPORT handler_fn *sigset(int sig, handler_fn *disposition)
{
	sigset_t one, previous;
	struct sigaction act, old;

	if (!ours(sig)) {
		return LIBC(sigset)(sig, disposition);
	}
	sigemptyset(&one);
	if (sigaddset(&one, sig) != 0) {
		return SIG_ERR; /* EINVAL, as glibc's sigset */
	}
	if (disposition == SIG_HOLD) {
		if (sigprocmask(SIG_BLOCK, &one, &previous) != 0 || signals_action(sig, NULL, &old) != 0) {
			return SIG_ERR;
		}
		return sigismember(&previous, sig) ? SIG_HOLD : old.sa_handler;
	}
	if (disposition == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = disposition;
	sigemptyset(&act.sa_mask);
	if (signals_action(sig, &act, &old) != 0 || sigprocmask(SIG_UNBLOCK, &one, &previous) != 0) {
		return SIG_ERR;
	}
	return sigismember(&previous, sig) ? SIG_HOLD : old.sa_handler;
}

REAP_EXPORT int sigignore(int sig)
{
	struct sigaction act;

	if (!ours(sig)) {
		return LIBC(sigignore)(sig);
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_IGN;
	return signals_action(sig, &act, NULL);
}

REAP_EXPORT int siginterrupt(int sig, int interrupt)
{
	struct sigaction act;

	if (!ours(sig)) {
		return LIBC(siginterrupt)(sig, interrupt);
	}
	if (signals_action(sig, NULL, &act) != 0) {
		return -1;
	}
	if (interrupt) {
		act.sa_flags &= ~SA_RESTART;
	} else {
		act.sa_flags |= SA_RESTART;
	}
	if (signals_action(sig, &act, NULL) != 0) {
		return -1;
	}
#if defined(__GLIBC__)
	/* Recorded once the kernel took it: glibc's signal() and friends read it. */
	if (interrupt) {
		sigaddset(&interrupting, sig);
	} else {
		sigdelset(&interrupting, sig);
	}
#endif
	return 0;
}
