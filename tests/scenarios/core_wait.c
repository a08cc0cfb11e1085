/* core_wait: the wait family never shows a foreign child (issue 2, property 5).
 * Under a storm of foreign orphans (which exit, die of signals, stop and continue, and may join
 * the process group being waited for), every form of wait returns only own children, each final
 * status exactly once; calls meaning "any child" fail with ECHILD at once when only foreign children
 * remain; EINTR comes only from the program's own handlers.
 * Usage: core_wait any|pid|pgrp|nohang|stop|nowait|eintr|echild|all */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scn.h"

/* glibc's exported aliases: each is an entry point of its own. musl has none, and the forms that
 * call them are left out of its transcript (has_form). */
#if defined(__GLIBC__)
extern pid_t __wait(int *status);
extern pid_t __waitpid(pid_t pid, int *status, int options);
#define HAS_ALIASES true
#define ALIAS_WAIT(status) __wait(status)
#define ALIAS_WAITPID(pid, status, options) __waitpid(pid, status, options)
#else
#define HAS_ALIASES false
#define ALIAS_WAIT(status) ((void)(status), errno = ENOSYS, (pid_t)-1)
#define ALIAS_WAITPID(pid, status, options) ((void)(pid), (void)(status), (void)(options), errno = ENOSYS, (pid_t)-1)
#endif

/* ---- one call of each form ---------------------------------------------------------------- */

enum form {
	F_WAIT, F_UWAIT, F_WAITPID_ANY, F_UWAITPID_ANY, F_WAITPID_GROUP, F_WAIT3, F_WAIT4_ANY,
	F_WAITID_ALL, F_WAITID_GROUP, F_COUNT
};
static const char *const form_name[F_COUNT] = {
	"wait()", "__wait()", "waitpid(-1)", "__waitpid(-1)", "waitpid(0)", "wait3()", "wait4(-1)",
	"waitid(P_ALL)", "waitid(P_PGID, 0)",
};

static bool has_form(enum form form)
{
	return HAS_ALIASES || (form != F_UWAIT && form != F_UWAITPID_ANY);
}

/* waitid(type, id) with `options`, answered as the other wait calls answer: the pid (0 for WNOHANG and
 * nothing, -1 with errno) and, when a child was reported, its wait status. */
static pid_t waitid_as_wait(idtype_t type, id_t id, int options, int *status)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(type, id, &si, options) != 0) {
		return -1;
	}
	*status = si.si_pid == 0 ? 0 : st_from_siginfo(&si);
	return si.si_pid;
}

/* Call `form` for any child with `options` (WEXITED implied for waitid); returns the pid (0 for
 * WNOHANG and nothing, -1 with errno) and the wait status. */
static pid_t call_any(enum form form, int options, int *status)
{
	struct rusage ru;
	*status = 0;
	switch (form) {
	case F_WAIT:
		return wait(status);
	case F_UWAIT:
		return ALIAS_WAIT(status);
	case F_WAITPID_ANY:
		return waitpid(-1, status, options);
	case F_UWAITPID_ANY:
		return ALIAS_WAITPID(-1, status, options);
	case F_WAITPID_GROUP:
		return waitpid(0, status, options);
	case F_WAIT3:
		return wait3(status, options, &ru);
	case F_WAIT4_ANY:
		return wait4(-1, status, options, &ru);
	case F_WAITID_ALL:
	case F_WAITID_GROUP:
		return waitid_as_wait(form == F_WAITID_ALL ? P_ALL : P_PGID, 0, options | WEXITED, status);
	default:
		return -1;
	}
}

/* Collect `n` released own children with `call`: every foreign pid it returns is a FAIL. */
static void collect_n(const char *via, int n, pid_t (*call)(void *ctx, int *status), void *ctx)
{
	int got = 0;
	for (int calls = 0; got < n && calls < 50; calls++) {
		int status;
		errno = 0;
		pid_t pid = call(ctx, &status);
		if (pid < 0) {
			scn_fail("%s: expected an own child, got -1 (%s)", via, strerror(errno));
			if (errno != EINTR) {
				return;
			}
			continue;
		}
		if (own_collect(via, pid, status) || own_is(pid)) {
			got++;
		}
	}
	scn_say("%s: %d own children collected", via, got);
}

