/* Threads and many children (issue 2, property 7): scenario core_threads. As PID 1 with the shim
 * under a storm of foreign orphans each variant must pass with plain libc's transcript; without the
 * shim it must show the problem. Under STRESS=1 the counts grow five-fold.
 * Run one: build/tests/test_core_threads --filter 'threads/many' */
#include <criterion/criterion.h>

#include "modes.h"

TestSuite(threads, .timeout = 900);

/* 4 threads, each making children (fork, vfork, posix_spawn) and waiting for them by pid */
Test(threads, own_children) { expect_like_libc("core_threads", ARGS("threads")); }
Test(threads, own_children_without_shim) { expect_problem("core_threads", ARGS("threads"), "zombies left"); }

/* 2 threads make children while 2 threads wait for any child */
Test(threads, anywait) { expect_like_libc("core_threads", ARGS("anywait")); }
Test(threads, anywait_without_shim) { expect_problem("core_threads", ARGS("anywait"), "returned foreign pid"); }

/* 4 threads fork and wait by pid while a handler forks on them: births racing the registry's
 * clean-ups and growth */
Test(threads, churn) { expect_like_libc("core_threads", ARGS("churn")); }
Test(threads, churn_without_shim) { expect_problem("core_threads", ARGS("churn"), "returned foreign pid"); }

/* 1000 own children alive at once (3000 under STRESS): no fixed limit */
Test(threads, many) { expect_like_libc("core_threads", ARGS("many")); }
Test(threads, many_without_shim) { expect_problem("core_threads", ARGS("many"), "returned foreign pid"); }
