/* Defects a review of the library found (tests/scenarios/review_cases.c): each case as PID 1 with
 * the shim must behave as it does as PID 1 without it, where it passes too. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static void like_libc(const char *which)
{
	const char *argv[] = {scenario("review_cases"), which, NULL};
	struct run_result shim, bare;
	struct run_opts with = {.pid1 = true, .preload = true, .timeout_s = 30};
	struct run_opts without = {.pid1 = true, .preload = false, .timeout_s = 30};

	run(argv, &without, &bare);
	cr_assert(bare.exit_code == 0, "%s without the shim must pass (the baseline); output:\n%s", which, bare.out);
	run(argv, &with, &shim);
	cr_expect(!shim.timed_out && shim.exit_code == 0, "%s with the shim: got exit %d; output:\n%s", which,
		  shim.exit_code, shim.out);
	run_result_free(&shim);
	run_result_free(&bare);
}

Test(review, late_sigchld_reaches_the_handler, .timeout = 60) { like_libc("late_sigchld"); }
Test(review, threaded_reports_reach_the_handler, .timeout = 60) { like_libc("threaded_reports"); }
Test(review, inert_child_sleeps_through, .timeout = 60) { like_libc("inert_sleep"); }
Test(review, sigtimedwait_not_cut_short, .timeout = 60) { like_libc("sigtimedwait"); }
Test(review, pi_mutex_not_taken_while_held, .timeout = 60) { like_libc("pi_mutex"); }
