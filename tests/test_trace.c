/* A ptrace tracer as PID 1 (tests/scenarios/trace_cases.c, trace_work.c): every event the kernel
 * reports to the program as the tracer of a process is the program's, through every wait and its
 * SIGCHLD handler, while foreign orphans that nobody traces are still reaped. Each case passes as
 * PID 1 without the shim (the baseline, without the storm, whose orphans bare PID 1 would see) and
 * with it; with the library before ptrace.c the tracee's first stop was dropped and the tracer hung. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static void holds(const char *variant, bool baseline)
{
	const char *argv[] = {scenario("trace_cases"), variant, NULL};
	const char *quiet[] = {"SCN_STORM=0", "SCN_SETTLE=0.3", NULL};
	struct run_opts with = {.pid1 = true, .preload = true, .timeout_s = 60};
	struct run_opts without = {.pid1 = true, .preload = false, .env = quiet, .timeout_s = 60};
	struct run_result r;

	if (baseline) {
		run(argv, &without, &r);
		cr_assert(r.exit_code == 0, "%s without the shim must pass (the baseline); output:\n%s", variant, r.out);
		run_result_free(&r);
	}
	run(argv, &with, &r);
	cr_expect(!r.timed_out && r.exit_code == 0, "%s with the shim, under the storm: exit %d; output:\n%s",
		  variant, r.exit_code, r.out);
	run_result_free(&r);
}

Test(trace, seized_foreign_orphan, .timeout = 150) { holds("foreign", true); }
Test(trace, seized_grandchild_through_raw_syscall, .timeout = 150) { holds("grandchild", true); }
Test(trace, unseen_tracee_with_no_own_child_left, .timeout = 150) { holds("unseen", true); }
/* Bare PID 1 keeps the detached orphan's zombie: the shim only. */
Test(trace, detached_orphan_is_reaped, .timeout = 90) { holds("detach", false); }

/* Debian's strace as PID 1, following a program that forks, spawns and leaves orphans to it. */
static void strace_f(bool preload)
{
	const char *argv[] = {"strace", "-f", "-qq", "-o", "/dev/null", scenario("trace_work"), NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .timeout_s = 60};
	struct run_result r;

	run(argv, &opts, &r);
	cr_expect(!r.timed_out && r.exit_code == 0 && strstr(r.out, "RESULT ok") != NULL,
		  "strace -f as PID 1 (%s the shim): exit %d%s; output:\n%s", preload ? "with" : "without",
		  r.exit_code, r.timed_out ? " (hung)" : "", r.out);
	run_result_free(&r);
}

Test(trace, strace_f_as_pid1, .timeout = 90) { strace_f(true); }
Test(trace, strace_f_as_pid1_without_shim, .timeout = 90) { strace_f(false); }
