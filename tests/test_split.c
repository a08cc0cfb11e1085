/* Split mode (issue 8): with REAP_MODE=split the shim's constructor forks before main, the program
 * runs as PID 2 with the shim inert, and a minimal init (PID 1, "reap-init") reaps, relays signals
 * and ends with the program's status. Each test runs as PID 1 of a fresh namespace; the signal and
 * grace cases run in test_signals.c and test_signals_family.c (suites split_signals, split_grace).
 * Run one: build/tests/test_split --filter 'split/whoami' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes.h"

TestSuite(split, .timeout = 900);

/* ---- the core scenarios: statuses, zombies, ECHILD, EINTR as plain libc's, under a storm ---------- */

Test(split, core_idle) { expect_split("core_idle", NONE); }
Test(split, core_wait) { expect_split("core_wait", ARGS("all")); }
Test(split, core_spawn) { expect_split("core_spawn", ARGS("all")); }
Test(split, core_shell) { expect_split("core_shell", ARGS("all")); }
Test(split, core_sigchld) { expect_split("core_sigchld", ARGS("all")); }
Test(split, core_sigchld_ign_exec) { expect_split("core_sigchld", ARGS("ign_exec")); }
Test(split, core_sigquery) { expect_split("core_sigquery", NONE); }
Test(split, core_threads) { expect_split("core_threads", ARGS("all")); }
Test(split, core_exec) { expect_split("core_exec", NONE); }
Test(split, core_blocked_signalfd) { expect_split("core_blocked", ARGS("signalfd")); }
Test(split, core_blocked_sigwaitinfo) { expect_split("core_blocked", ARGS("sigwaitinfo")); }

/* Outside PID 1 the init is a child subreaper (like tini -s): the storm's orphans come to it. */
Test(split, outside_pid1_core_wait)
{
	struct run_result r;
	scn_run(SPLIT, "split_cases", ARGS("whoami"), false, NONE, &r);
	cr_assert(strstr(r.out, "\nparent reap-init\n") != NULL && strstr(r.out, "\nprobe parent split_cases\n"),
		  "the program must run under the init, and its descendant not split again; output:\n%s", r.out);
	run_result_free(&r);
	scn_run(SPLIT, "core_wait", ARGS("all"), true, NONE, &r);
	assert_passed("core_wait with REAP_MODE=split outside PID 1", &r);
	run_result_free(&r);
}

/* ---- who is who ---------------------------------------------------------------------------------- */

static void assert_line(const struct run_result *r, const char *line)
{
	char l[160];
	snprintf(l, sizeof l, "%s\n", line);
	cr_assert(strstr(r->out, l) != NULL, "expected the line '%s'; output:\n%s", line, r->out);
}

/* The program is PID 2, child of "reap-init"; REAP_MODE is pinned to PID 1, so a program it executes
 * does not split again (its parent is the program, not a second init). */
Test(split, whoami)
{
	struct run_result r;
	scn_run(SPLIT1, "split_cases", ARGS("whoami"), true, NONE, &r);
	assert_passed("split_cases whoami", &r);
	assert_line(&r, "pid 2");
	assert_line(&r, "parent reap-init");
	assert_line(&r, "REAP_MODE split:1");
	assert_line(&r, "probe parent split_cases");
	run_result_free(&r);
}

/* What ps shows of the init: its command name and its argument list. */
static void read_file(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
}

Test(split, init_shows_in_ps)
{
	const char *argv[] = { scenario("sig_idle"), NULL };
	const char *env[] = { "REAP_MODE=split", NULL };
	struct run_opts o = { .pid1 = true, .preload = true, .env = env, .timeout_s = 10 };
	struct proc p;
	struct run_result r;
	char comm[64], cmdline[256];

	proc_start(&p, argv, &o);
	cr_assert_not_null(proc_wait_line(&p, "READY", 5), "no READY; output:\n%s", p.out);
	read_file(p.init_pid, "comm", comm, sizeof comm);
	read_file(p.init_pid, "cmdline", cmdline, sizeof cmdline);
	cr_expect_str_eq(comm, "reap-init\n");
	cr_expect_str_eq(cmdline, "reap-init", "/proc/1/cmdline: '%s'", cmdline);
	proc_signal(&p, SIGKILL);
	proc_finish(&p, &r);
	run_result_free(&r);
}

/* ---- what in-process mode cannot give --------------------------------------------------------- */

/* A child that takes getppid() == 1 for "my parent died" (ipykernel before 4.6) lives on: its parent
 * is PID 2. In-process, PID 1 is its parent, and it gives up. */
Test(split, getppid_poller_survives)
{
	struct run_result r;
	scn_run(SPLIT1, "split_cases", ARGS("getppid"), true, NONE, &r);
	assert_passed("split_cases getppid under split mode", &r);
	run_result_free(&r);
	scn_run(ACTIVE, "split_cases", ARGS("getppid"), false, NONE, &r);
	cr_expect(strstr(r.out, "getppid poller saw 1") != NULL,
		  "control: in-process, the poller's parent is PID 1; output:\n%s", r.out);
	run_result_free(&r);
}

/* SIGCHLD read through a signalfd only, no wait call: the init reaps the orphans, and the signalfd
 * reports the program's own children only. In-process, orphans wait for a wait call as zombies. */