static pid_t call_form(void *ctx, int *status)
{
	return call_any(*(enum form *)ctx, 0, status);
}

/* ---- variants ------------------------------------------------------------------------------ */

static void variant_any(void)
{
	for (enum form f = 0; f < F_COUNT; f++) {
		if (!has_form(f)) {
			continue;
		}
		scn_stage(form_name[f], 10);
		struct gate g;
		gate_make(&g);
		kid_gated(&g, 10 + (int)f);
		kid_gated(&g, 30 + (int)f);
		kid_gated(&g, -SIGTERM);
		storm_batches(2); /* foreign ends are pending now */
		gate_release(&g, 3);
		collect_n(form_name[f], 3, call_form, &f);
		gate_close(&g);
	}
}

struct pid_call {
	int how;
	pid_t pid;
};

static pid_t call_pid(void *ctx, int *status)
{
	struct pid_call *c = ctx;
	switch (c->how) {
	case 0:
		return waitpid(c->pid, status, 0);
	case 1:
		return ALIAS_WAITPID(c->pid, status, 0);
	case 2:
		return wait4(c->pid, status, 0, NULL);
	case 3:
		return waitid_as_wait(P_PID, (id_t)c->pid, WEXITED, status);
	default: {
		int fd = scn_pidfd(c->pid);
		if (fd < 0) {
			return -1;
		}
		pid_t got = waitid_as_wait(P_PIDFD, (id_t)fd, WEXITED, status);
		close(fd);
		return got;
	}
	}
}

static void variant_pid(void)
{
	static const char *const names[] = { "waitpid(pid)", "__waitpid(pid)", "wait4(pid)",
		                             "waitid(P_PID)", "waitid(P_PIDFD)" };
	for (int how = 0; how < 5; how++) {
		if (how == 1 && !HAS_ALIASES) {
			continue;
		}
		scn_stage(names[how], 10);
		struct gate g;
		gate_make(&g);
		pid_t a = kid_gated(&g, 40 + how);
		pid_t b = kid_gated(&g, -SIGKILL);
		storm_batches(1);
		gate_release(&g, 2);
		struct pid_call ca = { how, a }, cb = { how, b };
		collect_n(names[how], 1, call_pid, &ca);
		collect_n(names[how], 1, call_pid, &cb);
		gate_close(&g);
	}
}

struct group_call {
	int how;
	pid_t pgid;
};

static pid_t call_group(void *ctx, int *status)
{
	struct group_call *c = ctx;
	switch (c->how) {
	case 0:
		return waitpid(-c->pgid, status, 0);
	case 1:
		return wait4(-c->pgid, status, 0, NULL);
	default:
		return waitid_as_wait(P_PGID, (id_t)c->pgid, WEXITED, status);
	}
}

static void variant_pgrp(void)
{
	static const char *const names[] = { "waitpid(-pgid)", "wait4(-pgid)", "waitid(P_PGID)" };
	scn_stage("process group", 15);
	struct gate g;
	gate_make(&g);
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = kid_gated(&g, 50 + i);
		if (setpgid(kids[i], kids[0]) != 0) {
			scn_broken("setpgid");
		}
	}
	storm_pgid(kids[0]); /* foreign orphans join the group too */
	storm_batches(2);
	for (int how = 0; how < 3; how++) {
		gate_release(&g, 1);
		struct group_call c = { how, kids[0] };
		collect_n(names[how], 1, call_group, &c);
	}
	storm_pgid(0);
	gate_release(&g, 1);
	struct group_call c = { 0, kids[0] };
	collect_n(names[0], 1, call_group, &c);
	gate_close(&g);
}

