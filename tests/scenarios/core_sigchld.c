/* core_sigchld: the program's SIGCHLD disposition keeps working under a storm of foreign orphans
 * (issue 2, property 6): handlers with and without SA_SIGINFO, SA_RESTART, SA_NOCLDSTOP,
 * SA_NOCLDWAIT, SA_RESETHAND, SIG_IGN (set, or inherited across exec). A handler is told of every
 * own child's end and never handed a foreign child. A forked child keeps its handler.
 * (What sigaction/signal report back is core_sigquery.)
 * Usage: core_sigchld siginfo|reaping|restart|norestart|nocldstop|stopreports|nocldwait|
 *                     nocldwait_merged|nocldwait_waits|kernel_reaps|resethand|
 *                     ign|forked|quiet_clone|ign_exec|merged|all
 * (ign_exec and merged are not part of all; merged holds a CPU with a SCHED_FIFO helper, and its
 * orphans' signals go to the program only where it is PID 1) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scn.h"

static struct sigaction saved;

static void install_plain(void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	if (sigaction(SIGCHLD, &sa, &saved) != 0) {
		scn_broken("sigaction(SIGCHLD)");
	}
}

static void restore(void)
{
	sigaction(SIGCHLD, &saved, NULL);
}

/* Wait for own child k to end with `expect` and collect it. */
static void collect(pid_t k, const char *via)
{
	int status;
	pid_t got;
	while ((got = waitpid(k, &status, 0)) < 0 && errno == EINTR) {
	}
	if (got == k) {
		own_collect(via, got, status);
	} else {
		scn_fail("%s: expected %d, got %d (%s)", via, (int)k, (int)got, strerror(errno));
	}
}

/* The handler must be told of k's state change with si_code code and si_status status. */
static bool expect_told(pid_t k, int from, int code, int status, const char *what)
{
	struct sigrec_entry e;
	if (!sigrec_wait(k, code, from, 5, &e)) {
		scn_fail("%s: the handler was never told of own child %d (si_code %d)", what, (int)k, code);
		return false;
	}
	if (e.status != status) {
		scn_fail("%s: own child %d: expected si_status %d, got %d", what, (int)k, status, e.status);
		return false;
	}
	return true;
}

/* ---- variants ------------------------------------------------------------------------------- */

static void variant_siginfo(void)
{
	scn_stage("SA_SIGINFO", 30);
	sigrec_catch_sigchld(SA_RESTART, &saved);
	int from0 = sigrec_count();
	storm_batches(2);
	int n = scn_scale(10);
	for (int i = 0; i < n; i++) {
		int from = sigrec_count();
		int code = i % 3 == 2 ? -SIGTERM : 30 + i;
		pid_t k = kid_exit(code);
		if (code < 0) {
			expect_told(k, from, CLD_KILLED, SIGTERM, "SA_SIGINFO");
		} else {
			expect_told(k, from, CLD_EXITED, code, "SA_SIGINFO");
		}
		collect(k, "waitpid(pid)");
	}
	restore();
	sigrec_check_own(from0);
	scn_say("SA_SIGINFO handler: told of %d own ends", n);
}

/* The classic reaper: a plain handler that loops waitpid(-1, WNOHANG). */
#define REAPED_MAX 4096
static struct {
	atomic_int pid;
	atomic_int status;
} reaped[REAPED_MAX];
static atomic_int n_reaped;

static void reaping_handler(int sig)
{
	(void)sig;
	int saved_errno = errno;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int i = atomic_fetch_add(&n_reaped, 1);
		if (i < REAPED_MAX) {
			atomic_store(&reaped[i].status, status);
			atomic_store(&reaped[i].pid, pid);
		}
	}
	errno = saved_errno;
}

