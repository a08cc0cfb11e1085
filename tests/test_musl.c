/* The musl tier (issue 10): the library built with musl-gcc (build/ARCH-linux-musl/reap.so) in the
 * core scenarios built with musl-gcc, run natively as PID 1 of a fresh PID namespace, as the core
 * tests run the glibc build: each must pass with plain musl's transcript under a storm of foreign
 * orphans, and without the preload (the negative control) show the problem; loaded but not PID 1 it
 * changes nothing. Also: the library exports and needs only what musl's libc has; the entry points
 * whose meaning is musl's own (core_entries); how PID 1 ends (end_exit): a return from main and
 * exit go through the shim (the namespace's end comes before the exit handlers, REAP_EXIT_ZERO
 * applies); split mode.
 *
 * Debian has no musl-linked shell, and a glibc program cannot load the musl library, so every run
 * gets Debian's busybox-static (statically linked: it loads no preload) as its /bin/sh, in a mount
 * namespace of its own (harness_target). Everything else the scenarios start is themselves.
 * Run one: build/tests/test_musl --filter 'musl_wait/any' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shim/target.h"
#include "modes.h"
#include "seed.h"
#include "sigtest.h"

#define MUSL_TARGET REAP_ARCH_NAME "-linux-musl"
#define MUSL_LIBC "/lib/ld-musl-" REAP_ARCH_NAME ".so.1"
#define STATIC_SHELL "/bin/busybox"

/* In every process of this binary (the runner and each Criterion worker). */
__attribute__((constructor)) static void use_musl_build(void)
{
	harness_target(MUSL_TARGET, NULL, STATIC_SHELL);
}

static void preflight(void)
{
	cr_assert(access(MUSL_LIBC, R_OK) == 0, "%s is missing: make test installs musl-tools", MUSL_LIBC);
	cr_assert(access(STATIC_SHELL, X_OK) == 0, "%s is missing: make test installs busybox-static", STATIC_SHELL);
	cr_assert(access(shim_path(), R_OK) == 0, "%s is missing: run make test (its musl-tier step)", shim_path());
}

TestSuite(musl, .init = preflight, .timeout = 900);
TestSuite(musl_wait, .init = preflight, .timeout = 900);
TestSuite(musl_spawn, .init = preflight, .timeout = 900);
TestSuite(musl_sigchld, .init = preflight, .timeout = 900);
TestSuite(musl_entries, .init = preflight, .timeout = 900);
TestSuite(musl_exit, .init = preflight, .timeout = 120);
TestSuite(musl_signals, .init = preflight, .timeout = 120);

/* ---- what the library exports and needs ------------------------------------------------------ */

/* The dynamic symbols of file that nm lists with `which` ("--defined-only" or "--undefined-only"),
 * one per line, each line "TYPE NAME" (defined: without the address). */
static char *dynamic_symbols(const char *file, const char *which)
{
	char cmd[512], line[512];
	snprintf(cmd, sizeof cmd, "nm -D %s '%s'", which, file);
	FILE *nm = popen(cmd, "r");
	cr_assert(nm != NULL, "cannot run nm");
	size_t cap = 1 << 16, len = 0;
	char *all = calloc(1, cap);
	while (fgets(line, sizeof line, nm) != NULL) {
		char a[256], b[256], c[256];
		int words = sscanf(line, "%255s %255s %255s", a, b, c);
		if (words < 2) {
			continue;
		}
		/* "ADDRESS TYPE NAME", or "TYPE NAME" for an undefined symbol */
		int n = snprintf(all + len, cap - len, "%s %s\n", words == 3 ? b : a, words == 3 ? c : b);
		cr_assert(n > 0 && (size_t)n < cap - len, "too many symbols in %s", file);
		len += (size_t)n;
	}
	cr_assert(pclose(nm) == 0, "nm failed on %s", file);
	return all;
}

/* Whether libc's defined symbols (dynamic_symbols output) name `name`. */
static bool defines(const char *libc, const char *name)
{
	for (const char *l = libc; *l != '\0'; l = strchr(l, '\n') + 1) {
		const char *sym = strchr(l, ' ') + 1;
		size_t len = (size_t)(strchr(sym, '\n') - sym);
		if (len == strlen(name) && strncmp(sym, name, len) == 0) {
			return true;
		}
	}
	return false;
}