static void variant_nohang(void)
{
	scn_stage("WNOHANG", 15);
	struct gate g;
	gate_make(&g);
	pid_t k = kid_gated(&g, 61);
	storm_batches(2);
	for (enum form f = F_WAITPID_ANY; f < F_COUNT; f++) {
		int status;
		if (!has_form(f)) {
			continue;
		}
		errno = 0;
		pid_t pid = call_any(f, WNOHANG, &status);
		if (pid != 0) {
			char t[64];
			scn_fail("%s with WNOHANG while own children run: expected 0, got %d (%s, %s)", form_name[f],
			         (int)pid, st_text(status, t), pid < 0 ? strerror(errno) : own_is(pid) ? "own" : "foreign");
		}
	}
	scn_say("WNOHANG while own children run -> 0");
	gate_release(&g, 1);
	double end = scn_now() + 5;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			own_collect("waitpid(-1, WNOHANG)", pid, status);
			if (pid == k) {
				break;
			}
		} else if (pid < 0 || scn_now() > end) {
			scn_fail("waitpid(-1, WNOHANG) never returned own child %d", (int)k);
			break;
		}
		scn_nap(0.001);
	}
	scn_say("WNOHANG after the own child ended -> collected");
	gate_close(&g);
}

/* One state report of own child k through waitpid-like `form`: loops over foreign reports. */
static void expect_report(const char *via, pid_t k, int expect, pid_t (*call)(int *status))
{
	for (int calls = 0; calls < 50; calls++) {
		int status;
		errno = 0;
		pid_t pid = call(&status);
		if (pid < 0) {
			scn_fail("%s: expected a report of %d, got -1 (%s)", via, (int)k, strerror(errno));
			return;
		}
		own_report(via, pid, status, expect);
		if (pid == k) {
			char t[64];
			scn_say("%s -> own child %s", via, st_text(status, t));
			return;
		}
	}
}

static pid_t waitpid_untraced(int *st) { return waitpid(-1, st, WUNTRACED); }
static pid_t waitpid_continued(int *st) { return waitpid(-1, st, WCONTINUED); }
static pid_t wait4_both(int *st) { return wait4(-1, st, WUNTRACED | WCONTINUED, NULL); }
static pid_t wait3_continued(int *st) { return wait3(st, WCONTINUED, NULL); }

static pid_t waitid_stopped_peek(int *st) { return waitid_as_wait(P_ALL, 0, WSTOPPED | WNOWAIT, st); }
static pid_t waitid_stopped(int *st) { return waitid_as_wait(P_ALL, 0, WSTOPPED, st); }
static pid_t waitid_continued(int *st) { return waitid_as_wait(P_ALL, 0, WCONTINUED, st); }

static void variant_stop(void)
{
	scn_stage("WUNTRACED/WCONTINUED", 20);
	struct gate g;
	gate_make(&g);
	pid_t k = kid_gated(&g, 71);
	storm_batches(2);

	kid_stop(k, true);
	expect_report("waitpid(-1, WUNTRACED)", k, st_stopped(SIGSTOP), waitpid_untraced);
	kid_stop(k, false);
	expect_report("waitpid(-1, WCONTINUED)", k, st_continued(), waitpid_continued);

	kid_stop(k, true);
	expect_report("waitid(P_ALL, WSTOPPED|WNOWAIT)", k, st_stopped(SIGSTOP), waitid_stopped_peek);
	expect_report("waitid(P_ALL, WSTOPPED)", k, st_stopped(SIGSTOP), waitid_stopped);
	int status;
	pid_t none = waitid_as_wait(P_ALL, 0, WSTOPPED | WNOHANG, &status);
	if (none != 0) {
		char t[64];
		scn_fail("waitid(P_ALL, WSTOPPED|WNOHANG) after the report was taken: expected 0, got %d (%s)",
		         (int)none, st_text(status, t));
	}
	kid_stop(k, false);
	expect_report("waitid(P_ALL, WCONTINUED)", k, st_continued(), waitid_continued);

	kid_stop(k, true);
	expect_report("wait4(-1, WUNTRACED|WCONTINUED)", k, st_stopped(SIGSTOP), wait4_both);
	kid_stop(k, false);
	expect_report("wait3(WCONTINUED)", k, st_continued(), wait3_continued);

	gate_release(&g, 1);
	pid_t got = waitpid(k, &status, WUNTRACED | WCONTINUED);
	if (scn_expect_int("waitpid(k, WUNTRACED|WCONTINUED) at the end", k, got)) {
		own_collect("waitpid(k, WUNTRACED|WCONTINUED)", got, status);
	}
	gate_close(&g);
}

