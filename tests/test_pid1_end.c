/* Issue 9, how PID 1 ends: its last output reaches a log shipper in the namespace (item 2), a
 * threaded PID 1 ends while it is whole (3), a supervisor's exit handler still gets its workers'
 * statuses, quick_exit honours REAP_EXIT_ZERO (7), a terminal's ^C reaches the foreground app once
 * (14), a signal PID 1 brought on itself is not relayed and does not sit out the grace period (15),
 * and a process that joined the namespace from outside gets its grace period (16).
 *
 * Each test failed with the library before the fix (the quick_exit mapping, the shipper's lines,
 * the SIGSEGV, the second SIGINT, the hour-long grace, the cut-off visitor); the supervisor's test
 * guards the fix itself (a drain at exit that reaped the program's own children would break it). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sigtest.h"

static bool exited_with(const struct run_result *r, int code)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

static void run_shim(const char *const argv[], const char *const *env, double timeout, struct run_result *r)
{
	struct run_opts o = cfg_opts(SHIM, env, timeout);
	run(argv, &o, r);
}

/* ---- 2. PID 1's last output reaches a log shipper in the namespace ---- */

static void output_reaches_shipper(const char *how)
{
	const char *argv[] = { scenario("end_exit"), "output", how, NULL };
	struct run_result r;

	run_shim(argv, NULL, RUN_S, &r);
	char *shipped = lines_with(r.out, "SHIPPED ");
	cr_expect_str_eq(shipped, "SHIPPED LINE 1\nSHIPPED LINE 2\nSHIPPED LINE 3\nSHIPPED LINE 4\n",
			 "%s: the shipper did not get PID 1's last lines:\n%s", how, r.out);
	cr_expect(has_line(r.out, "SHIPPER TERM"), "%s: the shipper got no SIGTERM after them:\n%s", how, r.out);
	cr_expect(exited_with(&r, 0), "%s: expected PID 1's own 0, got raw status %#x%s:\n%s", how, r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	free(shipped);
	run_result_free(&r);
}

Test(end_output, exit_lines_reach_shipper, .timeout = 30)
{
	output_reaches_shipper("exit");
}

Test(end_output, return_lines_reach_shipper, .timeout = 30)
{
	output_reaches_shipper("return");
}

/* libc's own exits, which no wrapper sees (pthread_exit of the last thread), and err's. */
Test(end_output, pthread_exit_lines_reach_shipper, .timeout = 30)
{
	output_reaches_shipper("pthread_exit");
}

Test(end_output, errx_lines_reach_shipper, .timeout = 30)
{
	output_reaches_shipper("errx");
}

Test(end_output, _exit_lines_reach_shipper, .timeout = 30)
{
	output_reaches_shipper("_exit");
}

/* ---- 3. A threaded PID 1 ends while it is whole ---- */

static void threads_stay_whole(const char *how)
{
	const char *argv[] = { scenario("end_exit"), "threads", how, NULL };
	struct run_result r;

	run_shim(argv, NULL, RUN_S, &r);
	cr_expect(exited_with(&r, 0), "%s: expected 0, got raw status %#x (exit code %d)%s:\n%s", how, r.status,
		  r.exit_code, r.timed_out ? " (timed out)" : "", r.out);
	cr_expect(has_line(r.out, "WORKER SAW 42"), "%s: the worker saw no whole state:\n%s", how, r.out);
	run_result_free(&r);

	/* Control: without the shim nobody tells the child, so the worker never wakes; the same 0. */
	struct run_opts o = cfg_opts(NO_PRELOAD, NULL, RUN_S);
	run(argv, &o, &r);
	cr_expect(exited_with(&r, 0), "control, %s: got raw status %#x:\n%s", how, r.status, r.out);
	run_result_free(&r);
}

Test(end_threads, return_from_main, .timeout = 30)
{
	threads_stay_whole("return");
}

Test(end_threads, exit, .timeout = 30)
{
	threads_stay_whole("exit");
}

/* ---- The program's own children stay its own while the namespace drains at exit ---- */

Test(end_atexit, handler_waits_for_worker, .timeout = 30)
{
	const char *argv[] = { scenario("end_exit"), "atexit_waits", NULL };
	struct run_result r;

	run_shim(argv, NULL, RUN_S, &r);
	cr_expect(has_line(r.out, "ATEXIT worker exited 7"), "the exit handler lost its worker's status:\n%s", r.out);
	cr_expect(exited_with(&r, 0), "expected 0, got raw status %#x%s:\n%s", r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	run_result_free(&r);
}

/* ---- 7. quick_exit and REAP_EXIT_ZERO ---- */

/* (exit and a return from main: glibc hands the status to on_exit handlers, so the shim maps it in
 * the last one; the musl tier checks the same where there is no on_exit) */
Test(end_exit_zero, exit, .timeout = 30) { expect_exit_zero_applies("exit"); }
Test(end_exit_zero, return_from_main, .timeout = 30) { expect_exit_zero_applies("return"); }

Test(end_quick_exit, exit_zero_applies, .timeout = 30)
{
	const char *env[] = { "REAP_EXIT_ZERO=143", NULL };
	const char *mapped[] = { scenario("end_exit"), "quick_exit", "143", NULL };
	const char *kept[] = { scenario("end_exit"), "quick_exit", "130", NULL };
	struct run_result r;

	run_shim(mapped, env, RUN_S, &r);
	cr_expect(exited_with(&r, 0), "quick_exit(143) under REAP_EXIT_ZERO=143: got raw status %#x:\n%s", r.status,
		  r.out);
	cr_expect(has_line(r.out, "AT_QUICK_EXIT"), "the at_quick_exit handler did not run:\n%s", r.out);
	run_result_free(&r);

	run_shim(kept, env, RUN_S, &r);
	cr_expect(exited_with(&r, 130), "quick_exit(130) under REAP_EXIT_ZERO=143: got raw status %#x:\n%s",
		  r.status, r.out);
	run_result_free(&r);
}

/* ---- 15. A signal PID 1 brought on itself ---- */

/* The ways, and the signal each brings (real-time ones as 1000 + offset from SIGRTMIN). Criterion
 * passes parameters to re-exec'd workers, so the test gets an index, not a pointer. */
static const struct {
	const char *how;
	int sig;
} own_signals[] = {
	{ "pipe", SIGPIPE }, { "raise", SIGUSR1 }, { "kill", SIGUSR2 }, { "itimer", SIGALRM },
	{ "vtalrm", SIGVTALRM }, { "timer", 1000 }, { "xfsz", SIGXFSZ },
};
static int own_signal_index[] = { 0, 1, 2, 3, 4, 5, 6 };

ParameterizedTestParameters(end_self, not_relayed_and_no_grace_wasted)
{
	return cr_make_param_array(int, own_signal_index, sizeof own_signal_index / sizeof own_signal_index[0]);
}

/* The grace period is an hour, the run's timeout 8 s: the bystander, which carries on after any
 * signal but SIGTERM, must get SIGTERM (PID 1's end), and never the signal itself. */
ParameterizedTest(int *index, end_self, not_relayed_and_no_grace_wasted, .timeout = 30)
{
	const char *how = own_signals[*index].how;
	int code = own_signals[*index].sig;
	int sig = code >= 1000 ? SIGRTMIN + (code - 1000) : code;
	const char *argv[] = { scenario("end_self"), how, NULL };
	const char *env[] = { "REAP_GRACE=3600", NULL };
	struct run_result r;

	run_shim(argv, env, RUN_S, &r);
	char *got = lines_with(r.out, "BYSTANDER got ");
	cr_expect_str_eq(got, "BYSTANDER got 15 from 1\n", "%s: the bystander must get PID 1's SIGTERM only:\n%s", how,
			 r.out);
	cr_expect(exited_with(&r, 128 + sig), "%s: expected %d, got raw status %#x%s:\n%s", how, 128 + sig, r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	free(got);
	run_result_free(&r);
}

/* ---- 14. A terminal's ^C ---- */

/* A run whose stdin, stdout and stderr are a pty's slave, as `docker run -it` gives PID 1. */
struct pty_run {
	pid_t pid;
	int master;
	char out[16384];
	size_t len;
	double deadline;
};

static void pty_start(struct pty_run *p, const char *const argv[], bool preload)
{
	static char preload_env[4200];
	int slave;

	memset(p, 0, sizeof *p);
	p->deadline = now_s() + RUN_S;
	cr_assert_eq(openpty(&p->master, &slave, NULL, NULL, NULL), 0, "openpty: %s", strerror(errno));
	snprintf(preload_env, sizeof preload_env, "LD_PRELOAD=%s", shim_path());
	fflush(NULL);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		const char *full[16] = { "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--",
					 "/usr/bin/env", "-u", "LD_PRELOAD" };
		size_t k = 9;
		sigset_t none;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int sig = 1; sig < NSIG; sig++) {
			signal(sig, SIG_DFL);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid(); /* no controlling terminal: PID 1 takes the pty as its own */
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
			_exit(126);
		}
		close_range(3, ~0U, 0);
		if (preload) {
			full[k++] = preload_env;
		}
		for (size_t i = 0; argv[i] != NULL; i++) {
			full[k++] = argv[i];
		}
		full[k] = NULL;
		execvp(full[0], (char *const *)full);
		_exit(127);
	}
	close(slave);
}

/* Reads the pty until a line starting with prefix has come (true), the output ends or the run's
 * deadline. Carriage returns are dropped. */
static bool pty_wait_line(struct pty_run *p, const char *prefix)
{
	for (;;) {
		for (const char *s = p->out; s != NULL && *s != '\0'; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
			if (strncmp(s, prefix, strlen(prefix)) == 0 && strchr(s, '\n') != NULL) {
				return true;
			}
		}
		double left = p->deadline - now_s();
		struct pollfd pfd = { .fd = p->master, .events = POLLIN };
		char buf[1024];
		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0) {
			return false;
		}
		ssize_t n = read(p->master, buf, sizeof buf);
		if (n <= 0) {
			return false; /* EIO: every slave end is closed */
		}
		for (ssize_t i = 0; i < n && p->len < sizeof p->out - 1; i++) {
			if (buf[i] != '\r') {
				p->out[p->len++] = buf[i];
			}
		}
		p->out[p->len] = '\0';
	}
}