static void variant_reaping(void)
{
	scn_stage("reaping handler", 30);
	/* the storm process must not be reaped by this handler: it only ends in scn_finish */
	install_plain(reaping_handler, SA_RESTART);
	int n = scn_scale(12);
	struct gate g;
	gate_make(&g);
	for (int i = 0; i < n; i++) {
		kid_gated(&g, i % 4 == 3 ? -SIGKILL : 40 + i);
	}
	storm_batches(2);
	gate_release(&g, n);
	int own = 0, seen = 0;
	double end = scn_now() + 10;
	while (own < n && scn_now() < end) {
		int total = atomic_load(&n_reaped);
		for (; seen < total && seen < REAPED_MAX; seen++) {
			pid_t pid;
			while ((pid = atomic_load(&reaped[seen].pid)) == 0) {
			}
			if (own_collect("waitpid(-1, WNOHANG) in a SIGCHLD handler", pid, atomic_load(&reaped[seen].status))) {
				own++;
			}
		}
		scn_nap(0.001);
	}
	restore();
	gate_close(&g);
	scn_expect_int("own children reaped by the program's handler", n, own);
	scn_say("reaping handler: %d own children, exact", own);
}

/* A blocking read while an own child ends: restarted with SA_RESTART, EINTR without. */
struct read_case {
	struct gate *release;
	pid_t kid;
	int wake; /* write end of the pipe the program reads */
};

static void act_release_then_wake(void *ctx)
{
	struct read_case *c = ctx;
	storm_batches(2);
	gate_release(c->release, 1);
	proc_wait_state(c->kid, 'Z', 5);
	storm_batches(1);
	if (write(c->wake, "x", 1) != 1) {
		_exit(1);
	}
}

static void act_release(void *ctx)
{
	struct read_case *c = ctx;
	storm_batches(2);
	gate_release(c->release, 1);
}

/* A SIGUSR2 every half second, to a handler without SA_RESTART. */
static void on_tick(int sig)
{
	(void)sig;
}

static timer_t tick_start(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_tick;
	sigaction(SIGUSR2, &sa, NULL);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	struct itimerspec every = {{0, 500000000}, {0, 500000000}};
	timer_t tick;
	if (timer_create(CLOCK_MONOTONIC, &ev, &tick) != 0 || timer_settime(tick, 0, &every, NULL) != 0) {
		scn_broken("timer_create");
	}
	return tick;
}

static void tick_stop(timer_t tick)
{
	timer_delete(tick);
	signal(SIGUSR2, SIG_DFL);
}

static void variant_restart(bool restart)
{
	scn_stage(restart ? "SA_RESTART" : "no SA_RESTART", 20);
	sigrec_catch_sigchld(restart ? SA_RESTART : 0, &saved);
	int from = sigrec_count();
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	struct gate g;
	gate_make(&g);
	struct read_case c = { &g, kid_gated(&g, 51), fds[1] };
	struct helper h;
	helper_start(&h, false, restart ? act_release_then_wake : act_release, &c);
	char byte;
	if (restart) {
		errno = 0;
		ssize_t r = read(fds[0], &byte, 1);
		scn_say("SA_RESTART: read() while an own child ended -> %zd", r);
		if (r != 1) {
			scn_fail("SA_RESTART: read() while an own child ended: expected 1, got %zd (%s)", r, strerror(errno));
		}
	} else {
		/* An EINTR that a foreign child's end causes cannot be told apart from outside for read():
		 * only the one the own child causes is checked. Where nobody reaps orphans (the controls
		 * without the shim), the own child's signal may merge into an orphan's and never come,
		 * and the storm holds back: a tick of the program's own breaks the read then, once the
		 * child has been a zombie for seconds without its handler hearing of it. */
		bool interrupted = false;
		double zombie_since = 0;
		timer_t tick = tick_start();
		for (int tries = 0; tries < 1000 && !interrupted; tries++) {
			errno = 0;
			ssize_t r = read(fds[0], &byte, 1);
			if (r >= 0 || errno != EINTR) {
				scn_fail("no SA_RESTART: read(): expected -1 EINTR, got %zd (%s)", r, strerror(errno));
				break;
			}
			interrupted = sigrec_own_since(from);
			if (!interrupted && proc_state(c.kid) == 'Z' && zombie_since == 0) {
				zombie_since = scn_now();
			}
			if (!interrupted && zombie_since > 0 && scn_now() - zombie_since > 3) {
				break; /* its end will not be told: expect_told says so */
			}
		}
		tick_stop(tick);
		scn_say("no SA_RESTART: read() while an own child ended -> EINTR %d", interrupted);
	}
	expect_told(c.kid, from, CLD_EXITED, 51, "read");
	collect(c.kid, "waitpid(pid)");
	helper_end(&h);
	restore();
	close(fds[0]);
	close(fds[1]);
	gate_close(&g);
	sigrec_check_own(from);
}

