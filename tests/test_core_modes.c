/* When the shim acts (issue 2, property 2): loaded but inert outside PID 1 and with REAP_MODE=off,
 * every scenario program behaves exactly as under plain libc; with REAP_MODE=subreaper outside
 * PID 1 it acts as a child subreaper; bad settings get one `reap: ` line and the default; the log
 * is silent by default and exact with REAP_VERBOSE=1.
 * Run one: build/tests/test_core_modes --filter 'modes/inert_wait' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes.h"

TestSuite(modes, .timeout = 900);

/* Each scenario program, inert (not PID 1), off (PID 1, REAP_MODE=off) and as an opted-in subreaper. */
#define MODE_TESTS(test, name, ...)                                                                \
	Test(modes, inert_##test) { expect_inert(name, ARGS(__VA_ARGS__)); }                      \
	Test(modes, off_##test) { expect_off(name, ARGS(__VA_ARGS__), "zombies left"); }          \
	Test(modes, subreaper_##test) { expect_subreaper(name, ARGS(__VA_ARGS__)); }

MODE_TESTS(idle, "core_idle", NULL)
MODE_TESTS(wait, "core_wait", "all")
MODE_TESTS(spawn, "core_spawn", "all")
MODE_TESTS(shell, "core_shell", "all")
MODE_TESTS(sigchld, "core_sigchld", "all")
MODE_TESTS(sigchld_ign_exec, "core_sigchld", "ign_exec")
MODE_TESTS(sigquery, "core_sigquery", NULL)
MODE_TESTS(threads, "core_threads", "all")
MODE_TESTS(exec, "core_exec", NULL)
MODE_TESTS(blocked_signalfd, "core_blocked", "signalfd")
MODE_TESTS(blocked_sigwaitinfo, "core_blocked", "sigwaitinfo")

/* ---- REAP_MODE=subreaper ------------------------------------------------------------------------ */

static void assert_line(const struct run_result *r, const char *line)
{
	char l[128];
	snprintf(l, sizeof l, "%s\n", line);
	cr_assert(strstr(r->out, l) != NULL, "expected the line '%s'; output:\n%s", line, r->out);
}

Test(modes, subreaper_opt_in)
{
	struct run_result r;
	scn_run(SUBREAPER, "core_subreaper", NONE, true, NONE, &r);
	assert_passed("core_subreaper with REAP_MODE=subreaper", &r);
	assert_line(&r, "subreaper 1");
	assert_line(&r, "forked child subreaper 0");
	assert_line(&r, "probe subreaper=0"); /* a descendant that executes a program does not opt in */
	run_result_free(&r);
}

/* REAP_MODE=subreaper set on PID 1 itself is pinned to PID 1 as well (issue 9, item 8): a program it
 * executes neither becomes a subreaper nor reports the configuration again. */
Test(modes, subreaper_at_pid1_not_inherited)
{
	struct run_result r;
	scn_run(ACTIVE, "core_subreaper", NONE, true, ENV("REAP_MODE=subreaper", "REAP_GRACE=soon"), &r);
	assert_line(&r, "probe subreaper=0");
	cr_assert(count_lines(&r, "reap: REAP_GRACE=") == 1, "expected one complaint, from PID 1; output:\n%s", r.out);
	run_result_free(&r);
}

Test(modes, subreaper_not_by_default)
{
	struct run_result r;
	scn_run(INERT, "core_subreaper", NONE, true, NONE, &r);
	assert_passed("core_subreaper with the shim, not PID 1", &r);
	assert_line(&r, "subreaper 0");
	run_result_free(&r);
}

/* a subreaper without the shim: the orphans come and stay zombies */
Test(modes, subreaper_without_shim)
{
	struct run_result r;
	scn_run(PLAIN, "core_subreaper", NONE, true, ENV("SCN_SELF_SUBREAPER=1", "SCN_SETTLE=0.3"), &r);
	cr_assert(r.exit_code != 0 && strstr(r.out, "was not reaped") != NULL,
	          "the negative control must show unreaped orphans; exit %d, output:\n%s", r.exit_code, r.out);
	run_result_free(&r);
}

/* ---- settings ---------------------------------------------------------------------------------- */

/* The default a variable falls back to, as its complaint names it. */
static const char *fallback_of(const char *var)
{
	static const char *const defaults[][2] = { { "REAP_MODE", "auto" }, { "REAP_VERBOSE", "0" },
		                                   { "REAP_GRACE", "5" },  { "REAP_EXIT_ZERO", "none" },
		                                   { "REAP_SIGNALS", "on" } };
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		if (strcmp(var, defaults[i][0]) == 0) {
			return defaults[i][1];
		}
	}
	cr_assert_fail("no default known for %s", var);
	return NULL;
}

/* A bad value: exactly one `reap: ` line naming the variable, whole (it ends with what is accepted
 * and the default, however long or strange the value), and the program runs on with the default (for
 * REAP_MODE: active as PID 1, so the scenario passes under the storm). */
static void bad_value(const char *assignment)
{
	char var[64], ending[64];
	snprintf(var, sizeof var, "%.*s", (int)strcspn(assignment, "="), assignment);
	snprintf(ending, sizeof ending, "); using %s", fallback_of(var));
	struct run_result r, libc;
	scn_run(ACTIVE, "core_idle", NONE, true, ENV(assignment), &r);
	cr_assert(count_lines(&r, "reap: ") == 1, "%s: expected exactly one 'reap: ' line; output:\n%s", assignment,
	          r.out);
	char *line = strstr(r.out, "reap: ");
	cr_assert(line == r.out || line[-1] == '\n', "%s: the 'reap: ' line is not a line of its own:\n%s", assignment,
	          r.out);
	size_t len = strcspn(line, "\n");
	char *msg = strndup(line, len);
	cr_assert(strncmp(msg + 6, var, strlen(var)) == 0 && msg[6 + strlen(var)] == '=',
	          "%s: the line '%s' does not name %s", assignment, msg, var);
	cr_assert(len > strlen(ending) && strcmp(msg + len - strlen(ending), ending) == 0 &&
	                  strstr(msg, "(expected ") != NULL,
	          "%s: the line '%s' does not end with what is accepted and '%s'", assignment, msg, ending);
	memmove(line, line + len + (line[len] == '\n'), strlen(line + len + (line[len] == '\n')) + 1);
	scn_run(PLAIN1, "core_idle", NONE, false, NONE, &libc);
	assert_same(assignment, &r, "plain libc", &libc);
	free(msg);
	run_result_free(&r);
	run_result_free(&libc);
}

Test(modes, bad_reap_mode) { bad_value("REAP_MODE=bogus"); }
Test(modes, bad_reap_verbose) { bad_value("REAP_VERBOSE=yes"); }
Test(modes, bad_reap_verbose_level) { bad_value("REAP_VERBOSE=3"); }
Test(modes, bad_reap_grace) { bad_value("REAP_GRACE=soon"); }
Test(modes, bad_reap_grace_range) { bad_value("REAP_GRACE=3601"); }
Test(modes, bad_reap_exit_zero) { bad_value("REAP_EXIT_ZERO=143,256"); }
Test(modes, bad_reap_signals) { bad_value("REAP_SIGNALS=maybe"); }

/* Exactly what the README says, nothing around it (issue 9, item 20): no space or tab, no sign, no
 * leading zero, no empty item. */
Test(modes, bad_reap_verbose_tab) { bad_value("REAP_VERBOSE=\t2"); }
Test(modes, bad_reap_verbose_space) { bad_value("REAP_VERBOSE=1 "); }
Test(modes, bad_reap_verbose_plus) { bad_value("REAP_VERBOSE=+1"); }
Test(modes, bad_reap_verbose_minus_zero) { bad_value("REAP_VERBOSE=-0"); }
Test(modes, bad_reap_verbose_leading_zero) { bad_value("REAP_VERBOSE=01"); }
Test(modes, bad_reap_grace_space) { bad_value("REAP_GRACE= 5"); }
Test(modes, bad_reap_grace_newline) { bad_value("REAP_GRACE=5\n"); }
Test(modes, bad_reap_grace_leading_zero) { bad_value("REAP_GRACE=05"); }
Test(modes, bad_reap_grace_decimals) { bad_value("REAP_GRACE=0.0001"); }
Test(modes, bad_reap_exit_zero_space) { bad_value("REAP_EXIT_ZERO=143, 130"); }
Test(modes, bad_reap_exit_zero_trailing_comma) { bad_value("REAP_EXIT_ZERO=143,"); }
Test(modes, bad_reap_exit_zero_plus) { bad_value("REAP_EXIT_ZERO=+143"); }
Test(modes, bad_reap_mode_pid) { bad_value("REAP_MODE=subreaper:\t7"); }
Test(modes, bad_reap_signals_case) { bad_value("REAP_SIGNALS=Off"); }

/* An echoed value can neither forge a line nor push the rest of the message out. */
Test(modes, bad_value_cannot_forge_a_line) { bad_value("REAP_MODE=off\nreap: REAP_MODE accepted"); }
Test(modes, bad_value_escaped)
{
	struct run_result r;
	scn_run(ACTIVE, "core_idle", NONE, false, ENV("REAP_SIGNALS=o\tf\"f\\\x01"), &r);
	cr_assert(strstr(r.out, "reap: REAP_SIGNALS=\"o\\tf\\\"f\\\\\\x01\" is not valid") != NULL,
	          "expected the value with C escapes; output:\n%s", r.out);
	run_result_free(&r);
}
Test(modes, bad_value_long)
{
	char assignment[400];
	snprintf(assignment, sizeof assignment, "REAP_GRACE=%0300d", 5);
	bad_value(assignment);
}

/* silent by default: not a line from the shim, though it reaps a storm */
Test(modes, silent_by_default)
{
	struct run_result r;
	scn_run(ACTIVE, "core_orphans", NONE, true, NONE, &r);
	assert_passed("core_orphans with the shim", &r);
	cr_assert(count_lines(&r, "reap:") == 0, "expected no line from the shim; output:\n%s", r.out);
	run_result_free(&r);
}

/* REAP_VERBOSE=1: one exact line per foreign orphan, none for an own child */
Test(modes, verbose)
{
	struct run_result r;
	scn_run(ACTIVE, "core_orphans", NONE, false, ENV("REAP_VERBOSE=1"), &r);
	assert_passed("core_orphans with REAP_VERBOSE=1", &r);
	int orphans = 0;
	for (const char *l = strstr(r.out, "ORPHAN "); l != NULL; l = strstr(l + 1, "\nORPHAN ")) {
		int pid;
		char comm[32], how[64];
		if (l[0] == '\n') {
			l++;
		}
		cr_assert(sscanf(l, "ORPHAN %d %31s %63[^\n]", &pid, comm, how) == 3, "bad line: %.40s", l);
		char expect[160];
		snprintf(expect, sizeof expect, "reap: reaped orphan %d (%s): %s", pid, comm, how);
		assert_line(&r, expect);
		orphans++;
	}
	cr_assert(orphans == 4, "expected 4 ORPHAN lines; output:\n%s", r.out);
	cr_assert(count_lines(&r, "reap: reaped orphan") == orphans,
	          "expected one reap line per orphan and none for an own child; output:\n%s", r.out);
	run_result_free(&r);
}

/* REAP_VERBOSE=1 with a stderr whose reader is gone: the shim's log line raises SIGPIPE in PID 1,
 * which must not end it (it is the shim's write, not the program's). */
Test(modes, verbose_line_to_broken_stderr)
{
	const char *argv[] = {scenario("log_broken_stderr"), NULL};
	const char *env[] = {"REAP_VERBOSE=1", NULL};
	struct run_opts o = {.pid1 = true, .preload = true, .env = env, .timeout_s = 30};
	struct run_result r;

	run(argv, &o, &r);
	cr_assert(r.exit_code == 0, "PID 1 ended with %d; output:\n%s", r.exit_code, r.out);
	assert_line(&r, "ORPHAN REAPED");
	assert_line(&r, "ALIVE");
	run_result_free(&r);
}
