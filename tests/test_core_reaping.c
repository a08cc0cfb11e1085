/* Reaping (issue 2, properties 4 and 8): the seed's experiment and its negative controls, reaping
 * driven by SIGCHLD while the program waits for nothing, and programs that block SIGCHLD.
 * Run one: build/tests/test_core_reaping --filter 'reaping/seed' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "modes.h"
#include "seed.h"

TestSuite(reaping, .timeout = 900);

/* ---- the seed: per request a child forks a grandchild and exits --------------------------------- */

Test(reaping, seed) { expect_seed_clean(); }
Test(reaping, seed_without_shim) { expect_seed_zombies(PLAIN1); }
Test(reaping, seed_reap_mode_off) { expect_seed_zombies(OFF1); }

/* REAP_VERBOSE=1: one line per foreign orphan reaped, with its pid, command name and end */
Test(reaping, seed_verbose)
{
	struct proc p;
	int port = start_seed(ACTIVE, ENV("REAP_VERBOSE=1"), &p);
	const char *paths[] = { "/", "/exit/7", "/kill" };
	const char *ends[] = { "exited 0", "exited 7", "killed by signal 9" };
	char expect[3][128];
	for (int i = 0; i < 3; i++) {
		snprintf(expect[i], sizeof expect[i], "reap: reaped orphan %d (core_seed): %s", request(port, paths[i]),
		         ends[i]);
	}
	for (int i = 0; i < 3; i++) {
		proc_wait_line(&p, "reap: reaped orphan", 5);
	}
	struct run_result r;
	finish_seed(&p, port, &r);
	for (int i = 0; i < 3; i++) {
		const char *at = strstr(r.out, expect[i]);
		cr_assert(at != NULL && at[strlen(expect[i])] == '\n', "expected the line '%s'; output:\n%s", expect[i],
		          r.out);
	}
	cr_assert(count_lines(&r, "reap: reaped orphan") == 3, "expected 3 reap lines (no own child); output:\n%s",
	          r.out);
	assert_passed("the seed server with REAP_VERBOSE=1", &r);
	run_result_free(&r);
}

/* ---- reaping while the program waits for nothing ------------------------------------------- */

/* foreign orphans gone while the program sits in read(), no thread of the shim, no EINTR; the same
 * in poll(), select() and epoll_wait(), which the kernel never restarts after a handler ran */
Test(reaping, idle) { expect_like_libc("core_idle", NONE); }
Test(reaping, idle_poll) { expect_like_libc("core_idle", ARGS("poll")); }
Test(reaping, idle_select) { expect_like_libc("core_idle", ARGS("select")); }
Test(reaping, idle_epoll) { expect_like_libc("core_idle", ARGS("epoll")); }
Test(reaping, idle_without_shim) { expect_problem("core_idle", NONE, "while the program made no wait call"); }

/* SIGCHLD blocked, news through signalfd or sigtimedwait: the wait calls sweep */
Test(reaping, blocked_signalfd) { expect_like_libc("core_blocked", ARGS("signalfd")); }
Test(reaping, blocked_sigwaitinfo) { expect_like_libc("core_blocked", ARGS("sigwaitinfo")); }
Test(reaping, blocked_without_shim) { expect_problem("core_blocked", ARGS("signalfd"), "zombies left"); }