static void variant_stops(bool nocldstop)
{
	scn_stage(nocldstop ? "SA_NOCLDSTOP" : "stop reports", 20);
	sigrec_catch_sigchld(SA_RESTART | (nocldstop ? SA_NOCLDSTOP : 0), &saved);
	int from = sigrec_count();
	struct gate g;
	gate_make(&g);
	pid_t k = kid_gated(&g, 61);
	storm_batches(2);
	kid_stop(k, true);
	if (!nocldstop) {
		expect_told(k, from, CLD_STOPPED, SIGSTOP, "stop report");
	}
	kid_stop(k, false);
	if (!nocldstop) {
		expect_told(k, from, CLD_CONTINUED, SIGCONT, "continue report");
	}
	gate_release(&g, 1);
	expect_told(k, from, CLD_EXITED, 61, "exit");
	collect(k, "waitpid(pid)");
	restore();
	gate_close(&g);
	int stops = 0;
	for (int i = from; i < sigrec_count(); i++) {
		struct sigrec_entry e = sigrec_get(i);
		stops += e.code == CLD_STOPPED || e.code == CLD_CONTINUED;
	}
	if (nocldstop) {
		scn_expect_int("SA_NOCLDSTOP: stop/continue reports handed to the handler", 0, stops);
	}
	sigrec_check_own(from);
	scn_say("%s: handler told of %s", nocldstop ? "SA_NOCLDSTOP" : "no SA_NOCLDSTOP",
	        nocldstop ? "the end only" : "stop, continue and end");
}

static void variant_nocldwait(void)
{
	scn_stage("SA_NOCLDWAIT", 20);
	sigrec_catch_sigchld(SA_RESTART | SA_NOCLDWAIT, &saved);
	int from = sigrec_count();
	storm_batches(1);
	pid_t k = own_fork(OWN_ANY);
	if (k == 0) {
		_exit(9);
	}
	bool told = expect_told(k, from, CLD_EXITED, 9, "SA_NOCLDWAIT");
	/* the kernel reaps it: it is gone without a wait, and there is nothing to wait for */
	bool gone = proc_wait_state(k, 0, 5);
	int status;
	errno = 0;
	pid_t got = waitpid(k, &status, 0);
	int err = errno;
	own_collect("SA_NOCLDWAIT (no wait)", k, OWN_ANY);
	struct sigaction now;
	sigaction(SIGCHLD, NULL, &now);
	restore();
	scn_say("SA_NOCLDWAIT: told of the end %d, child gone %d, waitpid -> %d %s, flag kept %d", told, gone, (int)got,
	        strerror(err), (now.sa_flags & SA_NOCLDWAIT) != 0);
	if (!gone || got != -1 || err != ECHILD) {
		scn_fail("SA_NOCLDWAIT: expected the child gone and waitpid -1 ECHILD, got gone %d, %d (%s)", gone,
		         (int)got, strerror(err));
	}
	sigrec_check_own(from);
}

/* Poll (bounded) until pid has ended: a zombie, or reaped already. */
static bool ended(pid_t pid)
{
	double until = scn_now() + 5;
	char state;
	while ((state = proc_state(pid)) != 'Z' && state != 0) {
		if (scn_now() > until) {
			return false;
		}
		scn_nap(0.001);
	}
	return true;
}

/* SA_NOCLDWAIT, an own end merged into an orphan's pending signal: made every run by holding
 * SIGCHLD back while the orphan ends, then the own child. The kernel keeps no status under the
 * flag, so the handler is told of the own end only if its zombie outlives the signal. */
static void variant_nocldwait_merged(void)
{
	scn_stage("SA_NOCLDWAIT, merged", 20);
	struct foreign orphan;
	foreign_make(&orphan, 7, NULL); /* its middle child is collected before the flag is set */
	struct gate g;
	gate_make(&g);
	pid_t k = kid_gated(&g, 11);
	sigrec_catch_sigchld(SA_RESTART | SA_NOCLDWAIT, &saved);
	int from = sigrec_count();
	sigset_t chld, was;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &was);
	foreign_release(&orphan);
	bool orphan_ended = ended(orphan.pid);
	gate_release(&g, 1);
	bool own_ended = ended(k);
	sigprocmask(SIG_SETMASK, &was, NULL);
	gate_close(&g);
	bool told = expect_told(k, from, CLD_EXITED, 11, "SA_NOCLDWAIT, merged");
	bool gone = proc_wait_state(k, 0, 5);
	own_collect("SA_NOCLDWAIT, merged (no wait)", k, st_exit(11));
	restore();
	scn_say("SA_NOCLDWAIT, merged: orphan ended %d, own child ended %d, told of the own end %d, gone %d",
	        orphan_ended, own_ended, told, gone);
	if (!gone) {
		scn_fail("SA_NOCLDWAIT, merged: own child %d still there", (int)k);
	}
	sigrec_check_own(from);
}