static pid_t waitid_exited_peek(int *st) { return waitid_as_wait(P_ALL, 0, WEXITED | WNOWAIT, st); }

static void variant_nowait(void)
{
	scn_stage("WNOWAIT", 15);
	pid_t k = kid_exit(81);
	/* an own child is the program's to wait for: it stays a zombie until then */
	if (!proc_wait_state(k, 'Z', 5)) {
		scn_fail("own child %d: expected to stay a zombie until waited for, state is '%c'", (int)k,
		         proc_state(k) ? proc_state(k) : '-');
	}
	storm_batches(2);
	expect_report("waitid(P_ALL, WEXITED|WNOWAIT)", k, st_exit(81), waitid_exited_peek);
	expect_report("waitid(P_ALL, WEXITED|WNOWAIT) again", k, st_exit(81), waitid_exited_peek);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)k, &si, WEXITED | WNOWAIT) != 0 || si.si_pid != k) {
		scn_fail("waitid(P_PID, WEXITED|WNOWAIT): expected %d, got %d (%s)", (int)k, (int)si.si_pid,
		         strerror(errno));
	}
	int status;
	pid_t got = waitpid(k, &status, 0);
	if (scn_expect_int("waitpid(pid) after WNOWAIT", k, got)) {
		own_collect("waitpid(pid) after WNOWAIT", got, status);
	}
	errno = 0;
	got = waitpid(k, &status, WNOHANG);
	if (got != -1 || errno != ECHILD) {
		scn_fail("waitpid(pid) a second time: expected -1 ECHILD, got %d (%s)", (int)got, strerror(errno));
	}
	scn_say("WNOWAIT: reported twice, collected once");
}

/* ---- EINTR ----------------------------------------------------------------------------------- */

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen = 1;
}

/* What helpers do once the program sleeps in its wait call. */
static void act_storm3_release(void *ctx)
{
	storm_batches(3);
	gate_release(ctx, 1);
}

static void act_storm1_release(void *ctx)
{
	storm_batches(1);
	gate_release(ctx, 1);
}

/* Case 4: the program's SIGUSR1 handler lets a foreign orphan go and returns only once it has
 * ended, so that its SIGCHLD is pending when the wait call comes back from the handler. */
static struct foreign race_orphan;
static char race_stat[64];

