/* Issue 3, termination signals at PID 1: the handler-less PID 1, the program's own dispositions,
 * crashes, REAP_EXIT_ZERO and the inert shim outside PID 1.
 *
 * Every behaviour is run twice: with the shim, and as its negative control (no preload, or the shim
 * loaded with REAP_SIGNALS=off or REAP_MODE=off), where the kernel's rule for a namespace's init holds:
 * a signal left at SIG_DFL is dropped. "Survives" below is proved, never assumed: after the signal the
 * test sends the probe (SIGRTMAX, the highest-numbered signal, so the kernel delivers anything sent
 * before it first) and waits for the program's "PROBE n" line. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sigtest.h"

/* Signals are written as numbers, real-time ones relative to SIGRTMIN/SIGRTMAX (not constants). */
#define RTMIN_PLUS(k) (1000 + (k))
#define RTMAX_MINUS(k) (2000 + (k))

static int decode_sig(int code)
{
	if (code >= 2000) {
		return SIGRTMAX - (code - 2000);
	}
	if (code >= 1000) {
		return SIGRTMIN + (code - 1000);
	}
	return code;
}

/* The first line starting with prefix, copied into buf ("" when absent). */
static const char *line_of(const char *out, const char *prefix, char *buf, size_t size)
{
	const char *s = strstr(out, prefix);
	while (s != NULL && s != out && s[-1] != '\n') {
		s = strstr(s + 1, prefix);
	}
	size_t n = 0;
	if (s != NULL) {
		n = strcspn(s, "\n");
		if (n >= size) {
			n = size - 1;
		}
		memcpy(buf, s, n);
	}
	buf[n] = '\0';
	return buf;
}

/* text with every " restorer=N" removed (in place). */
static char *without_restorer(char *text)
{
	char *at;
	while ((at = strstr(text, " restorer=")) != NULL) {
		size_t skip = strlen(" restorer=") + strspn(at + strlen(" restorer="), "0123456789");
		memmove(at, at + skip, strlen(at + skip) + 1);
	}
	return text;
}

static unsigned long long status_mask(pid_t pid, const char *field)
{
	char path[64];
	char line[256];
	unsigned long long mask = 0;
	size_t flen = strlen(field);
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			mask = strtoull(line + flen + 1, NULL, 16);
		}
	}
	fclose(f);
	return mask;
}

#define BIT(sig) (1ULL << ((sig) - 1))

/* The run of a handler-less PID 1 must not start with a termination signal already ignored or
 * blocked (inherited from whatever started the tests): that would be the program's wish. */
static void assert_clean_start(struct proc *p, int sig)
{
	unsigned long long ign = status_mask(p->init_pid, "SigIgn");
	unsigned long long blk = status_mask(p->init_pid, "SigBlk");
	cr_assert((ign & BIT(sig)) == 0 && (blk & BIT(sig)) == 0,
		  "precondition: signal %d arrives ignored (SigIgn %llx) or blocked (SigBlk %llx) in PID 1; "
		  "the harness must start programs with default dispositions and an empty mask",
		  sig, ign, blk);
}

/* ---- 1. A handler-less PID 1 obeys termination signals from outside: 128+N, promptly. ---- */

static int term_sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
			   SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO, SIGPWR, SIGSTKFLT,
			   RTMIN_PLUS(0), RTMIN_PLUS(3), RTMAX_MINUS(1) };

ParameterizedTestParameters(pid1_dfl, exits_128_plus_n)
{
	return cr_make_param_array(int, term_sigs, sizeof term_sigs / sizeof term_sigs[0]);
}

/* The run timeout (4 s) is below the default grace period (5 s): with nobody else in the namespace
 * PID 1 has nobody to wait for, so it must not sit out the grace period. */
ParameterizedTest(int *code, pid1_dfl, exits_128_plus_n, .timeout = 20)
{
	int sig = decode_sig(*code);
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(SHIM, NULL, 4);
	struct proc p;
	struct run_result r;
	char line[128];

	start_until(&p, argv, &o, "READY");
	assert_clean_start(&p, sig);
	proc_signal(&p, sig);
	proc_finish(&p, &r);
	cr_expect(!r.timed_out, "signal %d: PID 1 did not end within 4 s", sig);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 128 + sig,
		  "signal %d: expected exit status %d, got raw status %#x (exit_code %d); output:\n%s", sig,
		  128 + sig, r.status, r.exit_code, r.out);
	/* The program itself saw its own disposition, SIG_DFL, while the shim emulated it. */
	line_of(r.out, "READY", line, sizeof line);
	cr_expect(strstr(line, "term=SIG_DFL") != NULL, "the program must see SIG_DFL: %s", line);
	run_result_free(&r);
}