/* What a program sees of its children under SA_NOCLDWAIT: a wait for one fails with ECHILD once the
 * child ends, a look with WNOWAIT shows no end, and a forked child keeps the flag for its own
 * children (its grandchild is gone without a wait). */
static void variant_nocldwait_waits(void)
{
	scn_stage("SA_NOCLDWAIT waits", 20);
	sigrec_catch_sigchld(SA_RESTART | SA_NOCLDWAIT, &saved);
	int from = sigrec_count();
	/* released one at a time: two ends at once may merge, with libc too */
	struct gate ga, gb;
	gate_make(&ga);
	gate_make(&gb);
	pid_t a = kid_gated(&ga, 3), b = kid_gated(&gb, 4);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int looked = waitid(P_PID, (id_t)a, &si, WEXITED | WNOHANG | WNOWAIT);
	scn_say("SA_NOCLDWAIT waits: waitid(a, WNOHANG|WNOWAIT) while it lives -> %d, si_pid %s", looked,
	        si.si_pid == 0 ? "0" : "a child");
	gate_release(&ga, 1);
	gate_close(&ga);
	int status;
	errno = 0;
	pid_t got = waitpid(a, &status, 0);
	int err = errno;
	scn_say("SA_NOCLDWAIT waits: waitpid(a) -> %d %s", (int)got, strerror(err));
	if (got != -1 || err != ECHILD) {
		scn_fail("SA_NOCLDWAIT waits: waitpid(a) expected -1 ECHILD, got %d (%s)", (int)got, strerror(err));
	}
	expect_told(a, from, CLD_EXITED, 3, "SA_NOCLDWAIT waits (a)");
	gate_release(&gb, 1);
	gate_close(&gb);
	bool b_ended = ended(b);
	memset(&si, 0, sizeof si);
	errno = 0;
	looked = waitid(P_PID, (id_t)b, &si, WEXITED | WNOWAIT);
	err = errno;
	scn_say("SA_NOCLDWAIT waits: b ended %d, waitid(b, WNOWAIT) -> %d %s", b_ended, looked, strerror(err));
	if (looked != -1 || err != ECHILD) {
		scn_fail("SA_NOCLDWAIT waits: waitid(b, WNOWAIT) expected -1 ECHILD, got %d (%s), si_pid %d", looked,
		         strerror(err), (int)si.si_pid);
	}
	expect_told(b, from, CLD_EXITED, 4, "SA_NOCLDWAIT waits (b)");
	own_collect("SA_NOCLDWAIT waits (no wait)", a, st_exit(3));
	own_collect("SA_NOCLDWAIT waits (no wait)", b, st_exit(4));

	/* exits 0 if its child was reaped without a wait, 1 if it stayed a zombie, 2 without the flag */
	pid_t c = own_fork(OWN_ANY);
	if (c == 0) {
		struct sigaction now;
		sigaction(SIGCHLD, NULL, &now);
		pid_t grandchild = fork();
		if (grandchild == 0) {
			_exit(0);
		}
		_exit(!(now.sa_flags & SA_NOCLDWAIT) ? 2 : grandchild > 0 && proc_wait_state(grandchild, 0, 5) ? 0 : 1);
	}
	expect_told(c, from, CLD_EXITED, 0, "SA_NOCLDWAIT waits (forked child)");
	own_collect("SA_NOCLDWAIT waits (no wait)", c, OWN_ANY);
	restore();
	sigrec_check_own(from);
}

/* A process that frees the gated orphan unless this one's wait ends within `seconds`: a wait that
 * sleeps on for the orphan then ends after all (the scenario goes on to its final checks), and
 * the orphan's end tells. The wait begins with a byte written to *go and ends when *go is closed.
 * Itself an orphan, from a middle child collected here. Returns its pid. */