static void on_usr1_while_foreign_ends(int sig)
{
	(void)sig;
	int saved = errno;
	usr1_seen = 1;
	char c = 0;
	if (write(race_orphan.gate.w, &c, 1) == 1) {
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			char st = proc_state_at(race_stat);
			if (st == 0 || st == 'Z' || st == 'X') {
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while (t.tv_sec - t0.tv_sec < 2);
	}
	errno = saved;
}

static void act_usr1(void *ctx)
{
	(void)ctx;
	storm_batches(1);
	kill(getppid(), SIGUSR1);
}

/* waitpid(k) that may fail with EINTR only when the program's handler was told of an own child. */
static void wait_no_foreign_eintr(pid_t k, const char *via)
{
	for (int tries = 0; tries < 100; tries++) {
		int from = sigrec_count();
		int status;
		errno = 0;
		pid_t got = waitpid(k, &status, 0);
		if (got == k) {
			own_collect(via, got, status);
			char t[64];
			scn_say("%s -> %s", via, st_text(status, t));
			return;
		}
		if (got < 0 && errno == EINTR) {
			bool own_event = sigrec_own_since(from);
			if (!own_event) {
				scn_fail("%s failed with EINTR, but no handler of the program was due", via);
			}
			continue;
		}
		scn_fail("%s: expected %d, got %d (%s)", via, (int)k, (int)got, strerror(errno));
		return;
	}
}

static void variant_eintr(void)
{
	scn_stage("EINTR", 20);
	struct sigaction sa, old_chld, old_usr1;
	sigrec_catch_sigchld(0, &old_chld); /* no SA_RESTART: an own SIGCHLD interrupts a wait */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &old_usr1);
	int rec_from = sigrec_count();

	/* foreign ends while blocked: no EINTR */
	struct gate ga;
	struct helper h;
	gate_make(&ga);
	pid_t a = kid_gated(&ga, 91);
	helper_start(&h, true, act_storm3_release, &ga);
	wait_no_foreign_eintr(a, "waitpid(pid) while foreign orphans end");
	helper_end(&h);
	gate_close(&ga);

	/* the program's own SIGUSR1 handler: EINTR */
	struct gate gb;
	gate_make(&gb);
	pid_t b = kid_gated(&gb, 92);
	usr1_seen = 0;
	helper_start(&h, true, act_usr1, NULL);
	int status;
	errno = 0;
	pid_t got = waitpid(b, &status, 0);
	scn_say("waitpid(pid) interrupted by the program's SIGUSR1 handler -> %d %s (handler ran: %d)",
	        (int)got, got < 0 ? strerror(errno) : "", (int)usr1_seen);
	if (got != -1 || errno != EINTR || !usr1_seen) {
		scn_fail("waitpid(pid) and the program's SIGUSR1 handler: expected -1 EINTR, got %d (%s)", (int)got,
		         strerror(errno));
	}
	gate_release(&gb, 1);
	wait_no_foreign_eintr(b, "waitpid(pid) after SIGUSR1");
	helper_end(&h);
	gate_close(&gb);

	/* an own child's SIGCHLD for the program's handler: EINTR */
	struct gate gc, gd;
	gate_make(&gc);
	gate_make(&gd);
	pid_t c = kid_gated(&gc, 93);
	pid_t d = kid_gated(&gd, 94);
	helper_start(&h, true, act_storm1_release, &gd);
	int from = sigrec_count();
	errno = 0;
	got = waitpid(c, &status, 0);
	bool saw_d = sigrec_wait(d, CLD_EXITED, from, 5, NULL);
	scn_say("waitpid(pid) while another own child ends -> %d %s (handler saw it: %d)", (int)got,
	        got < 0 ? strerror(errno) : "", (int)saw_d);
	if (got != -1 || errno != EINTR || !saw_d) {
		scn_fail("waitpid(pid) while another own child ends: expected -1 EINTR, got %d (%s)", (int)got,
		         strerror(errno));
	}
	gate_release(&gc, 1);
	wait_no_foreign_eintr(c, "waitpid(c)");
	wait_no_foreign_eintr(d, "waitpid(d)");
	helper_end(&h);
	gate_close(&gc);
	gate_close(&gd);

	/* the program's own SIGUSR1 handler while a foreign orphan ends: still EINTR */
	scn_stage("EINTR while a foreign orphan ends", 10);
	struct gate ge;
	gate_make(&ge);
	pid_t e = kid_gated(&ge, 95);
	foreign_make(&race_orphan, 0, NULL);
	snprintf(race_stat, sizeof race_stat, "/proc/%d/stat", (int)race_orphan.pid);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1_while_foreign_ends;
	sigaction(SIGUSR1, &sa, NULL);
	usr1_seen = 0;
	helper_start(&h, true, act_usr1, NULL);
	errno = 0;
	got = waitpid(e, &status, 0);
	scn_say("waitpid(pid) interrupted by the program's handler while a foreign orphan ends -> %d %s", (int)got,
	        got < 0 ? strerror(errno) : "");
	if (got != -1 || errno != EINTR || !usr1_seen) {
		scn_fail("waitpid(pid), the program's SIGUSR1 handler and a foreign end: expected -1 EINTR, got %d (%s)",
		         (int)got, strerror(errno));
	}
	gate_release(&ge, 1);
	wait_no_foreign_eintr(e, "waitpid(pid) after that SIGUSR1");
	helper_end(&h);
	gate_close(&ge);
	gate_close(&race_orphan.gate);

	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	sigrec_check_own(rec_from);
}

