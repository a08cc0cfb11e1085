/* Do no harm to Go (issue 8): a cgo Go program (build/go/goinit, tests/go/, built with Debian's
 * golang-go) as PID 1 with reap.so. Go creates its children with raw clone and waits for them with
 * raw wait4, so in-process reaping would take each of them for an orphan (every exec.Cmd.Wait then
 * fails with ECHILD); the shim detects the Go runtime and runs it in split mode. The negative
 * controls run the same program as PID 1 without the shim.
 * Run one: build/tests/test_go --filter 'go/exec_statuses_exact_and_no_zombies' */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes.h"

TestSuite(go, .timeout = 300);

static const char *goinit(void)
{
	const char *path = built("go/goinit");
	cr_assert(access(path, X_OK) == 0, "%s is missing: run make test (it builds the Go program)", path);
	return path;
}

static struct run_opts opts(bool preload, bool pid1, const char *const *env, double timeout_s)
{
	return (struct run_opts){ .pid1 = pid1, .preload = preload, .env = env, .timeout_s = timeout_s };
}

/* Every exec.Cmd status exact while an orphan storm runs, and no zombie left in the namespace. */
Test(go, exec_statuses_exact_and_no_zombies)
{
	const char *argv[] = { goinit(), "exec", scenario("orphan_storm"), NULL };
	struct run_opts with = opts(true, true, NULL, 120);
	struct run_opts without = opts(false, true, NULL, 120);
	struct run_result r;

	run(argv, &with, &r);
	assert_passed("goinit exec as PID 1 with reap.so", &r);
	run_result_free(&r);

	/* Control: bare, Go's statuses are right but the orphans stay zombies. */
	run(argv, &without, &r);
	cr_expect(r.exit_code == 1 && strstr(r.out, "FAIL zombies left") != NULL &&
		  count_lines(&r, "FAIL") == 1, "control: expected only the zombies to fail; exit %d, output:\n%s",
		  r.exit_code, r.out);
	run_result_free(&r);
}

/* signal.Notify gets docker stop's SIGTERM, and a child made after it still has its status. */
Test(go, notify_handler_gets_sigterm)
{
	const char *argv[] = { goinit(), "notify", NULL };
	for (int preload = 1; preload >= 0; preload--) {
		struct run_opts o = opts(preload, true, NULL, 20);
		struct proc p;
		struct run_result r;
		proc_start(&p, argv, &o);
		cr_assert_not_null(proc_wait_line(&p, "READY", 10), "no READY; output:\n%s", p.out);
		proc_signal(&p, SIGTERM);
		proc_finish(&p, &r);
		cr_expect(r.exit_code == 7 && strstr(r.out, "GOT terminated\n") != NULL && count_lines(&r, "FAIL") == 0,
			  "%s: expected GOT terminated and exit 7; exit %d, output:\n%s",
			  preload ? "with reap.so" : "control without it", r.exit_code, r.out);
		run_result_free(&r);
	}
}

/* Without a handler, SIGTERM ends the program as it ends any process: 143. Bare, the kernel keeps
 * the signal's default action from PID 1, and the Go runtime's own handler ends it with 2. */
Test(go, no_handler_ends_with_143)
{
	const char *argv[] = { goinit(), "nohandler", NULL };
	for (int preload = 1; preload >= 0; preload--) {
		struct run_opts o = opts(preload, true, NULL, 20);
		struct proc p;
		struct run_result r;
		proc_start(&p, argv, &o);
		cr_assert_not_null(proc_wait_line(&p, "READY", 10), "no READY; output:\n%s", p.out);
		proc_signal(&p, SIGTERM);
		proc_finish(&p, &r);
		if (preload) {
			cr_expect(r.exit_code == 143, "with reap.so: expected 143, got %d; output:\n%s", r.exit_code, r.out);
		} else {
			cr_expect(r.exit_code != 143, "control: bare Go as PID 1 ended with 143 by itself");
		}
		run_result_free(&r);
	}
}

/* REAP_VERBOSE=2 says which mode and why; the program is PID 2 with the library loaded. */
Test(go, split_mode_chosen_and_said)
{
	const char *argv[] = { goinit(), "maps", NULL };
	const char *env[] = { "REAP_VERBOSE=2", NULL };
	struct run_opts o = opts(true, true, env, 20);
	struct run_result r;

	run(argv, &o, &r);
	cr_expect(strstr(r.out, "reap: mode split: Go runtime detected, by its symbol crosscall2\n") != NULL,
		  "no mode line; output:\n%s", r.out);
	cr_expect(strstr(r.out, "cgo true pid 2 reap.so mapped true\n") != NULL, "output:\n%s", r.out);
	cr_expect(r.exit_code == 0, "exit %d; output:\n%s", r.exit_code, r.out);
	run_result_free(&r);
}

/* REAP_MODE=subreaper outside PID 1 would reap in-process: for Go the shim splits instead, with the
 * init as the child subreaper. */
Test(go, subreaper_opt_in_splits)
{
	const char *argv[] = { goinit(), "exec", NULL };
	const char *env[] = { "REAP_MODE=subreaper", NULL };
	struct run_opts o = opts(true, false, env, 60);
	struct run_result r;

	run(argv, &o, &r);
	assert_passed("goinit exec with REAP_MODE=subreaper", &r);
	run_result_free(&r);
}

/* CGO_ENABLED=0 makes a static binary: no preload reaches it (out of reach, as documented). */
Test(go, static_binary_is_out_of_reach)
{
	const char *argv[] = { built("go/goinit-static"), "maps", NULL };
	const char *env[] = { "REAP_VERBOSE=2", NULL };
	struct run_opts o = opts(true, true, env, 20);
	struct run_result r;

	run(argv, &o, &r);
	cr_expect(strstr(r.out, "cgo false pid 1 reap.so mapped false\n") != NULL && count_lines(&r, "reap:") == 0,
		  "output:\n%s", r.out);
	run_result_free(&r);
}