static pid_t release_if_stuck(struct foreign *orphan, double seconds, int *go)
{
	int report[2], start[2];
	if (pipe2(report, O_CLOEXEC) != 0 || pipe2(start, O_CLOEXEC) != 0) {
		scn_broken("pipe2");
	}
	pid_t middle = own_fork(st_exit(0));
	if (middle == 0) {
		pid_t releaser = fork();
		if (releaser == 0) {
			char byte;
			close(start[1]);
			struct pollfd ended = { .fd = start[0], .events = POLLIN };
			if (read(start[0], &byte, 1) == 1 && poll(&ended, 1, (int)(seconds * 1000)) == 0) {
				gate_release(&orphan->gate, 1);
			}
			_exit(0);
		}
		_exit(write(report[1], &releaser, sizeof releaser) == (ssize_t)sizeof releaser ? 0 : 1);
	}
	close(report[1]);
	close(start[0]);
	pid_t releaser = 0;
	while (read(report[0], &releaser, sizeof releaser) < 0 && errno == EINTR) {
	}
	close(report[0]);
	int status;
	while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {
	}
	own_collect("waitpid(middle of a releaser)", middle, status);
	if (releaser <= 0) {
		scn_broken("no pid from the releaser's middle child");
	}
	*go = start[1];
	return releaser;
}

/* While the kernel reaps children as they end, a wait for several blocks until none of those it
 * waits for is left, then fails with ECHILD. An orphan in the same process group, gated (where
 * orphans come to this process), must not keep the wait asleep: the program never made it. The
 * group's second child ends only once this process sleeps in the wait. */
static void wait_for_group_while_reaped(const char *what, void (*handler)(int), int flags)
{
	scn_stage(what, 10);
	struct foreign orphan;
	foreign_make(&orphan, 0, NULL); /* its middle child is collected before the disposition is set */
	int go;
	pid_t releaser = release_if_stuck(&orphan, 3, &go);
	pid_t parent = getpid();
	struct gate gg;
	gate_make(&gg);
	pid_t g1 = kid_gated(&gg, 0);
	setpgid(g1, g1);
	setpgid(orphan.pid, g1); /* fails where the orphan is not this process's child */
	pid_t g2 = own_fork(OWN_ANY);
	if (g2 == 0) {
		_exit(proc_wait_in_wait(parent, 10) ? 0 : 1);
	}
	setpgid(g2, g1);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old);
	gate_release(&gg, 1);
	gate_close(&gg);
	int status;
	if (write(go, "", 1) != 1) {
		scn_broken("write to the releaser");
	}
	errno = 0;
	pid_t got = waitpid(-g1, &status, 0);
	int err = errno;
	close(go); /* the group's children, which had it too, are gone */
	char orphan_state = proc_state(orphan.pid);
	bool orphan_lives = orphan_state != 0 && orphan_state != 'Z';
	bool both_gone = proc_wait_state(g1, 0, 5) && proc_wait_state(g2, 0, 5);
	/* ended before the disposition goes back, so that where it comes to this process, it is
	 * reaped (by the kernel, or the shim) in every mode alike */
	ended(releaser);
	sigaction(SIGCHLD, &old, NULL);
	foreign_release(&orphan);
	scn_say("%s: waitpid(-group) -> %d %s, both children gone %d, the orphan still lives %d", what, (int)got,
	        strerror(err), both_gone, orphan_lives);
	if (got != -1 || err != ECHILD || !both_gone) {
		scn_fail("%s: expected waitpid(-group) -1 ECHILD and both children gone, got %d (%s), gone %d", what,
		         (int)got, strerror(err), both_gone);
	}
	if (!orphan_lives) {
		scn_fail("%s: the wait slept on until the orphan in the group was made to end", what);
	}
	own_collect("(reaped by the kernel)", g1, st_exit(0));
	own_collect("(reaped by the kernel)", g2, OWN_ANY);
}

static void variant_kernel_reaps(void)
{
	wait_for_group_while_reaped("SIG_IGN, wait for a group", SIG_IGN, 0);
	wait_for_group_while_reaped("SA_NOCLDWAIT, wait for a group", SIG_DFL, SA_NOCLDWAIT);
	wait_for_group_while_reaped("SA_NOCLDWAIT with a handler, wait for a group", sigrec_plain,
	                            SA_RESTART | SA_NOCLDWAIT);
}