/* A wrapper exported under a name musl lacks is either dead (no musl program links to it) or, found
 * by dlsym, calls a libc function that is not there (glibc's sysv_signal: SIGSEGV). And a symbol
 * the library needs that musl lacks makes every program in the image fail to start. */
Test(musl, exports_and_needs_only_what_musl_has)
{
	char *libc = dynamic_symbols(MUSL_LIBC, "--defined-only");
	char *ours = dynamic_symbols(shim_path(), "--defined-only");
	char *needs = dynamic_symbols(shim_path(), "--undefined-only");
	int exported = 0;
	for (const char *l = ours; *l != '\0'; l = strchr(l, '\n') + 1) {
		char name[256];
		sscanf(l, "%*s %255s", name);
		cr_expect(defines(libc, name), "reap.so for musl exports %s, which musl's libc does not have", name);
		exported++;
	}
	cr_expect(exported > 50, "reap.so for musl exports only %d symbols:\n%s", exported, ours);
	for (const char *l = needs; *l != '\0'; l = strchr(l, '\n') + 1) {
		char type[8], name[256];
		sscanf(l, "%7s %255s", type, name);
		cr_expect(type[0] == 'w' || defines(libc, name), "reap.so for musl needs %s, which musl's libc lacks",
			  name);
	}
	free(libc);
	free(ours);
	free(needs);

	char cmd[512], line[512];
	snprintf(cmd, sizeof cmd, "readelf -d -V '%s'", shim_path());
	FILE *readelf = popen(cmd, "r");
	cr_assert(readelf != NULL);
	while (fgets(line, sizeof line, readelf) != NULL) {
		cr_expect(strstr(line, "GLIBC") == NULL, "reap.so for musl needs glibc: %s", line);
		if (strstr(line, "(NEEDED)") != NULL) {
			cr_expect(strstr(line, "[libc.so]") != NULL, "reap.so for musl needs more than musl's libc: %s",
				  line);
		}
	}
	pclose(readelf);
}

/* Every libc function the shim looks up is there: REAP_VERBOSE=2 names any that is not. */
Test(musl, binds_every_function_it_calls)
{
	static const char *const scenarios[][2] = { { "core_entries", "all" }, { "core_spawn", "all" },
						    { "core_shell", "all" },   { "core_wait", "all" },
						    { "core_idle", "select" } };
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		struct run_result r;
		scn_run(ACTIVE, scenarios[i][0], ARGS(scenarios[i][1]), true, ENV("REAP_VERBOSE=2"), &r);
		assert_passed(scenarios[i][0], &r);
		cr_expect(strstr(r.out, "reap: libc has no") == NULL, "%s: a libc function is missing:\n%s",
			  scenarios[i][0], r.out);
		run_result_free(&r);
	}
}

/* ---- the entry points whose meaning is musl's own (and a missing one crashed) ----------------- */

