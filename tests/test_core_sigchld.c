/* SIGCHLD stays the program's (issue 2, property 6): scenario core_sigchld, one disposition per
 * test, and core_sigquery (what sigaction and friends report back). As PID 1 with the shim under a
 * storm of foreign orphans each must pass with plain libc's transcript; without the shim it must
 * show the problem. Run one: build/tests/test_core_sigchld --filter 'sigchld/resethand' */
#include <criterion/criterion.h>

#include "modes.h"

TestSuite(sigchld, .timeout = 900);

/* SA_SIGINFO: told of every own end with the right si_code and si_status, never of a foreign one */
Test(sigchld, siginfo) { expect_like_libc("core_sigchld", ARGS("siginfo")); }
Test(sigchld, siginfo_without_shim) { expect_problem("core_sigchld", ARGS("siginfo"), "handed foreign pid"); }

/* a plain handler that reaps with waitpid(-1, WNOHANG) */
Test(sigchld, reaping) { expect_like_libc("core_sigchld", ARGS("reaping")); }
Test(sigchld, reaping_without_shim) { expect_problem("core_sigchld", ARGS("reaping"), "returned foreign pid"); }

/* SA_RESTART: a blocking read goes on; without it, an own end interrupts it */
Test(sigchld, restart) { expect_like_libc("core_sigchld", ARGS("restart")); }
Test(sigchld, norestart) { expect_like_libc("core_sigchld", ARGS("norestart")); }
Test(sigchld, restart_without_shim) { expect_problem("core_sigchld", ARGS("restart"), "handed foreign pid"); }

/* a clone child with no exit signal: the handler never hears of it, after a __WCLONE wait either */
Test(sigchld, quiet_clone) { expect_like_libc("core_sigchld", ARGS("quiet_clone")); }
Test(sigchld, quiet_clone_without_shim) { expect_problem("core_sigchld", ARGS("quiet_clone"), "handed foreign pid"); }

/* an own end whose signal merged into a pending orphan's: told before its waitpid returns */
Test(sigchld, merged) { expect_like_libc("core_sigchld", ARGS("merged")); }
Test(sigchld, merged_without_shim) { expect_problem("core_sigchld", ARGS("merged"), "handed foreign pid"); }

/* SA_NOCLDSTOP, and stop/continue reports without it */
Test(sigchld, nocldstop) { expect_like_libc("core_sigchld", ARGS("nocldstop")); }
Test(sigchld, stopreports) { expect_like_libc("core_sigchld", ARGS("stopreports")); }
Test(sigchld, stopreports_without_shim) { expect_problem("core_sigchld", ARGS("stopreports"), "handed foreign pid"); }

/* SA_NOCLDWAIT: told of the end, the kernel reaps, waitpid finds nothing */
Test(sigchld, nocldwait) { expect_like_libc("core_sigchld", ARGS("nocldwait")); }
Test(sigchld, nocldwait_without_shim) { expect_problem("core_sigchld", ARGS("nocldwait"), "handed foreign pid"); }
/* ... with the own end merged into an orphan's pending signal: told all the same */
Test(sigchld, nocldwait_merged) { expect_like_libc("core_sigchld", ARGS("nocldwait_merged")); }
Test(sigchld, nocldwait_merged_without_shim) {
	expect_problem("core_sigchld", ARGS("nocldwait_merged"), "handed foreign pid");
}
/* ... seen from the waits, and by a forked child */
Test(sigchld, nocldwait_waits) { expect_like_libc("core_sigchld", ARGS("nocldwait_waits")); }
/* SIG_IGN and SA_NOCLDWAIT: a wait for a group ends with its own children, not with an orphan in it */
Test(sigchld, kernel_reaps) { expect_like_libc("core_sigchld", ARGS("kernel_reaps")); }
Test(sigchld, kernel_reaps_without_shim) {
	expect_problem("core_sigchld", ARGS("kernel_reaps"), "slept on until the orphan");
}

/* SA_RESETHAND: the one call is for an own child, then SIG_DFL */
Test(sigchld, resethand) { expect_like_libc("core_sigchld", ARGS("resethand")); }
Test(sigchld, resethand_without_shim) { expect_problem("core_sigchld", ARGS("resethand"), "handed foreign pid"); }

/* SIG_IGN, set by the program or inherited across exec */
Test(sigchld, ign) { expect_like_libc("core_sigchld", ARGS("ign")); }
Test(sigchld, ign_without_shim) { expect_problem("core_sigchld", ARGS("ign"), "zombies left"); }
Test(sigchld, ign_inherited) { expect_like_libc("core_sigchld", ARGS("ign_exec")); }
Test(sigchld, ign_inherited_without_shim) { expect_problem("core_sigchld", ARGS("ign_exec"), "zombies left"); }

/* a forked child of PID 1 keeps the handler for its own children */
Test(sigchld, forked) { expect_like_libc("core_sigchld", ARGS("forked")); }
Test(sigchld, forked_without_shim) { expect_problem("core_sigchld", ARGS("forked"), "handed foreign pid"); }

/* sigaction, __sigaction, signal, sigset, bsd_signal, sysv_signal report what the program set */
Test(sigchld, query) { expect_like_libc("core_sigquery", NONE); }
Test(sigchld, query_without_shim) { expect_problem("core_sigquery", NONE, "zombies left"); }

/* A handler of the program without SA_RESTART that runs nested in the shim's SIGCHLD handler cuts
 * short the read the SIGCHLD handler interrupted (eintr_nested); with SA_RESTART the read goes on */
static void expect_nested(const char *variant)
{
	struct run_result r;
	scn_run(ACTIVE, "eintr_nested", ARGS(variant), false, ENV("REAP_VERBOSE=1"), &r);
	assert_passed(variant, &r);
	run_result_free(&r);
}

Test(sigchld, nested_handler_eintr) { expect_nested("norestart"); }
Test(sigchld, nested_handler_restart) { expect_nested("restart"); }