static void variant_resethand(void)
{
	scn_stage("SA_RESETHAND", 20);
	sigrec_catch_sigchld(SA_RESTART | SA_RESETHAND, &saved);
	int from = sigrec_count();
	storm_batches(3); /* foreign ends must not use up the one call */
	pid_t k = kid_exit(4);
	expect_told(k, from, CLD_EXITED, 4, "SA_RESETHAND");
	collect(k, "waitpid(pid)");
	struct sigaction now;
	sigaction(SIGCHLD, NULL, &now);
	pid_t k2 = kid_exit(5);
	collect(k2, "waitpid(pid)");
	storm_batches(1);
	int calls = sigrec_count() - from;
	restore();
	scn_say("SA_RESETHAND: handler calls %d, disposition afterwards %s", calls,
	        now.sa_handler == SIG_DFL ? "SIG_DFL" : "not SIG_DFL");
	scn_expect_int("SA_RESETHAND: calls of the handler", 1, calls);
	if (now.sa_handler != SIG_DFL) {
		scn_fail("SA_RESETHAND: expected SIG_DFL after the call");
	}
	sigrec_check_own(from);
}

/* SIGCHLD ignored (set here or inherited): the kernel reaps own children, wait finds none. */
static void check_ignored(const char *what)
{
	struct sigaction now;
	sigaction(SIGCHLD, NULL, &now);
	if (now.sa_handler != SIG_IGN) {
		scn_fail("%s: sigaction reports %s, expected SIG_IGN", what, now.sa_handler == SIG_DFL ? "SIG_DFL" : "a handler");
	}
	storm_batches(1);
	pid_t k = own_fork(OWN_ANY);
	if (k == 0) {
		_exit(6);
	}
	int status;
	errno = 0;
	pid_t got = waitpid(k, &status, 0);
	int err = errno;
	own_collect("SIG_IGN (no wait)", k, OWN_ANY);
	bool gone = proc_wait_state(k, 0, 5);
	scn_say("%s: waitpid -> %d %s, child gone %d", what, (int)got, strerror(err), gone);
	if (got != -1 || err != ECHILD || !gone) {
		scn_fail("%s: expected waitpid -1 ECHILD and the child gone, got %d (%s), gone %d", what, (int)got,
		         strerror(err), gone);
	}
}

static void variant_ign(void)
{
	scn_stage("SIG_IGN", 20);
	struct sigaction old;
	sigaction(SIGCHLD, NULL, &old);
	signal(SIGCHLD, SIG_IGN);
	check_ignored("SIG_IGN");
	sigaction(SIGCHLD, &old, NULL);
}

/* Stage 2 of ign_exec: this image started with SIGCHLD ignored. */
static void variant_ign_inherited(void)
{
	scn_stage("SIG_IGN inherited", 20);
	check_ignored("SIG_IGN inherited across exec");
	signal(SIGCHLD, SIG_DFL);
}

/* A forked child of the program (of PID 1) keeps the program's handler for its own children. */
/* A child made by clone() with no exit signal sends none when it ends: the handler never hears of
 * it, also after a __WCLONE wait collected it. */
static int quiet_child(void *arg)
{
	(void)arg;
	_exit(5);
}

static void variant_quiet_clone(void)
{
	scn_stage("clone child without an exit signal", 20);
	sigrec_catch_sigchld(SA_RESTART, &saved);
	int from = sigrec_count();
	storm_batches(1);
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t q = clone(quiet_child, stack + sizeof stack, 0, NULL);
	if (q < 0) {
		scn_broken("clone");
	}
	own_add(q, st_exit(5));
	int status;
	pid_t got;
	while ((got = waitpid(q, &status, __WCLONE)) < 0 && errno == EINTR) {
	}
	if (got == q) {
		own_collect("waitpid(__WCLONE)", got, status);
	} else {
		scn_fail("waitpid(%d, __WCLONE): got %d (%s)", (int)q, (int)got, strerror(errno));
	}
	/* An own child's end after it: any report still due would come with its signal. */
	pid_t k = kid_exit(6);
	expect_told(k, from, CLD_EXITED, 6, "the next child");
	collect(k, "waitpid(pid)");
	restore();
	for (int i = from; i < sigrec_count(); i++) {
		if (sigrec_get(i).pid == q) {
			scn_fail("the handler was told of clone child %d, which has no exit signal", (int)q);
		}
	}
	sigrec_check_own(from);
	scn_say("clone child without an exit signal: the handler never heard of it");
}