ParameterizedTestParameters(pid1_dfl, control_ignored)
{
	return cr_make_param_array(int, term_sigs, sizeof term_sigs / sizeof term_sigs[0]);
}

/* Negative control: without the shim (or with it switched off) the kernel drops the signal. */
ParameterizedTest(int *code, pid1_dfl, control_ignored, .timeout = 30)
{
	int sig = decode_sig(*code);
	const char *argv[] = { scenario("sig_idle"), NULL };

	for (enum cfg c = NO_PRELOAD; c <= MODE_OFF; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		assert_clean_start(&p, sig);
		cr_expect(survives(&p, sig, 1), "%s: signal %d ended PID 1; it must be dropped", cfg_name(c),
			  sig);
		finish_by_sigkill(&p, &r);
		run_result_free(&r);
	}
}

/* Fault signals and SIGABRT stay with the kernel: sent from outside to a handler-less PID 1 they are
 * dropped, with the shim exactly as without. */
Test(pid1_dfl, fault_signals_left_to_kernel, .timeout = 30)
{
	const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT };
	const char *argv[] = { scenario("sig_idle"), NULL };

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
			cr_expect(survives(&p, sigs[i], (int)i + 1), "%s: signal %d sent from outside ended PID 1",
				  cfg_name(c), sigs[i]);
		}
		finish_by_sigkill(&p, &r);
		run_result_free(&r);
	}
}

/* ---- 2. REAP_EXIT_ZERO maps chosen exit codes of PID 1 to 0. ---- */

static int exit_code_after(int sig, const char *exit_zero)
{
	const char *env[] = { exit_zero, NULL };
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(SHIM, env, RUN_S);
	struct proc p;
	struct run_result r;

	start_until(&p, argv, &o, "READY");
	proc_signal(&p, sig);
	proc_finish(&p, &r);
	cr_expect(!r.timed_out, "%s, signal %d: run timed out", exit_zero, sig);
	int code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
	run_result_free(&r);
	return code;
}

Test(exit_zero, maps_listed_codes, .timeout = 30)
{
	cr_expect_eq(exit_code_after(SIGTERM, "REAP_EXIT_ZERO=143"), 0);
	cr_expect_eq(exit_code_after(SIGINT, "REAP_EXIT_ZERO=143,130"), 0);
	/* Controls: a code not in the list is left alone. */
	cr_expect_eq(exit_code_after(SIGINT, "REAP_EXIT_ZERO=143"), 130);
	cr_expect_eq(exit_code_after(SIGTERM, "REAP_EXIT_ZERO=130"), 143);
}

/* ---- 3. A real fault in PID 1 still ends it by the signal; abort() as without the shim. ---- */

static struct run_result crash(enum cfg c, const char *how)
{
	const char *argv[] = { scenario("sig_segv"), how, NULL };
	struct run_opts o = cfg_opts(c, NULL, RUN_S);
	struct run_result r;
	run(argv, &o, &r);
	cr_expect(!r.timed_out, "%s, %s: run timed out", cfg_name(c), how);
	cr_expect(strstr(r.out, "SURVIVED") == NULL, "%s, %s: PID 1 got past its crash", cfg_name(c), how);
	return r;
}

Test(pid1_crash, segv_still_kills, .timeout = 30)
{
	struct run_result shim = crash(SHIM, "segv");
	struct run_result none = crash(NO_PRELOAD, "segv");

	/* unshare re-raises the signal that killed PID 1, so the status tells a death by SIGSEGV from
	 * an exit(139). */
	cr_expect(WIFSIGNALED(none.status) && WTERMSIG(none.status) == SIGSEGV,
		  "control: expected a death by SIGSEGV, got raw status %#x", none.status);
	cr_expect(WIFSIGNALED(shim.status) && WTERMSIG(shim.status) == SIGSEGV,
		  "with the shim: expected a death by SIGSEGV, got raw status %#x; output:\n%s", shim.status,
		  shim.out);
	run_result_free(&shim);
	run_result_free(&none);
}

