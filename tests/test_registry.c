/* What the shim keeps per child and what it costs (tests/scenarios/registry_cases.c, issue 9): pid
 * reuse, a registry that stays small while SIGCHLD is ignored, a burst of exits at O(1) system
 * calls each, raw-cloned children's statuses through an orphan storm, REAP_OWN only where the next
 * image reads it, errno after a wait the shim restarted. Each case failed with the library before
 * the fix. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static bool stress(void)
{
	const char *s = getenv("STRESS");
	return s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
}

static double timeout_s(double base)
{
	return stress() ? base * 10 : base;
}

static void run_case(const char *which, bool preload, struct run_result *r)
{
	const char *argv[] = {scenario("registry_cases"), which, NULL};
	const char *env[] = {stress() ? "STRESS=1" : "STRESS=0", NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .env = env, .timeout_s = timeout_s(60)};

	run(argv, &opts, r);
}

/* As PID 1 with the shim the case holds. */
static void holds(const char *which)
{
	struct run_result r;

	run_case(which, true, &r);
	cr_expect(!r.timed_out && r.exit_code == 0, "%s with the shim: exit %d%s; output:\n%s", which, r.exit_code,
		  r.timed_out ? " (timed out)" : "", r.out);
	run_result_free(&r);
}

/* ... and as PID 1 without it too (the baseline: libc's behaviour, where no orphan interferes). */
static void holds_like_libc(const char *which)
{
	struct run_result r;

	run_case(which, false, &r);
	cr_assert(!r.timed_out && r.exit_code == 0, "%s without the shim must hold (the baseline); output:\n%s", which,
		  r.out);
	run_result_free(&r);
	holds(which);
}

/* ... and without it, the case fails: the control shows the orphan to wait(). */
static void holds_only_with_the_shim(const char *which)
{
	char fail_line[64];
	struct run_result r;

	holds(which);
	run_case(which, false, &r);
	snprintf(fail_line, sizeof(fail_line), "FAIL %s", which);
	cr_expect(r.exit_code == 1 && strstr(r.out, fail_line) != NULL,
		  "%s without the shim: wait() must report the orphan; got exit %d; output:\n%s", which, r.exit_code,
		  r.out);
	run_result_free(&r);
}

/* A thread waits for any child; an orphan's end frees its pid, which a fork is forced to take
 * (ns_last_pid): the orphan's status must never be reported as the new child's, by wait() or by
 * waitpid(new child). */
Test(registry, pid_reuse_in_a_wait_for_any, .timeout = 300) { holds_only_with_the_shim("pid_reuse"); }

Test(registry, stays_small_while_sigchld_ignored, .timeout = 300) { holds_like_libc("ignored"); }

Test(registry, raw_clone_status_survives_an_orphan_storm, .timeout = 300) { holds("raw_clone"); }

/* Orphans whose signals merged, behind own zombies the program never waits for, are reaped even
 * when no child event and no wait follows (the scan owed then comes from the shim's timer). */
Test(registry, hidden_orphans_reaped_without_further_events, .timeout = 300) { holds("hidden"); }

Test(registry, no_reap_own_for_a_cleared_environment, .timeout = 60) { holds_like_libc("env_cleared"); }

Test(registry, no_reap_own_without_children, .timeout = 60) { holds_like_libc("env_childless"); }

Test(registry, reap_own_lists_the_children, .timeout = 60) { holds("env_listed"); }

Test(registry, errno_kept_after_a_restarted_wait, .timeout = 60) { holds("errno_kept"); }

/* Without pidfd_open the shim's sweep outside a handler (here: sigaction's) left errno ENOSYS. */
Test(registry, errno_kept_without_pidfd, .timeout = 60) { holds_like_libc("errno_no_pidfd"); }

/* A child born while another thread is blocked in wait() for any child, and reaped by that wait,
 * leaves no entry: an orphan that then gets its pid (ns_last_pid) is not the program's. The entry
 * stayed with the first version of the forget's mark (this round), which took any entry recorded
 * after the wait began for a newer child. */
Test(registry, no_entry_left_by_a_wait_that_began_before_the_birth, .timeout = 120)
{
	holds_only_with_the_shim("stale_entry");
}

/* A child forked into a pid the program's wait has just freed, before the wait's wrapper is done
 * with the child that held it, is the program's. */
Test(registry, pid_reused_by_the_handler_during_a_wait, .timeout = 60) { holds_like_libc("own_reuse"); }

Test(registry, burst_of_exits, .timeout = 600) { holds_like_libc("burst"); }

/* System calls of the kinds a scan makes, from strace -c's table. */
static long calls_in(const char *path)
{
	char line[256];
	long total = 0;
	FILE *f = fopen(path, "r");

	cr_assert(f != NULL, "no strace summary at %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		long calls;
		char name[64];
		if (strstr(line, "total") == NULL && sscanf(line, "%*f %*f %*d %ld %*s %63s", &calls, name) >= 1) {
			total += calls;
		}
	}
	fclose(f);
	return total;
}

/* A burst of N exits costs O(N) system calls, not O(N^2): each SIGCHLD used to read /proc and look
 * at every own zombie. Counted by strace (waitid, wait4, openat, getdents64, pidfd_open) over the
 * whole run, PID 1 of its namespace included; a count, not a time. */
Test(registry, burst_costs_a_constant_per_exit, .timeout = 600)
{
	const int n = 1000;
	char summary[32], count[16];
	struct run_result r;
	long calls;

	snprintf(count, sizeof(count), "%d", n);
	const char *program[] = {scenario("registry_cases"), "burst", count, NULL};

	run_counted("waitid,wait4,openat,getdents64,pidfd_open", program, 300, summary, &r);
	calls = calls_in(summary);
	unlink(summary);
	cr_expect(!r.timed_out && r.exit_code == 0, "burst under strace: exit %d; output:\n%s", r.exit_code, r.out);
	cr_expect(calls > n && calls <= 10L * n, "%d exits took %ld system calls of a scan's kinds (want at most %d)",
		  n, calls, 10 * n);
	run_result_free(&r);
}