static void variant_forked(void)
{
	scn_stage("forked child", 20);
	sigrec_catch_sigchld(SA_RESTART, &saved);
	int from = sigrec_count();
	storm_batches(1);
	pid_t x = own_fork(st_exit(0));
	if (x == 0) {
		struct sigaction now;
		sigaction(SIGCHLD, NULL, &now);
		if (!(now.sa_flags & SA_SIGINFO) || now.sa_sigaction != sigrec_info) {
			scn_fail("forked child: sigaction does not report the inherited handler");
		}
		int cfrom = sigrec_count();
		pid_t y = kid_exit(6);
		expect_told(y, cfrom, CLD_EXITED, 6, "forked child's handler");
		collect(y, "waitpid(pid) in the forked child");
		_exit(scn_failures() == 0 ? 0 : 1);
	}
	collect(x, "waitpid(forked child)");
	expect_told(x, from, CLD_EXITED, 0, "parent's handler");
	restore();
	sigrec_check_own(from);
	scn_say("forked child: its handler was told of its own child");
}

/* Merged signals: an own child's state changes while a foreign orphan's SIGCHLD is pending, so that
 * the kernel drops the own child's signal. A SCHED_FIFO helper holds the program's only CPU while
 * the orphan ends and then the own child ends, stops or continues, on the other CPU, so that both
 * have happened before the program runs again. Without the shim the handler runs (for the orphan)
 * as soon as the program does: the own child's end must have been told when its waitpid returns,
 * and a stop or continue soon after (the program waits for nothing then). */
enum own_event { OWN_ENDS, OWN_STOPS, OWN_CONTINUES };

struct merge {
	pid_t program, orphan, own;
	bool orphans_come_here; /* else there is nothing to merge with, and nothing to check */
	enum own_event event;
	struct gate *orphan_gate, *own_gate;
};

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof set, &set) != 0) {
		scn_broken("sched_setaffinity");
	}
}

static bool sigchld_pending_in(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	unsigned long long shared = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "ShdPnd: %llx", &shared);
	}
	if (f != NULL) {
		fclose(f);
	}
	return shared & (1ULL << (SIGCHLD - 1));
}

/* Polls without sleeping (a sleep would hand the CPU back to the program) until pid is in state
 * `state`, or (with `other` true) in any other state. */
static bool spin_until_state(pid_t pid, char state, bool other)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	double end = scn_now() + 2;
	while ((proc_state_at(path) == state) == other) {
		if (scn_now() > end) {
			return false;
		}
	}
	return true;
}

static bool own_event_happens(const struct merge *m)
{
	switch (m->event) {
	case OWN_ENDS:
		gate_release(m->own_gate, 1);
		return spin_until_state(m->own, 'Z', false);
	case OWN_STOPS:
		kill(m->own, SIGSTOP);
		return spin_until_state(m->own, 'T', false);
	case OWN_CONTINUES:
		/* It reports the continue on its way back to sleep at its gate. */
		kill(m->own, SIGCONT);
		return spin_until_state(m->own, 'S', false);
	}
	return false;
}

static void act_both_while_held(void *ctx)
{
	struct merge *m = ctx;
	struct sched_param fifo = {.sched_priority = 1}, other = {.sched_priority = 0};
	pin(0, 0);
	/* The system call: musl's sched_setscheduler always fails with ENOSYS. */
	if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &fifo) != 0) {
		scn_broken("sched_setscheduler(SCHED_FIFO)");
	}
	gate_release(m->orphan_gate, 1);
	bool orphan_ended = spin_until_state(m->orphan, 'Z', false);
	bool signal_pending = !m->orphans_come_here || sigchld_pending_in(m->program);
	bool own_changed = own_event_happens(m);
	syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &other);
	if (!orphan_ended || !signal_pending || !own_changed) {
		scn_fail("merged signals: not set up (orphan ended: %d, SIGCHLD pending: %d, own child changed: %d)",
		         (int)orphan_ended, (int)signal_pending, (int)own_changed);
	}
}