Test(pid1_crash, abort_as_without_shim, .timeout = 30)
{
	struct run_result shim = crash(SHIM, "abort");
	struct run_result none = crash(NO_PRELOAD, "abort");

	cr_expect(WIFSIGNALED(none.status), "control: expected a death by signal, got raw status %#x",
		  none.status);
	cr_expect(WIFSIGNALED(shim.status) && WTERMSIG(shim.status) == WTERMSIG(none.status),
		  "with the shim: raw status %#x, without: %#x; output:\n%s", shim.status, none.status,
		  shim.out);
	run_result_free(&shim);
	run_result_free(&none);
}

/* ---- 4. The program's wishes win. ---- */

/* A handler runs and the program continues, as without the shim. */
Test(wishes, handler_runs_and_program_continues, .timeout = 30)
{
	const int sigs[] = { SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		char sig[8];
		snprintf(sig, sizeof sig, "%d", sigs[i]);
		for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
			const char *argv[] = { scenario("sig_wishes"), "handler", sig, NULL };
			struct run_opts o = cfg_opts(c, NULL, RUN_S);
			struct proc p;
			struct run_result r;
			char want[32];
			start_until(&p, argv, &o, "READY");
			proc_signal(&p, sigs[i]);
			proc_finish(&p, &r);
			snprintf(want, sizeof want, "HANDLED %d", sigs[i]);
			cr_expect(has_line(r.out, want) && has_line(r.out, "CONTINUED"),
				  "%s, signal %d: the handler did not run or the program did not continue:\n%s",
				  cfg_name(c), sigs[i], r.out);
			cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7,
				  "%s, signal %d: expected the program's own exit 7, got raw status %#x",
				  cfg_name(c), sigs[i], r.status);
			run_result_free(&r);
		}
	}
}

/* SIG_IGN is respected. */
Test(wishes, sig_ign_respected, .timeout = 30)
{
	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		const char *argv[] = { scenario("sig_wishes"), "ignore", "15", NULL };
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		cr_expect(status_mask(p.init_pid, "SigIgn") & BIT(SIGTERM), "%s: SigIgn lacks SIGTERM",
			  cfg_name(c));
		cr_expect(survives(&p, SIGTERM, 1), "%s: an ignored SIGTERM ended PID 1", cfg_name(c));
		proc_finish(&p, &r);
		cr_expect(has_line(r.out, "ALIVE") && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
			  "%s: expected ALIVE and exit 0, got raw status %#x:\n%s", cfg_name(c), r.status, r.out);
		run_result_free(&r);
	}
}

/* A blocked signal stays pending, does not kill, and is read by sigwait or a signalfd. */
static void blocked(const char *mode, const char *read_line)
{
	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		const char *argv[] = { scenario("sig_wishes"), mode, "15", NULL };
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		cr_expect(survives(&p, SIGTERM, 1), "%s, %s: a blocked SIGTERM ended PID 1", cfg_name(c), mode);
		proc_finish(&p, &r);
		cr_expect(has_line(r.out, "PENDING 1"), "%s, %s: SIGTERM not pending while blocked:\n%s",
			  cfg_name(c), mode, r.out);
		cr_expect(has_line(r.out, read_line), "%s, %s: expected \"%s\":\n%s", cfg_name(c), mode,
			  read_line, r.out);
		cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s, %s: raw status %#x",
			  cfg_name(c), mode, r.status);
		run_result_free(&r);
	}
}

Test(wishes, blocked_signal_stays_pending_sigwait, .timeout = 40)
{
	blocked("sigwait", "WAITED 15");
}

Test(wishes, blocked_signal_stays_pending_signalfd, .timeout = 40)
{
	blocked("signalfd", "READ 15");
}

/* SIG_DFL set again after a handler re-arms the emulation. */
Test(wishes, sig_dfl_again_rearms, .timeout = 30)
{
	const char *argv[] = { scenario("sig_wishes"), "redfl", "15", NULL };
	struct proc p;
	struct run_result r;
	struct run_opts o = cfg_opts(SHIM, NULL, RUN_S);

	start_until(&p, argv, &o, "READY");
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 143,
		  "handler then SIG_DFL: expected 143, got raw status %#x:\n%s", r.status, r.out);
	run_result_free(&r);

	o = cfg_opts(NO_PRELOAD, NULL, RUN_S);
	start_until(&p, argv, &o, "READY");
	cr_expect(survives(&p, SIGTERM, 1), "control: SIGTERM ended PID 1 without the shim");
	finish_by_sigkill(&p, &r);
	run_result_free(&r);
}

