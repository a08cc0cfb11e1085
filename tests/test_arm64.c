/* The arm64 tier: the aarch64-linux-gnu build of the library (build/aarch64-linux-gnu/reap.so) with
 * scenario programs cross-compiled for arm64, run under qemu-user (qemu-aarch64-static) as PID 1 of a
 * fresh PID namespace: qemu is the namespace's init, and the program it runs sees itself as PID 1.
 * A smoke tier: reaping, wait filtering, the program's SIGCHLD handler, vfork (the assembly of
 * shim/vfork-aarch64.S), a termination signal, PID 1's exit status and the nested-handler rule
 * (owe_eintr's arm64 branch), each with its negative control. What qemu-user cannot show (it turns
 * CLONE_VFORK into a fork, ...) is in docs/testing.md: no test here claims it.
 * Run one: build/tests/test_arm64 --filter 'arm64/vfork' */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes.h"
#include "sigtest.h"

static const char *const qemu[] = { "qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu", NULL };

static void use_arm64(void)
{
	harness_target("aarch64-linux-gnu", qemu, NULL);
	cr_assert(access("/usr/bin/qemu-aarch64-static", X_OK) == 0,
	          "qemu-aarch64-static is missing: tests/install-deps.sh installs qemu-user-static");
	cr_assert(access(shim_path(), R_OK) == 0, "%s is missing: make test builds it (make arm64-build)",
	          shim_path());
}

TestSuite(arm64, .init = use_arm64, .timeout = 600);

/* The program under qemu is PID 1, and the library acts in it. */
Test(arm64, program_is_pid1)
{
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = { .pid1 = true, .preload = true, .env = ENV("REAP_VERBOSE=2"), .timeout_s = 60 };
	struct proc p;
	struct run_result r;

	proc_start(&p, argv, &o);
	cr_assert(proc_wait_line(&p, "READY", 30) != NULL, "no READY line; output:\n%s", p.out);
	finish_by_sigkill(&p, &r);
	cr_expect(strstr(r.out, "reap: mode in-process: PID 1") != NULL,
	          "the library must act as PID 1's; output:\n%s", r.out);
	run_result_free(&r);
}

/* Reaping and wait filtering (core_wait): wait() for any child, a wait by pid with orphans ending
 * around it, WNOHANG, ECHILD once only orphans remain. */
Test(arm64, wait_any) { expect_like_libc("core_wait", ARGS("any")); }
Test(arm64, wait_any_without_shim) { expect_problem("core_wait", ARGS("any"), "returned foreign pid"); }
Test(arm64, wait_pid) { expect_like_libc("core_wait", ARGS("pid")); }
Test(arm64, wait_pid_without_shim) { expect_problem("core_wait", ARGS("pid"), "zombies left"); }
Test(arm64, wait_nohang) { expect_like_libc("core_wait", ARGS("nohang")); }
Test(arm64, wait_nohang_without_shim) { expect_problem("core_wait", ARGS("nohang"), "foreign"); }
Test(arm64, wait_echild) { expect_like_libc("core_wait", ARGS("echild")); }
Test(arm64, wait_echild_without_shim) { expect_problem("core_wait", ARGS("echild"), "ECHILD"); }
Test(arm64, wait_inert) { expect_inert("core_wait", ARGS("any")); }

/* The program's SIGCHLD handler hears of its own children only. */
Test(arm64, sigchld_siginfo) { expect_like_libc("core_sigchld", ARGS("siginfo")); }
Test(arm64, sigchld_siginfo_without_shim) { expect_problem("core_sigchld", ARGS("siginfo"), "foreign pid"); }

/* vfork and __vfork through vfork-aarch64.S: the child returns 0, the parent its pid, and the child
 * counts as the program's own. Under qemu-user the child is a fork (docs/testing.md). */
Test(arm64, vfork) { expect_like_libc("core_spawn", ARGS("vfork")); }
Test(arm64, __vfork) { expect_like_libc("core_spawn", ARGS("__vfork")); }
Test(arm64, vfork_without_shim) { expect_problem("core_spawn", ARGS("vfork"), "returned foreign pid"); }

/* A handler without SA_RESTART that runs nested in the shim's SIGCHLD handler cuts the read short
 * that the SIGCHLD handler interrupted; one with SA_RESTART does not (the control). */
static void expect_nested(const char *variant)
{
	struct run_result r;
	scn_run(ACTIVE, "eintr_nested", ARGS(variant), false, ENV("REAP_VERBOSE=1"), &r);
	assert_passed(variant, &r);
	run_result_free(&r);
}

Test(arm64, nested_handler_eintr) { expect_nested("norestart"); }
Test(arm64, nested_handler_restart) { expect_nested("restart"); }

/* A termination signal left at SIG_DFL: PID 1 ends with 128+N (REAP_EXIT_ZERO maps it). */
static void start_idle(struct proc *p, bool preload, const char *const env[])
{
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = { .pid1 = true, .preload = preload, .env = env, .timeout_s = 60 };
	proc_start(p, argv, &o);
	cr_assert(proc_wait_line(p, "READY", 30) != NULL, "no READY line; output:\n%s", p->out);
}

static int exit_code_after_sigterm(const char *const env[])
{
	struct proc p;
	struct run_result r;
	start_idle(&p, true, env);
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_assert(!r.timed_out, "PID 1 did not end after SIGTERM; output:\n%s", r.out);
	int code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
	run_result_free(&r);
	return code;
}

Test(arm64, sigterm_exits_143) { cr_expect_eq(exit_code_after_sigterm(NULL), 143); }
Test(arm64, exit_zero_maps_143) { cr_expect_eq(exit_code_after_sigterm(ENV("REAP_EXIT_ZERO=143")), 0); }

/* The control: without the library the signal does not end PID 1. (qemu, the real init, emulates the
 * default action by sending itself the signal, which the kernel drops for an init: qemu then waits
 * for it forever, so the program stops where it was rather than running on.) */
Test(arm64, sigterm_without_shim)
{
	struct proc p;
	struct run_result r;
	start_idle(&p, false, NULL);
	proc_signal(&p, SIGTERM);
	proc_wait_line(&p, "never printed", 3);
	cr_expect(p.out_fd >= 0, "SIGTERM ended PID 1 without the library; output:\n%s", p.out);
	finish_by_sigkill(&p, &r);
	run_result_free(&r);
}