/* The orphan and the own child's event, merged; the program waits for its child (OWN_ENDS) or
 * sleeps until its handler is told. */
static void merge_with_orphan(pid_t k, struct gate *g, enum own_event event, int code, int status,
                              const cpu_set_t *was)
{
	struct foreign orphan;
	struct helper h;
	foreign_make(&orphan, 7, NULL);
	pin(orphan.pid, 1);
	pin(k, 1);
	pin(0, 0);
	struct merge m = {getpid(), orphan.pid, k, scn_orphan_reaper() == getpid(), event, &orphan.gate, g};
	int from = sigrec_count();
	helper_start(&h, event == OWN_ENDS, act_both_while_held, &m);
	if (event == OWN_ENDS) {
		collect(k, "waitpid(pid)");
		bool told = false;
		for (int e = from; e < sigrec_count(); e++) {
			told = told || (sigrec_get(e).pid == k && sigrec_get(e).code == code);
		}
		if (!told) {
			scn_fail("merged signals: waitpid(%d) returned before the handler was told of that child", (int)k);
		}
	} else {
		expect_told(k, from, code, status, event == OWN_STOPS ? "merged stop report" : "merged continue report");
	}
	sched_setaffinity(0, sizeof *was, was);
	helper_end(&h);
	gate_close(&orphan.gate);
	sigrec_check_own(from);
}

static void variant_merged(void)
{
	scn_stage("merged signals", 30);
	cpu_set_t was;
	if (sched_getaffinity(0, sizeof was, &was) != 0 || !CPU_ISSET(0, &was) || !CPU_ISSET(1, &was)) {
		scn_broken("merged signals: needs CPUs 0 and 1");
	}
	sigrec_catch_sigchld(SA_RESTART, &saved);
	int n = scn_scale(3);
	for (int i = 0; i < n; i++) {
		struct gate g;
		gate_make(&g);
		pid_t k = kid_gated(&g, 20 + i);
		merge_with_orphan(k, &g, OWN_STOPS, CLD_STOPPED, SIGSTOP, &was);
		merge_with_orphan(k, &g, OWN_CONTINUES, CLD_CONTINUED, SIGCONT, &was);
		merge_with_orphan(k, &g, OWN_ENDS, CLD_EXITED, 20 + i, &was);
		gate_close(&g);
	}
	restore();
	scn_say("merged signals: the handler was told of each own stop and continue, and of each own end before "
	        "its waitpid returned");
}

static void run_siginfo(void) { variant_siginfo(); }
static void run_restart(void) { variant_restart(true); }
static void run_norestart(void) { variant_restart(false); }
static void run_nocldstop(void) { variant_stops(true); }
static void run_stopreports(void) { variant_stops(false); }

static const struct scn_variant variants[] = {
	{ "siginfo", run_siginfo },         { "reaping", variant_reaping },
	{ "restart", run_restart },         { "norestart", run_norestart },
	{ "nocldstop", run_nocldstop },     { "stopreports", run_stopreports },
	{ "nocldwait", variant_nocldwait }, { "nocldwait_merged", variant_nocldwait_merged },
	{ "nocldwait_waits", variant_nocldwait_waits }, { "kernel_reaps", variant_kernel_reaps },
	{ "resethand", variant_resethand },
	{ "ign", variant_ign },             { "forked", variant_forked },
	{ "quiet_clone", variant_quiet_clone },
};

#define N_VARIANTS (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	if (strcmp(which, "ign_exec") == 0) {
		/* start the real scenario as a new image that inherits SIGCHLD ignored */
		signal(SIGCHLD, SIG_IGN);
		char *args[] = { argv[0], (char *)"ign_exec2", NULL };
		execv("/proc/self/exe", args);
		return SCN_EXIT_BROKEN;
	}
	scn_init();
	storm_start();
	bool found = false;
	if (strcmp(which, "ign_exec2") == 0) {
		variant_ign_inherited();
		found = true;
	}
	if (strcmp(which, "merged") == 0) {
		variant_merged();
		found = true;
	}
	if (scn_run_variants(variants, N_VARIANTS, which, NULL)) {
		found = true;
	}
	if (!found) {
		scn_say("usage: core_sigchld VARIANT|ign_exec|merged|all");
		return SCN_EXIT_BROKEN;
	}
	return scn_finish();
}
