/* The sanitizer and valgrind tiers: the core scenarios again, as PID 1 under a storm of foreign
 * orphans, with build/sanitize/reap.so (AddressSanitizer and UndefinedBehaviorSanitizer, every
 * report fatal) and with the normal build under valgrind's memcheck. A scenario passes as in its
 * own test: exit 0 and a final "RESULT ok"; any sanitizer or memcheck report fails it. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *sanitized_shim(void)
{
	static char path[PATH_MAX];
	const char *normal = shim_path();
	size_t dir = strlen(normal) - strlen("reap.so");

	snprintf(path, sizeof(path), "%.*ssanitize/reap.so", (int)dir, normal);
	return path;
}

/* The runtime that must come first in LD_PRELOAD for an ASan-built library. */
static const char *libasan(void)
{
	static char path[PATH_MAX];
	FILE *cc = popen("cc -print-file-name=libasan.so", "r");

	cr_assert(cc != NULL && fgets(path, sizeof(path), cc) != NULL, "cannot ask cc for libasan.so");
	pclose(cc);
	path[strcspn(path, "\n")] = '\0';
	cr_assert(access(path, R_OK) == 0, "libasan.so not found (%s)", path);
	return path;
}

static void expect_clean(const char *what, const char *name, struct run_result *r)
{
	cr_assert(!r->timed_out, "%s: %s timed out; output:\n%s", what, name, r->out);
	cr_expect(r->exit_code == 0 && strstr(r->out, "RESULT ok") != NULL && strstr(r->out, "ERROR:") == NULL &&
	                  strstr(r->out, "runtime error") == NULL,
	          "%s: %s: expected exit 0, RESULT ok and no report, got exit %d; output:\n%s", what, name,
	          r->exit_code, r->out);
}

static void under_sanitizers(const char *name)
{
	char preload[2 * PATH_MAX + 16];
	struct run_result r;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s:%s", libasan(), sanitized_shim());
	cr_assert(access(sanitized_shim(), R_OK) == 0, "%s is missing: run make test", sanitized_shim());
	const char *env[] = {preload, "SCN_STORM=1", "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0",
			     "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1", NULL};
	const char *argv[] = {scenario(name), "all", NULL};
	struct run_opts opts = {.pid1 = true, .env = env, .timeout_s = 120};
	run(argv, &opts, &r);
	expect_clean("ASan+UBSan", name, &r);
	run_result_free(&r);
}

/* valgrind does not know clone3 and pidfds, so only scenarios that need neither run under it. */
static void under_valgrind(const char *name)
{
	struct run_result r;
	const char *env[] = {"SCN_STORM=1", NULL};
	const char *argv[] = {"valgrind", "-q", "--error-exitcode=99", "--trace-children=no", scenario(name), "all",
			      NULL};
	struct run_opts opts = {.pid1 = true, .preload = true, .env = env, .timeout_s = 240};
	run(argv, &opts, &r);
	expect_clean("valgrind", name, &r);
	run_result_free(&r);
}

#define SANITIZED(name) \
	Test(sanitizers, name, .timeout = 180) { under_sanitizers(#name); }

SANITIZED(core_wait)
SANITIZED(core_sigchld)
SANITIZED(core_spawn)
SANITIZED(core_shell)
SANITIZED(core_threads)
SANITIZED(core_exec)
SANITIZED(core_orphans)

#define VALGRIND(name) \
	Test(valgrind, name, .timeout = 300) { under_valgrind(#name); }

VALGRIND(core_sigchld)
VALGRIND(core_shell)
VALGRIND(core_orphans)
