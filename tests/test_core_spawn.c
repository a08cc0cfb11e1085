/* Every way of making a child counts as the program's own (issue 2, property 3): scenario
 * core_spawn (creation paths), core_shell (system, popen/pclose, wordexp) and core_exec (children
 * from before an exec). Each runs as PID 1 with the shim under a storm of foreign orphans and must
 * pass with plain libc's transcript; without the shim it must show the problem.
 * Run one: build/tests/test_core_spawn --filter 'spawn/vfork' */
#include <criterion/criterion.h>

#include "modes.h"

TestSuite(spawn, .timeout = 900);
TestSuite(shell, .timeout = 900);

#define PATH_TEST(test, path) \
	Test(spawn, test) { expect_like_libc("core_spawn", ARGS(path)); }

PATH_TEST(fork, "fork")
PATH_TEST(__fork, "__fork")
PATH_TEST(vfork, "vfork")
PATH_TEST(__vfork, "__vfork")
PATH_TEST(_Fork, "_Fork")
PATH_TEST(clone, "clone")
PATH_TEST(clone_vfork, "clone_vfork")
PATH_TEST(__clone, "__clone")
PATH_TEST(sys_fork, "sys_fork")
PATH_TEST(sys_clone, "sys_clone")
PATH_TEST(sys_clone3, "sys_clone3")
PATH_TEST(posix_spawn, "posix_spawn")
PATH_TEST(posix_spawnp, "posix_spawnp")
PATH_TEST(posix_spawn_2_2_5, "posix_spawn@2.2.5")
PATH_TEST(posix_spawnp_2_2_5, "posix_spawnp@2.2.5")
PATH_TEST(forkpty, "forkpty")
/* children made by a raw syscall instruction (as Go does), out of every wrapper's sight: a wait for
 * their exact pid still gets their status */
PATH_TEST(raw_fork, "raw_fork")
PATH_TEST(raw_vfork, "raw_vfork")
PATH_TEST(raw_clone, "raw_clone")
/* a child calling daemon(): its daemon is handed to PID 1, foreign there, and reaped */
PATH_TEST(daemon, "daemon")

Test(spawn, all_without_shim) { expect_problem("core_spawn", ARGS("all"), "returned foreign pid"); }
Test(spawn, daemon_without_shim) { expect_problem("core_spawn", ARGS("daemon"), "was not reaped"); }

/* children the image already had when it started: own, also a zombie from before the exec; per
 * exec function, and the environment comes through unchanged */
Test(spawn, exec_execv) { expect_like_libc("core_exec", ARGS("execv")); }
Test(spawn, exec_execve) { expect_like_libc("core_exec", ARGS("execve")); }
Test(spawn, exec_execvp) { expect_like_libc("core_exec", ARGS("execvp")); }
Test(spawn, exec_execl) { expect_like_libc("core_exec", ARGS("execl")); }
Test(spawn, exec_fexecve) { expect_like_libc("core_exec", ARGS("fexecve")); }
Test(spawn, exec_without_shim) { expect_problem("core_exec", ARGS("execv"), "returned foreign pid"); }

/* system(): exact statuses, system(NULL), signals during the call, the program's handler after it,
 * and glibc's answer with SIGCHLD ignored */
Test(shell, system) { expect_like_libc("core_shell", ARGS("system")); }
Test(shell, system_signals) { expect_like_libc("core_shell", ARGS("system_signals")); }
Test(shell, system_handler) { expect_like_libc("core_shell", ARGS("system_handler")); }
Test(shell, system_merged) { expect_like_libc("core_shell", ARGS("system_merged")); }
Test(shell, system_ign) { expect_like_libc("core_shell", ARGS("system_ign")); }
Test(shell, nocldwait) { expect_like_libc("core_shell", ARGS("nocldwait")); }
/* popen modes r, w, re, we; two at once; pclose of a stream popen did not open */
Test(shell, popen) { expect_like_libc("core_shell", ARGS("popen")); }
/* wordexp with command substitution */
Test(shell, wordexp) { expect_like_libc("core_shell", ARGS("wordexp")); }
Test(shell, all_without_shim) { expect_problem("core_shell", ARGS("all"), "zombies left"); }