#define ENTRIES(variant)                                                                              \
	Test(musl_entries, variant) { expect_like_libc("core_entries", ARGS(#variant)); }             \
	Test(musl_entries, variant##_inert) { expect_inert("core_entries", ARGS(#variant)); }

ENTRIES(signal)
ENTRIES(sigwaits)
ENTRIES(select)
ENTRIES(popen)

/* ---- the core scenarios -------------------------------------------------------------------------- */

Test(musl, seed) { expect_seed_clean(); }
Test(musl, seed_without_shim) { expect_seed_zombies(PLAIN1); }
Test(musl, idle) { expect_like_libc("core_idle", NONE); }
Test(musl, idle_poll) { expect_like_libc("core_idle", ARGS("poll")); }
Test(musl, idle_select) { expect_like_libc("core_idle", ARGS("select")); }
Test(musl, idle_epoll) { expect_like_libc("core_idle", ARGS("epoll")); }
Test(musl, idle_without_shim) { expect_problem("core_idle", NONE, "while the program made no wait call"); }
Test(musl, blocked_signalfd) { expect_like_libc("core_blocked", ARGS("signalfd")); }
Test(musl, blocked_sigwaitinfo) { expect_like_libc("core_blocked", ARGS("sigwaitinfo")); }
Test(musl, blocked_without_shim) { expect_problem("core_blocked", ARGS("signalfd"), "zombies left"); }
Test(musl, threads) { expect_like_libc("core_threads", ARGS("all")); }
Test(musl, threads_without_shim) { expect_problem("core_threads", ARGS("anywait"), "returned foreign pid"); }

#define WAIT_TEST(variant, symptom)                                                                   \
	Test(musl_wait, variant) { expect_like_libc("core_wait", ARGS(#variant)); }                   \
	Test(musl_wait, variant##_without_shim) { expect_problem("core_wait", ARGS(#variant), symptom); }

WAIT_TEST(any, "returned foreign pid")
WAIT_TEST(pid, "zombies left")
WAIT_TEST(pgrp, "returned foreign pid")
WAIT_TEST(nohang, "foreign")
WAIT_TEST(stop, "returned foreign pid")
WAIT_TEST(nowait, "returned foreign pid")
WAIT_TEST(eintr, "EINTR")
WAIT_TEST(echild, "with only foreign children")

/* Every path musl has (not glibc's "__" aliases, nor its old posix_spawn versions). */
#define PATH_TEST(test, path) \
	Test(musl_spawn, test) { expect_like_libc("core_spawn", ARGS(path)); }

PATH_TEST(fork, "fork")
PATH_TEST(vfork, "vfork")
PATH_TEST(_Fork, "_Fork")
PATH_TEST(clone, "clone")
PATH_TEST(clone_vfork, "clone_vfork")
PATH_TEST(sys_clone, "sys_clone")
PATH_TEST(sys_clone3, "sys_clone3")
PATH_TEST(posix_spawn, "posix_spawn")
PATH_TEST(posix_spawnp, "posix_spawnp")
PATH_TEST(forkpty, "forkpty")
PATH_TEST(daemon, "daemon")
#if defined(__x86_64__) /* arm64 has no SYS_fork, and the scenario's raw paths are x86-64 code */
PATH_TEST(sys_fork, "sys_fork")
PATH_TEST(raw_fork, "raw_fork")
PATH_TEST(raw_vfork, "raw_vfork")
PATH_TEST(raw_clone, "raw_clone")
#endif
Test(musl_spawn, all_without_shim) { expect_problem("core_spawn", ARGS("all"), "returned foreign pid"); }
Test(musl_spawn, exec) { expect_like_libc("core_exec", NONE); }
Test(musl_spawn, exec_without_shim) { expect_problem("core_exec", ARGS("execv"), "returned foreign pid"); }
Test(musl_spawn, shell) { expect_like_libc("core_shell", ARGS("all")); }
Test(musl_spawn, shell_without_shim) { expect_problem("core_shell", ARGS("all"), "zombies left"); }

#define SIGCHLD_TEST(variant, symptom)                                                                \
	Test(musl_sigchld, variant) { expect_like_libc("core_sigchld", ARGS(#variant)); }             \
	Test(musl_sigchld, variant##_without_shim) { expect_problem("core_sigchld", ARGS(#variant), symptom); }

SIGCHLD_TEST(siginfo, "handed foreign pid")
SIGCHLD_TEST(reaping, "returned foreign pid")
SIGCHLD_TEST(restart, "handed foreign pid")
SIGCHLD_TEST(stopreports, "handed foreign pid")
SIGCHLD_TEST(nocldwait, "handed foreign pid")
SIGCHLD_TEST(resethand, "handed foreign pid")
SIGCHLD_TEST(ign, "zombies left")
SIGCHLD_TEST(ign_exec, "zombies left")
SIGCHLD_TEST(forked, "handed foreign pid")
SIGCHLD_TEST(merged, "handed foreign pid")
SIGCHLD_TEST(quiet_clone, "handed foreign pid")
Test(musl_sigchld, norestart) { expect_like_libc("core_sigchld", ARGS("norestart")); }
Test(musl_sigchld, nocldstop) { expect_like_libc("core_sigchld", ARGS("nocldstop")); }
Test(musl_sigchld, query) { expect_like_libc("core_sigquery", NONE); }
Test(musl_sigchld, query_without_shim) { expect_problem("core_sigquery", NONE, "zombies left"); }

/* Loaded but not PID 1, and PID 1 with REAP_MODE=off: exactly musl; a subreaper outside PID 1 and
 * split mode act as on glibc. */
#define MODE_TESTS(test, name, ...)                                                                   \
	Test(musl, inert_##test) { expect_inert(name, ARGS(__VA_ARGS__)); }                            \
	Test(musl, off_##test) { expect_off(name, ARGS(__VA_ARGS__), "zombies left"); }               \
	Test(musl, subreaper_##test) { expect_subreaper(name, ARGS(__VA_ARGS__)); }                   \
	Test(musl, split_##test) { expect_split(name, ARGS(__VA_ARGS__)); }

MODE_TESTS(idle, "core_idle", NULL)
MODE_TESTS(wait, "core_wait", "all")
MODE_TESTS(spawn, "core_spawn", "all")
MODE_TESTS(shell, "core_shell", "all")
MODE_TESTS(sigchld, "core_sigchld", "all")
MODE_TESTS(sigquery, "core_sigquery", NULL)
MODE_TESTS(threads, "core_threads", "all")
MODE_TESTS(exec, "core_exec", NULL)

/* The split-mode init shows as reap-init in `ps aux` too (its argument list, which musl hands no
 * constructor: the shim keeps it from __libc_start_main). */
Test(musl, split_init_named_for_ps)
{
	struct proc p;
	int port = start_seed(SPLIT1, NONE, &p);
	char path[64], cmdline[256] = "";
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p.init_pid);
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(cmdline, 1, sizeof cmdline - 1, f) : 0;
	if (f != NULL) {
		fclose(f);
	}
	struct run_result r;
	finish_seed(&p, port, &r);
	cr_expect(n > 0 && strcmp(cmdline, "reap-init") == 0, "PID 1's argument list is \"%s\", expected reap-init",
		  cmdline);
	run_result_free(&r);
}

/* ---- how PID 1 ends ---------------------------------------------------------------------------- */

static bool exited_with(const struct run_result *r, int code)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

static void run_end_exit(enum cfg c, const char *const argv_tail[], const char *const *env, struct run_result *r)
{
	const char *argv[8] = { scenario("end_exit") };
	for (size_t i = 0; argv_tail[i] != NULL && i < 6; i++) {
		argv[i + 1] = argv_tail[i];
	}
	struct run_opts o = cfg_opts(c, env, RUN_S);
	run(argv, &o, r);
}

/* PID 1's last lines reach a log shipper in the namespace, which gets SIGTERM only after them:
 * through the shim's exit, also when main returns (musl's start code calls its own exit). */
static void output_reaches_shipper(const char *how)
{
	struct run_result r;
	run_end_exit(SHIM, ARGS("output", how), NULL, &r);
	char *shipped = lines_with(r.out, "SHIPPED ");
	cr_expect_str_eq(shipped, "SHIPPED LINE 1\nSHIPPED LINE 2\nSHIPPED LINE 3\nSHIPPED LINE 4\n",
			 "%s: the shipper did not get PID 1's last lines:\n%s", how, r.out);
	cr_expect(has_line(r.out, "SHIPPER TERM"), "%s: the shipper got no SIGTERM after them:\n%s", how, r.out);
	cr_expect(exited_with(&r, 0), "%s: expected 0, got raw status %#x:\n%s", how, r.status, r.out);
	free(shipped);
	run_result_free(&r);
}

Test(musl_exit, return_lines_reach_shipper) { output_reaches_shipper("return"); }
Test(musl_exit, exit_lines_reach_shipper) { output_reaches_shipper("exit"); }
Test(musl_exit, errx_lines_reach_shipper) { output_reaches_shipper("errx"); }
Test(musl_exit, pthread_exit_lines_reach_shipper) { output_reaches_shipper("pthread_exit"); }
Test(musl_exit, _exit_lines_reach_shipper) { output_reaches_shipper("_exit"); }

/* Without the shim the kernel ends the namespace with PID 1: the shipper never prints its SIGTERM. */
Test(musl_exit, return_without_shim)
{
	struct run_result r;
	run_end_exit(NO_PRELOAD, ARGS("output", "return"), NULL, &r);
	cr_expect(!has_line(r.out, "SHIPPER TERM"), "the shipper got a SIGTERM without the shim:\n%s", r.out);
	run_result_free(&r);
}

/* A worker thread never meets state the exit handlers tore down: the namespace's end (SIGTERM to
 * the child that wakes the worker) comes before them. */
Test(musl_exit, threads_whole_at_return)
{
	struct run_result r;
	run_end_exit(SHIM, ARGS("threads", "return"), NULL, &r);
	cr_expect(exited_with(&r, 0) && has_line(r.out, "WORKER SAW 42"),
		  "the worker saw no whole state, raw status %#x:\n%s", r.status, r.out);
	run_result_free(&r);
}

/* REAP_EXIT_ZERO when main returns and through exit (on_exit, which glibc's shim uses, is not in
 * musl). */
Test(musl_exit, exit_zero_return) { expect_exit_zero_applies("return"); }
Test(musl_exit, exit_zero_exit) { expect_exit_zero_applies("exit"); }

Test(musl_exit, exit_zero_quick_exit)
{
	const char *env[] = { "REAP_EXIT_ZERO=143", NULL };
	struct run_result r;
	run_end_exit(SHIM, ARGS("quick_exit", "143"), env, &r);
	cr_expect(exited_with(&r, 0) && has_line(r.out, "AT_QUICK_EXIT"),
		  "quick_exit(143) under REAP_EXIT_ZERO=143: raw status %#x:\n%s", r.status, r.out);
	run_result_free(&r);
}

/* Outside PID 1 the exit wrappers are musl's: the same status and lines with the shim as without. */
Test(musl_exit, inert_exits_as_musl)
{
	const char *variants[][3] = { { "code", "return", "143" }, { "code", "exit", "5" }, { "quick_exit", "3", NULL },
				      { "output", "errx", NULL } };
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		const char *argv[] = { scenario("end_exit"), variants[i][0], variants[i][1], variants[i][2], NULL };
		const char *env[] = { "REAP_EXIT_ZERO=143,5,3", NULL };
		struct run_opts with = { .pid1 = false, .preload = true, .env = env, .timeout_s = RUN_S };
		struct run_opts without = { .pid1 = false, .preload = false, .env = env, .timeout_s = RUN_S };
		struct run_result a, b;
		run(argv, &with, &a);
		run(argv, &without, &b);
		cr_expect(!a.timed_out && a.status == b.status, "%s %s: status %#x with the shim, %#x without",
			  variants[i][0], variants[i][1], a.status, b.status);
		const char *prefixes[] = { "EXITING", "ATEXIT", "AT_QUICK_EXIT", "end_exit: " };
		for (size_t k = 0; k < 4; k++) {
			char *la = lines_with(a.out, prefixes[k]);
			char *lb = lines_with(b.out, prefixes[k]);
			cr_expect_str_eq(la, lb, "%s %s: \"%s\" lines differ: with the shim:\n%s\nwithout:\n%s",
					 variants[i][0], variants[i][1], prefixes[k], a.out, b.out);
			free(la);
			free(lb);
		}
		run_result_free(&a);
		run_result_free(&b);
	}
}

/* ---- termination signals of a handler-less PID 1 ------------------------------------------------ */

/* 128+N promptly (nobody else to wait for), the program seeing its own SIG_DFL; for musl's own
 * first and last real-time signals too (musl's SIGRTMIN is 35: it keeps 32 to 34 for itself). */
Test(musl_signals, dfl_exits_128_plus_n)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE, 35, 63 };
	const char *argv[] = { scenario("sig_idle"), NULL };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct run_opts o = cfg_opts(SHIM, NULL, 4);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		proc_signal(&p, sigs[i]);
		proc_finish(&p, &r);
		cr_expect(exited_with(&r, 128 + sigs[i]) && strstr(r.out, "term=SIG_DFL") != NULL,
			  "signal %d: expected exit %d and the program seeing SIG_DFL, raw status %#x:\n%s", sigs[i],
			  128 + sigs[i], r.status, r.out);
		run_result_free(&r);
	}
}

/* Negative control: without the preload the kernel drops them for the namespace's init. */
Test(musl_signals, dfl_dropped_without_shim)
{
	const int sigs[] = { SIGTERM, 35 };
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(NO_PRELOAD, NULL, RUN_S);
	struct proc p;
	struct run_result r;
	start_until(&p, argv, &o, "READY");
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		cr_expect(survives(&p, sigs[i], (int)i + 1), "signal %d ended PID 1 without the shim", sigs[i]);
	}
	finish_by_sigkill(&p, &r);
	run_result_free(&r);
}

Test(musl_signals, exit_zero)
{
	const char *env[] = { "REAP_EXIT_ZERO=143", NULL };
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(SHIM, env, 4);
	struct proc p;
	struct run_result r;
	start_until(&p, argv, &o, "READY");
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 0), "SIGTERM under REAP_EXIT_ZERO=143: raw status %#x:\n%s", r.status, r.out);
	run_result_free(&r);
}