/* ---- ECHILD ----------------------------------------------------------------------------------- */

static void expect_echild(const char *via, enum form f, int options)
{
	scn_stage(via, 3);
	double t0 = scn_now();
	int status;
	errno = 0;
	pid_t got = call_any(f, options, &status);
	int err = errno;
	double took = scn_now() - t0;
	if (got != -1 || err != ECHILD) {
		char t[64];
		scn_fail("%s with only foreign children: expected -1 ECHILD, got %d (%s)", via, (int)got,
		         got > 0 ? st_text(status, t) : strerror(err));
	} else if (took > 1.0) {
		scn_fail("%s with only foreign children: ECHILD took %.2f s, expected at once", via, took);
	}
	scn_say("%s with only foreign children -> %d %s", via, (int)got, strerror(err));
}

static void variant_echild(void)
{
	scn_stage("ECHILD setup", 15);
	storm_stop(); /* the storm process is an own child: it goes first */
	struct foreign live, dead;
	foreign_make(&live, 0, NULL);
	foreign_make(&dead, 3, NULL);
	foreign_release(&dead);
	double end = scn_now() + 5;
	while (proc_state(dead.pid) != 'Z' && proc_state(dead.pid) != 0 && scn_now() < end) {
		scn_nap(0.0005);
	}

	expect_echild("wait()", F_WAIT, 0);
	if (HAS_ALIASES) {
		expect_echild("__wait()", F_UWAIT, 0);
	}
	expect_echild("waitpid(-1, WNOHANG)", F_WAITPID_ANY, WNOHANG);
	expect_echild("waitpid(-1, 0)", F_WAITPID_ANY, 0);
	if (HAS_ALIASES) {
		expect_echild("__waitpid(-1, 0)", F_UWAITPID_ANY, 0);
	}
	expect_echild("waitpid(-1, WUNTRACED|WCONTINUED)", F_WAITPID_ANY, WUNTRACED | WCONTINUED);
	expect_echild("waitpid(0, 0)", F_WAITPID_GROUP, 0);
	expect_echild("wait3(0)", F_WAIT3, 0);
	expect_echild("wait4(-1, 0)", F_WAIT4_ANY, 0);
	expect_echild("waitid(P_ALL, WEXITED)", F_WAITID_ALL, 0);
	expect_echild("waitid(P_ALL, WEXITED|WNOHANG)", F_WAITID_ALL, WNOHANG);
	expect_echild("waitid(P_PGID, 0, WEXITED)", F_WAITID_GROUP, 0);
	foreign_release(&live);
}

/* ---- main ------------------------------------------------------------------------------------ */

static const struct scn_variant variants[] = {
	{ "any", variant_any },       { "pid", variant_pid },       { "pgrp", variant_pgrp },
	{ "nohang", variant_nohang }, { "stop", variant_stop },     { "nowait", variant_nowait },
	{ "eintr", variant_eintr },   { "echild", variant_echild },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
	return scn_variants_main(argc, argv, variants, N_VARIANTS, NULL,
	                         "usage: core_wait any|pid|pgrp|nohang|stop|nowait|eintr|echild|all");
}
