/* Bugs found in real programs, kept found. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "harness.h"

static int children_of(pid_t pid)
{
	char path[64];
	int n = 0, c;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fscanf(f, "%d", &c) == 1) {
		n++;
	}
	fclose(f);
	return n;
}

/* Django's runserver under reap.so once ignored SIGTERM: an orphan reaped during the reloader's
 * blocking wait made the shim restart that wait after the program's own handler had cut it short,
 * so Python never ran the handler. The control without the shim shows the expected ending. */
static void django_reloader(bool preload)
{
	char script[4096];
	const char *shim = shim_path();
	struct proc p;
	struct run_result r;

	snprintf(script, sizeof(script), "%.*s/tests/scripts/eintr_django.py",
		 (int)(strstr(shim, "/build/reap.so") - shim), shim);
	cr_assert(access("/usr/bin/python3", X_OK) == 0, "needs Debian's python3 (tests/install-deps.sh)");
	const char *argv[] = {"/usr/bin/python3", script, NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .timeout_s = 20};

	proc_start(&p, argv, &opts);
	cr_assert(proc_wait_line(&p, "READY", 10) != NULL, "no READY; output:\n%s", p.out);
	/* The orphan ends during the wait; with the shim it is reaped at once, leaving PID 1 with its
	 * one child. Signal after that (bounded; without the shim the zombie stays). */
	cr_assert(proc_wait_line(&p, "ORPHAN ENDS", 10) != NULL, "the orphan did not end; output:\n%s", p.out);
	for (double until = now_s() + 3; now_s() < until && children_of(p.init_pid) != 1;) {
		sched_yield();
	}
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(!r.timed_out && r.exit_code == 0 && strstr(r.out, "TERM") != NULL,
		  "%s: expected the handler to run at SIGTERM (exit 0, TERM), got exit %d%s; output:\n%s",
		  preload ? "with the shim" : "without", r.exit_code, r.timed_out ? " (timed out)" : "", r.out);
	run_result_free(&r);
}

Test(regressions, django_reloader_sigterm_with_shim, .timeout = 30)
{
	django_reloader(true);
}

Test(regressions, django_reloader_sigterm_without_shim, .timeout = 30)
{
	django_reloader(false);
}

/* With SIGCHLD ignored, own children vanish without a wait reporting them; the shim once kept their
 * stale entries and blocked wait() on a live orphan. Without the shim the wait blocks on the
 * orphan for good (the run times out), which is the control. */
static void ignored_sigchld_wait(bool preload, struct run_result *r)
{
	char script[4096];
	const char *shim = shim_path();

	snprintf(script, sizeof(script), "%.*s/tests/scripts/ignored_sigchld_wait.py",
		 (int)(strstr(shim, "/build/reap.so") - shim), shim);
	const char *argv[] = {"/usr/bin/python3", script, NULL};
	struct run_opts opts = {.pid1 = true, .preload = preload, .timeout_s = preload ? 20 : 3};

	run(argv, &opts, r);
}

Test(regressions, ignored_sigchld_wait_fails_with_echild, .timeout = 30)
{
	struct run_result r;

	ignored_sigchld_wait(true, &r);
	cr_expect(!r.timed_out && strstr(r.out, "ECHILD") != NULL, "with the shim: expected ECHILD; output:\n%s", r.out);
	run_result_free(&r);
}

Test(regressions, ignored_sigchld_wait_blocks_without_shim, .timeout = 30)
{
	struct run_result r;

	ignored_sigchld_wait(false, &r);
	cr_expect(r.timed_out && strstr(r.out, "ECHILD") == NULL,
		  "without the shim: expected wait() to block on the orphan; output:\n%s", r.out);
	run_result_free(&r);
}
