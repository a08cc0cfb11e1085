/* The wait family never shows a foreign child (issue 2, property 5): scenario core_wait, one
 * variant per test, run as PID 1 with the shim under a storm of foreign orphans (it must pass and
 * print what plain libc prints without foreign orphans), and as PID 1 without the shim (it must
 * show the problem). Run one: build/tests/test_core_wait --filter 'wait/any*' */
#include <criterion/criterion.h>

#include "modes.h"

TestSuite(wait, .timeout = 900);

/* wait, __wait, waitpid(-1), __waitpid(-1), waitpid(0), wait3, wait4(-1), waitid(P_ALL),
 * waitid(P_PGID, 0): only own children, each once, exact */
Test(wait, any) { expect_like_libc("core_wait", ARGS("any")); }
Test(wait, any_without_shim) { expect_problem("core_wait", ARGS("any"), "returned foreign pid"); }

/* waitpid(pid), __waitpid(pid), wait4(pid), waitid(P_PID), waitid(P_PIDFD): exact */
Test(wait, pid) { expect_like_libc("core_wait", ARGS("pid")); }
Test(wait, pid_without_shim) { expect_problem("core_wait", ARGS("pid"), "zombies left"); }

/* waitpid(-pgid), wait4(-pgid), waitid(P_PGID): foreign orphans in the same group stay hidden */
Test(wait, pgrp) { expect_like_libc("core_wait", ARGS("pgrp")); }
Test(wait, pgrp_without_shim) { expect_problem("core_wait", ARGS("pgrp"), "returned foreign pid"); }

/* WNOHANG: 0 while own children run, whatever foreign orphans have ended */
Test(wait, nohang) { expect_like_libc("core_wait", ARGS("nohang")); }
Test(wait, nohang_without_shim) { expect_problem("core_wait", ARGS("nohang"), "foreign"); }

/* WUNTRACED, WCONTINUED, WSTOPPED: own stop/continue reports only */
Test(wait, stop) { expect_like_libc("core_wait", ARGS("stop")); }
Test(wait, stop_without_shim) { expect_problem("core_wait", ARGS("stop"), "returned foreign pid"); }

/* WNOWAIT: an own zombie stays for the program, reported as often as asked, collected once */
Test(wait, nowait) { expect_like_libc("core_wait", ARGS("nowait")); }
Test(wait, nowait_without_shim) { expect_problem("core_wait", ARGS("nowait"), "returned foreign pid"); }

/* EINTR only from the program's own handlers */
Test(wait, eintr) { expect_like_libc("core_wait", ARGS("eintr")); }
Test(wait, eintr_without_shim) { expect_problem("core_wait", ARGS("eintr"), "EINTR"); }

/* ECHILD at once for "any child" when only foreign children remain */
Test(wait, echild) { expect_like_libc("core_wait", ARGS("echild")); }
Test(wait, echild_without_shim) { expect_problem("core_wait", ARGS("echild"), "with only foreign children"); }