/* SA_RESETHAND (sigaction, and sysv_signal which implies it): the first delivery runs the handler,
 * the disposition then reads SIG_DFL, and the second delivery is the emulated default. */
static void resethand(const char *api)
{
	const char *argv[] = { scenario("sig_wishes"), "resethand", "15", api, NULL };
	char handled[2][160];

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		proc_signal(&p, SIGTERM);
		const char *line = proc_wait_line(&p, "HANDLED", 5);
		cr_expect_not_null(line, "%s, %s: the handler did not run on the first SIGTERM", cfg_name(c), api);
		snprintf(handled[c], sizeof handled[c], "%s", line != NULL ? line : "");
		if (c == SHIM) {
			proc_signal(&p, SIGTERM);
			proc_finish(&p, &r);
			cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 143,
				  "%s: second SIGTERM after SA_RESETHAND: expected 143, got raw status %#x:\n%s",
				  api, r.status, r.out);
		} else {
			cr_expect(survives(&p, SIGTERM, 1), "control, %s: second SIGTERM ended PID 1", api);
			finish_by_sigkill(&p, &r);
		}
		run_result_free(&r);
	}
	cr_expect(strstr(handled[SHIM], "disp=SIG_DFL") != NULL, "%s: after the reset: %s", api,
		  handled[SHIM]);
	/* The whole report, and separately the SA_RESTORER bit glibc adds: a wrapper returns exactly
	 * what libc would. */
	cr_expect_str_eq(handled[SHIM], handled[NO_PRELOAD],
			 "%s: sigaction after the reset (SA_RESTORER bit included) differs from libc's:\n"
			 "  shim: %s\n  libc: %s", api, handled[SHIM], handled[NO_PRELOAD]);
	cr_expect_str_eq(without_restorer(handled[SHIM]), without_restorer(handled[NO_PRELOAD]),
			 "%s: disposition, flags or mask after the reset differ from libc's even without "
			 "SA_RESTORER:\n  shim: %s\n  libc: %s", api, handled[SHIM], handled[NO_PRELOAD]);
}

Test(wishes, sa_resethand_falls_back_to_emulation, .timeout = 30)
{
	resethand("sigaction");
}

Test(wishes, sysv_signal_resethand_falls_back_to_emulation, .timeout = 30)
{
	resethand("sysv_signal");
}

/* sigaction/signal/sigset/bsd_signal/sysv_signal report the program's own disposition (SIG_DFL while
 * the shim emulates it, the program's handler while installed), exactly as libc does; the emulation
 * is still armed afterwards. */
Test(wishes, apis_report_own_disposition, .timeout = 30)
{
	const char *argv[] = { scenario("sig_wishes"), "report", NULL };
	static const char *const apis[] = { "sigaction", "signal", "sigset", "bsd_signal", "sysv_signal" };
	char *api_lines[2];
	char *q_lines[2];

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		if (c == SHIM) {
			proc_signal(&p, SIGTERM);
			proc_finish(&p, &r);
			cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 143,
				  "after the API round trips SIGTERM must still be emulated: raw status %#x:\n%s",
				  r.status, r.out);
		} else {
			cr_expect(survives(&p, SIGTERM, 1), "control: SIGTERM ended PID 1");
			finish_by_sigkill(&p, &r);
		}
		api_lines[c] = lines_with(r.out, "API ");
		q_lines[c] = lines_with(r.out, "Q ");
		run_result_free(&r);
	}
	for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++) {
		char want[96];
		snprintf(want, sizeof want, "API %s first=SIG_DFL back=handler", apis[i]);
		cr_expect(has_line(api_lines[SHIM], want), "with the shim, expected \"%s\" in:\n%s", want,
			  api_lines[SHIM]);
	}
	cr_expect_str_eq(api_lines[SHIM], api_lines[NO_PRELOAD]);
	/* Disposition, flags and mask of every queried signal, as sigaction reports them; then the
	 * same without the SA_RESTORER bit, so that a failure says which part differs. */
	cr_expect_str_eq(q_lines[SHIM], q_lines[NO_PRELOAD],
			 "sigaction reports (SA_RESTORER bit included) differ from libc's:\nshim:\n%slibc:\n%s",
			 q_lines[SHIM], q_lines[NO_PRELOAD]);
	cr_expect_str_eq(without_restorer(q_lines[SHIM]), without_restorer(q_lines[NO_PRELOAD]),
			 "sigaction reports differ from libc's even without the SA_RESTORER bit:\nshim:\n%slibc:\n%s",
			 q_lines[SHIM], q_lines[NO_PRELOAD]);
	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		free(api_lines[c]);
		free(q_lines[c]);
	}
}