/* Reads the rest, waits for the run (killed at its deadline); returns its raw status, -1 if killed. */
static int pty_finish(struct pty_run *p)
{
	int status = -1;

	pty_wait_line(p, "\x01never");
	for (;;) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid) {
			break;
		}
		if (now_s() > p->deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			status = -1;
			break;
		}
		poll(NULL, 0, 10);
	}
	close(p->master);
	return status;
}

Test(end_terminal, ctrl_c_reaches_foreground_app_once, .timeout = 30)
{
	const char *argv[] = { scenario("end_tty"), NULL };
	struct pty_run p;

	pty_start(&p, argv, true);
	cr_assert(pty_wait_line(&p, "READY"), "end_tty never got ready:\n%s", p.out);
	cr_assert_eq(write(p.master, "\x03", 1), 1);
	bool app = pty_wait_line(&p, "APP SIGINT");
	int status = pty_finish(&p);
	cr_expect(app, "the app never reported:\n%s", p.out);
	cr_expect(strstr(p.out, "APP SIGINT count=1 codes=kernel\n") != NULL,
		  "the foreground app must get the terminal's SIGINT and no other:\n%s", p.out);
	cr_expect(strstr(p.out, "WITNESS SIGINT from 1\n") != NULL,
		  "the process outside the foreground group must get SIGINT from PID 1:\n%s", p.out);
	cr_expect(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT,
		  "expected PID 1 to end with 130, got raw status %#x:\n%s", status, p.out);
}

