/* How the shim reaches libc's functions (shim/symbols.c): without the loader's lock, and to the next
 * definition after its own, as dlsym(RTLD_NEXT) would, so that an interposer preloaded after it
 * still sees every call. Each as PID 1 (the shim active) and as a plain process (inert).
 * Run one: build/tests/test_binding --filter 'binding/busy_loader_pid1' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* tests/scenarios/binding_busy.c: first calls of posix_spawn, system and popen while another
 * thread holds the loader's lock inside dlopen. A shim that bound them with dlsym would wait for
 * that thread, which waits for this one: the scenario's watchdog would end it. */
static void busy_loader(bool pid1, bool preload)
{
	const char *argv[] = { scenario("binding_busy"), scenario("libscn_busy.so"), NULL };
	struct run_opts opts = { .pid1 = pid1, .preload = preload, .timeout_s = 30 };
	struct run_result r;

	run(argv, &opts, &r);
	cr_expect(!r.timed_out && r.exit_code == 0 && strstr(r.out, "RESULT ok") != NULL,
		  "%s, %s: expected RESULT ok and exit 0, got exit %d; output:\n%s", pid1 ? "PID 1" : "plain",
		  preload ? "with the shim" : "without", r.exit_code, r.out);
	run_result_free(&r);
}

Test(binding, busy_loader_pid1, .timeout = 40) { busy_loader(true, true); }
Test(binding, busy_loader_inert, .timeout = 40) { busy_loader(false, true); }
Test(binding, busy_loader_without_shim, .timeout = 40) { busy_loader(true, false); }

/* LD_PRELOAD="reap.so libscn_chain.so": the shell's fork reaches the shim's, which must hand it to
 * the chain library's fork (it prints CHAIN fork), not skip to libc's. The control preloads the
 * chain library alone. */
static void chain(bool pid1, bool with_shim)
{
	char preload[8192];
	const char *argv[] = { "/bin/sh", "-c", "/bin/true & wait; echo DONE", NULL };
	const char *env[] = { preload, NULL };
	struct run_opts opts = { .pid1 = pid1, .env = env, .timeout_s = 20 };
	struct run_result r;

	snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s", with_shim ? shim_path() : "", with_shim ? " " : "",
		 scenario("libscn_chain.so"));
	run(argv, &opts, &r);
	cr_expect(r.exit_code == 0 && strstr(r.out, "CHAIN fork") != NULL && strstr(r.out, "DONE") != NULL,
		  "%s, %s: expected CHAIN fork and DONE, got exit %d; output:\n%s", pid1 ? "PID 1" : "plain",
		  with_shim ? "reap.so first" : "the chain library alone", r.exit_code, r.out);
	run_result_free(&r);
}

Test(binding, chain_after_shim_pid1, .timeout = 30) { chain(true, true); }
Test(binding, chain_after_shim_inert, .timeout = 30) { chain(false, true); }
Test(binding, chain_alone, .timeout = 30) { chain(true, false); }