/* /proc/1/status SigIgn is what the program asked for (the shim emulates with a handler, never with
 * SIG_IGN), and an ignored signal is not emulated while another one still is. */
Test(wishes, sigign_is_the_programs, .timeout = 30)
{
	const char *argv[] = { scenario("sig_wishes"), "sigign", NULL };
	unsigned long long ign[2];

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		ign[c] = status_mask(p.init_pid, "SigIgn");
		cr_expect(survives(&p, SIGHUP, 1), "%s: an ignored SIGHUP ended PID 1", cfg_name(c));
		if (c == SHIM) {
			proc_signal(&p, SIGTERM);
			proc_finish(&p, &r);
			cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 143, "SIGTERM: raw status %#x",
				  r.status);
		} else {
			cr_expect(survives(&p, SIGTERM, 2), "control: SIGTERM ended PID 1");
			finish_by_sigkill(&p, &r);
		}
		run_result_free(&r);
	}
	unsigned long long asked = BIT(SIGHUP) | BIT(SIGUSR2) | BIT(SIGPIPE);
	cr_expect_eq(ign[SHIM] & asked, asked, "SigIgn %llx lacks some of %llx", ign[SHIM], asked);
	cr_expect_eq(ign[SHIM], ign[NO_PRELOAD], "SigIgn with the shim %llx, without %llx", ign[SHIM],
		     ign[NO_PRELOAD]);
}

/* A signal inherited as ignored across exec stays ignored (SigIgn too), for the shim as for libc. */
Test(wishes, inherited_ignore_survives_exec, .timeout = 30)
{
	char list[16];
	snprintf(list, sizeof list, "%d,%d", SIGTERM, SIGINT);
	const char *argv[] = { scenario("sig_execign"), list, scenario("sig_idle"), "--exit-on-probe", NULL };

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		char line[128];
		start_until(&p, argv, &o, "READY");
		unsigned long long ign = status_mask(p.init_pid, "SigIgn");
		cr_expect_eq(ign & (BIT(SIGTERM) | BIT(SIGINT)), BIT(SIGTERM) | BIT(SIGINT),
			     "%s: SigIgn %llx lost the inherited SIGTERM/SIGINT", cfg_name(c), ign);
		proc_signal(&p, SIGTERM);
		cr_expect(survives(&p, SIGINT, 1), "%s: an inherited-ignored signal ended PID 1", cfg_name(c));
		proc_finish(&p, &r);
		cr_expect(has_line(r.out, "ALIVE") && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
			  "%s: expected ALIVE and exit 0, got raw status %#x:\n%s", cfg_name(c), r.status, r.out);
		line_of(r.out, "READY", line, sizeof line);
		cr_expect(strstr(line, "term=SIG_IGN") != NULL, "%s: the program sees %s", cfg_name(c), line);
		run_result_free(&r);
	}
}

/* ---- 5. Only PID 1: elsewhere the preloaded shim is inert and signals kill as with plain libc. ---- */

static int inert_sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM, RTMIN_PLUS(3) };

ParameterizedTestParameters(not_pid1, killed_as_plain_libc)
{
	return cr_make_param_array(int, inert_sigs, sizeof inert_sigs / sizeof inert_sigs[0]);
}

ParameterizedTest(int *code, not_pid1, killed_as_plain_libc, .timeout = 30)
{
	int sig = decode_sig(*code);
	const char *argv[] = { scenario("sig_idle"), NULL };
	int status[2];

	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		o.pid1 = false;
		start_until(&p, argv, &o, "READY");
		proc_signal(&p, sig);
		proc_finish(&p, &r);
		status[c] = r.status;
		cr_expect(!r.timed_out && WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig,
			  "%s, signal %d: expected a death by the signal, got raw status %#x", cfg_name(c), sig,
			  r.status);
		run_result_free(&r);
	}
	/* The whole status, core-dump bit included, is libc's. */
	cr_expect_eq(status[SHIM], status[NO_PRELOAD], "signal %d: raw status %#x with the shim, %#x without",
		     sig, status[SHIM], status[NO_PRELOAD]);
}

