/* Across an exec of PID 1, own children stay own and a live orphan stays foreign (exec.c). The
 * negative control without the shim sees the orphan come back from waitpid(-1). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static void run_heir(bool preload, struct run_result *r)
{
	const char *argv[] = {scenario("exec_heir"), NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .timeout_s = 20};

	run(argv, &opts, r);
	cr_assert(!r->timed_out, "exec_heir timed out; output:\n%s", r->out);
}

Test(exec, orphan_alive_at_exec_stays_foreign)
{
	struct run_result r;

	run_heir(true, &r);
	cr_expect(r.exit_code == 0 && strstr(r.out, "RESULT ok") != NULL,
		  "with the shim: expected RESULT ok, got exit %d; output:\n%s", r.exit_code, r.out);
	run_result_free(&r);
}

Test(exec, without_the_shim_the_orphan_comes_back)
{
	struct run_result r;

	run_heir(false, &r);
	cr_expect(strstr(r.out, "orphan alive at exec: returned as own") != NULL,
		  "negative control: expected the orphan from waitpid(-1); output:\n%s", r.out);
	run_result_free(&r);
}