Test(split, signalfd_without_waits_leaves_no_zombie)
{
	struct run_result r;
	scn_run(SPLIT1, "split_cases", ARGS("signalfd"), true, NONE, &r);
	assert_passed("split_cases signalfd under split mode", &r);
	run_result_free(&r);
	scn_run(ACTIVE, "split_cases", ARGS("signalfd"), true, ENV("SCN_SETTLE=0.3"), &r);
	cr_expect(strstr(r.out, "FAIL") != NULL, "control: in-process, the orphans must show; output:\n%s", r.out);
	run_result_free(&r);
}

/* The init runs none of the program's code: what a library's constructor left before the fork (a
 * buffered line, an atexit handler, a destructor, a pipe) shows once, from the program (PID 2), and
 * the init keeps no copy of the pipe open. */
Test(split, init_runs_no_program_code)
{
	const char *argv[] = { scenario("split_early"), NULL };
	const char *env[] = { "REAP_MODE=split", NULL };
	struct run_opts o = { .pid1 = true, .preload = true, .env = env, .timeout_s = 20 };
	struct run_result r;

	run(argv, &o, &r);
	cr_expect(r.exit_code == 0, "exit %d; output:\n%s", r.exit_code, r.out);
	assert_line(&r, "EOF seen");
	assert_line(&r, "ATEXIT pid 2");
	assert_line(&r, "DESTRUCTOR pid 2");
	cr_expect(count_lines(&r, "EARLY") == 1, "the buffered line came out more than once:\n%s", r.out);
	cr_expect(count_lines(&r, "ATEXIT") == 1 && count_lines(&r, "DESTRUCTOR") == 1,
		  "an atexit handler or destructor ran outside the program:\n%s", r.out);
	run_result_free(&r);
}

/* A thread that a library's constructor started before the shim's would not survive the fork: the
 * shim does not split then (REAP_VERBOSE=1 says why), and acts in-process instead. */
Test(split, not_with_a_thread_before_main)
{
	const char *argv[] = { scenario("split_early"), NULL };
	const char *env[] = { "REAP_MODE=split", "REAP_VERBOSE=1", "SCN_EARLY_THREAD=1", NULL };
	struct run_opts o = { .pid1 = true, .preload = true, .env = env, .timeout_s = 20 };
	struct run_result r;

	run(argv, &o, &r);
	cr_expect(r.exit_code == 0, "exit %d; output:\n%s", r.exit_code, r.out);
	assert_line(&r, "ATEXIT pid 1");
	cr_expect(strstr(r.out, "reap: a thread runs before main") != NULL, "no line says why; output:\n%s", r.out);
	run_result_free(&r);
}

/* ---- a terminal's Ctrl-C --------------------------------------------------------------------------- */

/* The kernel sends the terminal's SIGINT to the foreground group; nobody may send it again. The
 * program dies of it (130), and the app, which counts its SIGINTs, got exactly one when the init's
 * SIGTERM at the program's end asks it. In-process, PID 1 passes the SIGINT on to the namespace as
 * well (issue 9, item 14). */
static void ctrl_c(const char *mode_env, const char *variant, struct run_result *r)
{
	const char *argv[] = { scenario("split_ctrlc"), variant, NULL };
	const char *env[] = { mode_env, "REAP_GRACE=2", NULL };
	struct run_opts o = { .pid1 = true, .preload = true, .env = env, .timeout_s = 20, .tty = true };
	struct proc p;

	proc_start(&p, argv, &o);
	cr_assert_not_null(proc_wait_line(&p, "READY", 10), "no READY; output:\n%s", p.out);
	cr_assert_eq(write(p.tty_fd, "\003", 1), 1, "typing Ctrl-C");
	cr_assert_not_null(proc_wait_line(&p, "APP INT 1", 5), "the app got no SIGINT; output:\n%s", p.out);
	if (variant != NULL) {
		/* the two come in either order */
		cr_assert(strstr(p.out, "\nPROGRAM INT 1\n") != NULL || proc_wait_line(&p, "PROGRAM INT 1", 5) != NULL,
			  "the program got no SIGINT; output:\n%s", p.out);
		proc_signal(&p, SIGTERM); /* behind any SIGINT the init might have passed on */
	}
	proc_finish(&p, r);
}

Test(split, ctrl_c_reaches_each_process_once)
{
	struct run_result r;
	ctrl_c("REAP_MODE=split", NULL, &r);
	cr_expect(r.exit_code == 130, "expected 130 (the program died of SIGINT), got %d; output:\n%s", r.exit_code,
		  r.out);
	assert_line(&r, "APP INTS 1");
	cr_expect(strstr(r.out, "APP INT 2") == NULL, "a second SIGINT:\n%s", r.out);
	run_result_free(&r);
}

/* The same with a program that counts its own SIGINTs: the init, which is not in the terminal's
 * foreground group, never passes one on. Asked with a SIGTERM, which the init passes on after any
 * signal it got before. */
Test(split, ctrl_c_reaches_the_program_once)
{
	struct run_result r;
	ctrl_c("REAP_MODE=split", "handler", &r);
	cr_expect(r.exit_code == 0, "expected the program's 0, got %d; output:\n%s", r.exit_code, r.out);
	assert_line(&r, "PROGRAM INTS 1");
	assert_line(&r, "APP INTS 1");
	run_result_free(&r);
}