/* ---- 6. Split mode (REAP_MODE=split, issue 8): the init passes the signals sent to PID 1 on to the
 * program, which runs as PID 2 and so obeys them as any process does; the init then exits with the
 * program's status (128+N for a death by signal N). ---- */

ParameterizedTestParameters(split_signals, exits_128_plus_n)
{
	return cr_make_param_array(int, term_sigs, sizeof term_sigs / sizeof term_sigs[0]);
}

ParameterizedTest(int *code, split_signals, exits_128_plus_n, .timeout = 20)
{
	int sig = decode_sig(*code);
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(SPLIT_MODE, NULL, 4);
	struct proc p;
	struct run_result r;

	start_until(&p, argv, &o, "READY");
	assert_split_init(&p);
	proc_signal(&p, sig);
	proc_finish(&p, &r);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 128 + sig,
		  "signal %d: expected exit status %d, got raw status %#x (exit_code %d); output:\n%s", sig,
		  128 + sig, r.status, r.exit_code, r.out);
	run_result_free(&r);
}

/* The program's handlers get what PID 1 was sent, terminating or not, and its own exit code is the
 * init's. */
Test(split_signals, handlers_run_and_exit_code_is_the_programs, .timeout = 60)
{
	const int sigs[] = { SIGTERM, SIGHUP, SIGUSR1, SIGWINCH, SIGCONT, SIGURG };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		char sig[8], want[32];
		snprintf(sig, sizeof sig, "%d", sigs[i]);
		const char *argv[] = { scenario("sig_wishes"), "handler", sig, NULL };
		struct run_opts o = cfg_opts(SPLIT_MODE, NULL, RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		assert_split_init(&p);
	assert_split_init(&p);
		proc_signal(&p, sigs[i]);
		proc_finish(&p, &r);
		snprintf(want, sizeof want, "HANDLED %d", sigs[i]);
		cr_expect(has_line(r.out, want) && has_line(r.out, "CONTINUED"),
			  "signal %d: the handler did not run or the program did not continue:\n%s", sigs[i], r.out);
		cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7,
			  "signal %d: expected the program's own exit 7, got raw status %#x", sigs[i], r.status);
		run_result_free(&r);
	}
}

/* Faults and stops sent to PID 1 from outside are not passed on (tini does the same for the faults
 * and SIGTTIN/SIGTTOU; an in-process PID 1 has them dropped by the kernel): the program lives on. */
Test(split_signals, faults_and_stops_not_passed_on, .timeout = 30)
{
	const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU };
	const char *argv[] = { scenario("sig_idle"), NULL };
	struct run_opts o = cfg_opts(SPLIT_MODE, NULL, RUN_S);
	struct proc p;
	struct run_result r;

	start_until(&p, argv, &o, "READY");
	assert_split_init(&p);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		cr_expect(survives(&p, sigs[i], (int)i + 1), "signal %d sent to PID 1 ended the program", sigs[i]);
	}
	finish_by_sigkill(&p, &r);
	run_result_free(&r);
}

/* REAP_EXIT_ZERO maps the program's status. */
Test(split_signals, exit_zero_maps_the_programs_status, .timeout = 30)
{
	const char *argv[] = { scenario("sig_idle"), NULL };
	const char *const envs[][2] = { { "REAP_EXIT_ZERO=143", NULL }, { "REAP_EXIT_ZERO=130", NULL } };
	for (size_t i = 0; i < 2; i++) {
		struct run_opts o = cfg_opts(SPLIT_MODE, envs[i], RUN_S);
		struct proc p;
		struct run_result r;
		start_until(&p, argv, &o, "READY");
		assert_split_init(&p);
	assert_split_init(&p);
		proc_signal(&p, SIGTERM);
		proc_finish(&p, &r);
		cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == (i == 0 ? 0 : 143), "%s: raw status %#x",
			  envs[i][0], r.status);
		run_result_free(&r);
	}
}