/* ---- 16. A process that joined the namespace from outside gets its grace period ---- */

struct scratch {
	char dir[64];
	char fifo[96];
	char mark[96];
};

static void scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof s->dir, "/tmp/reap-end-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->fifo, sizeof s->fifo, "%s/fifo", s->dir);
	snprintf(s->mark, sizeof s->mark, "%s/mark", s->dir);
	cr_assert_eq(mkfifo(s->fifo, 0600), 0);
}

static void scratch_remove(struct scratch *s)
{
	unlink(s->fifo);
	unlink(s->mark);
	rmdir(s->dir);
}

static const char *read_mark(const struct scratch *s, char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(s->mark, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, size - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static bool unshare_running(const struct proc *p)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

/* PID 1 (sig_idle) ends by SIGTERM from outside, or by itself (exit after the probe), while a
 * visitor that nsenter put into its namespace has SIGTERM work to finish. */
static void visitor_finishes(bool by_signal)
{
	const char *label = by_signal ? "SIGTERM" : "exit";
	const char *idle[] = { scenario("sig_idle"), by_signal ? NULL : "--exit-on-probe", NULL };
	struct scratch s;
	struct proc pid1, visitor;
	struct run_result r, rv;
	char target[16];
	char mark[64];

	scratch_make(&s);
	struct run_opts o = cfg_opts(SHIM, NULL, 20);
	start_until(&pid1, idle, &o, "READY");
	snprintf(target, sizeof target, "%d", (int)pid1.init_pid);
	const char *enter[] = { "nsenter", "--target", target, "--pid", "--", scenario("end_visitor"), s.fifo,
				s.mark, NULL };
	struct run_opts vo = { .pid1 = false, .preload = false, .timeout_s = 20 };
	proc_start(&visitor, enter, &vo);
	const char *ready = proc_wait_line(&visitor, "VISITOR READY ", 10);
	cr_assert_not_null(ready, "the visitor never started:\n%s", visitor.out);
	cr_expect(atoi(ready + strlen("VISITOR READY ")) > 1, "the visitor is not in the namespace: %s", ready);

	proc_signal(&pid1, by_signal ? SIGTERM : PROBE);
	cr_expect_not_null(proc_wait_line(&visitor, "VISITOR TERM from 1", 5), "%s: the visitor got no SIGTERM:\n%s",
			   label, visitor.out);
	cr_expect(unshare_running(&pid1), "%s: PID 1 ended while the visitor was still working", label);
	int fifo = open(s.fifo, O_WRONLY | O_NONBLOCK);
	cr_assert_geq(fifo, 0, "open fifo: %s", strerror(errno));
	cr_assert_eq(write(fifo, "go", 1), 1);
	close(fifo);
	proc_finish(&pid1, &r);
	proc_finish(&visitor, &rv);
	cr_expect(exited_with(&r, by_signal ? 143 : 0), "%s: got raw status %#x%s:\n%s", label, r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "done\n", "%s: the visitor's work was cut off:\n%s", label,
			 rv.out);
	run_result_free(&r);
	run_result_free(&rv);
	scratch_remove(&s);
}

Test(end_visitor, finishes_after_sigterm_to_pid1, .timeout = 60)
{
	visitor_finishes(true);
}

Test(end_visitor, finishes_after_pid1_exit, .timeout = 60)
{
	visitor_finishes(false);
}

/* ---- Outside PID 1 the exit wrappers are libc's ---- */

Test(end_inert, exits_as_libc, .timeout = 60)
{
	const char *variants[][3] = { { "output", "exit" }, { "output", "errx" }, { "output", "return" },
				      { "quick_exit", "3" } };
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		const char *argv[] = { scenario("end_exit"), variants[i][0], variants[i][1], NULL };
		struct run_opts with = { .pid1 = false, .preload = true, .timeout_s = RUN_S };
		struct run_opts without = { .pid1 = false, .preload = false, .timeout_s = RUN_S };
		struct run_result a, b;
		run(argv, &with, &a);
		run(argv, &without, &b);
		cr_expect(!a.timed_out && a.status == b.status, "%s %s: status %#x with the shim, %#x without",
			  variants[i][0], variants[i][1], a.status, b.status);
		/* The shipper, a child, is killed by the harness once the program has exited: only the
		 * program's own lines are compared. */
		const char *prefixes[] = { "EXITING", "end_exit: ", "AT_QUICK_EXIT" };
		for (size_t k = 0; k < 3; k++) {
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
