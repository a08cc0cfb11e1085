/* Issue 3, termination signals at PID 1, seen by the rest of the namespace: the shell entrypoint,
 * forwarding to children and orphans, the grace period, children that PID 1 forks and kills, and
 * PID 1 ending by itself while a child finishes its SIGTERM work.
 *
 * Each behaviour has its negative control without the shim (or with REAP_SIGNALS=off), where the
 * kernel drops a signal that PID 1 left at SIG_DFL and kills the rest of the namespace the moment
 * PID 1 ends. "Survives" is proved with the probe (SIGRTMAX, answered by a "PROBE n" line), sent after
 * the signal so that the kernel has already delivered or dropped the signal when it answers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sigtest.h"

static bool exited_with(const struct run_result *r, int code)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

/* Whether the run's own process (unshare) is still running; does not reap it. */
static bool still_running(const struct proc *p)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
		return false;
	}
	return si.si_pid == 0;
}

/* The host pid of the one child of `parent` (bounded: it exists before the scenario's READY). */
static pid_t child_of(pid_t parent)
{
	double deadline = now_s() + 5;
	while (now_s() < deadline) {
		DIR *d = opendir("/proc");
		cr_assert_not_null(d);
		struct dirent *e;
		pid_t found = 0;
		while ((e = readdir(d)) != NULL && found == 0) {
			char path[300];
			char buf[512];
			pid_t pid = (pid_t)atoi(e->d_name);
			if (pid <= 0) {
				continue;
			}
			snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
			FILE *f = fopen(path, "r");
			if (f == NULL) {
				continue;
			}
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[n] = '\0';
			const char *rp = strrchr(buf, ')');
			int ppid = 0;
			char state;
			if (rp != NULL && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
				found = pid;
			}
		}
		closedir(d);
		if (found != 0) {
			return found;
		}
		poll(NULL, 0, 5);
	}
	cr_assert_fail("no child of %d found", (int)parent);
	return 0;
}

static int pidfd_of(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	cr_assert_geq(fd, 0, "pidfd_open(%d): %s", (int)pid, strerror(errno));
	return fd;
}

/* Whether the process behind pidfd has ended (a pidfd polls readable once it has exited). */
static bool has_ended(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	return poll(&pfd, 1, 0) == 1;
}

/* A scratch directory for FIFOs and marks. */
struct scratch {
	char dir[64];
	char fifo[96];
	char mark[96];
};

static void scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof s->dir, "/tmp/reap-sig-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->fifo, sizeof s->fifo, "%s/fifo", s->dir);
	snprintf(s->mark, sizeof s->mark, "%s/mark", s->dir);
	cr_assert_eq(mkfifo(s->fifo, 0600), 0);
}

static void scratch_remove(struct scratch *s)
{
	DIR *d = opendir(s->dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				unlinkat(dirfd(d), e->d_name, 0);
			}
		}
		closedir(d);
	}
	rmdir(s->dir);
}

/* The mark's content ("" when there is none). */
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

/* Let the child's work finish: one byte through the FIFO it holds open. */
static void release(const struct scratch *s)
{
	int fd = open(s->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		cr_expect_eq(write(fd, "g", 1), 1);
		close(fd);
	}
}

/* ---- 1. The classic shell entrypoint: sh -c 'server' without exec, dash as PID 1. ---- */

/* sh -c '"$@"; echo "server exited $?"' sh SERVER... MARK: the server is the shell's child. */
static void shell_entrypoint(const char *label, const char *const server[], const char *shim_mark)
{
	for (enum cfg c = SHIM; c <= SIGNALS_OFF; c++) {
		struct scratch s;
		struct proc p;
		struct run_result r;
		char mark[128];
		const char *argv[8] = { "/bin/sh", "-c", "\"$@\"; echo \"server exited $?\"", "sh" };
		size_t n = 4;
		scratch_make(&s);
		for (size_t i = 0; server[i] != NULL && n < 6; i++) {
			argv[n++] = server[i];
		}
		argv[n++] = s.mark;
		argv[n] = NULL;
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		start_until(&p, argv, &o, "SERVER READY");
		proc_signal(&p, SIGTERM);
		if (c == SHIM) {
			proc_finish(&p, &r);
			cr_expect(exited_with(&r, 143), "%s: expected the run to end with 143, got raw status %#x:\n%s",
				  label, r.status, r.out);
			cr_expect_str_eq(read_mark(&s, mark, sizeof mark), shim_mark,
					 "%s: the server's SIGTERM handler left no (or the wrong) mark", label);
			cr_expect(strstr(r.out, "server exited") == NULL,
				  "%s: the shell went on after the emulated SIGTERM:\n%s", label, r.out);
		} else {
			/* The shell ignored SIGTERM and forwarded nothing: the server is still idling. Stop
			 * it ourselves from outside; the shell, alive, reports its exit and ends with 0. */
			pid_t server_pid = child_of(p.init_pid);
			cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "", "%s, %s: the server got a SIGTERM",
					 label, cfg_name(c));
			cr_expect_eq(kill(server_pid, SIGTERM), 0);
			proc_finish(&p, &r);
			cr_expect(has_line(r.out, "server exited 0") && exited_with(&r, 0),
				  "%s, %s: expected the shell to survive SIGTERM and exit 0, got raw status %#x:\n%s",
				  label, cfg_name(c), r.status, r.out);
			cr_expect_neq(read_mark(&s, mark, sizeof mark)[0], '\0', "%s, %s: no mark", label,
				      cfg_name(c));
		}
		run_result_free(&r);
		scratch_remove(&s);
	}
}

/* The server is a C program whose handler records the sender: 1 means PID 1 forwarded it (from
 * outside the namespace it would read 0). */
Test(shell_entrypoint, c_server_handler_runs_and_143, .timeout = 60)
{
	const char *server[] = { scenario("sig_server"), NULL };
	shell_entrypoint("C server", server, "TERM from 1\n");
}

#define PY_SERVER \
	"import signal, sys, time\n" \
	"mark = sys.argv[1]\n" \
	"def on_term(signum, frame):\n" \
	"    with open(mark, 'w') as f:\n" \
	"        f.write('TERM handled by python\\n')\n" \
	"    sys.exit(0)\n" \
	"signal.signal(signal.SIGTERM, on_term)\n" \
	"print('SERVER READY', flush=True)\n" \
	"time.sleep(30)\n" \
	"sys.exit(99)\n"

/* The issue's own example: sh -c 'python3 server.py'. */
Test(shell_entrypoint, python_server_handler_runs_and_143, .timeout = 60)
{
	static const char python[] = "/usr/bin/python3";
	if (access(python, X_OK) != 0) {
		cr_skip_test("%s is not installed (tests/install-deps.sh should install python3)", python);
	}
	struct scratch s;
	scratch_make(&s);
	char script[128];
	snprintf(script, sizeof script, "%s/server.py", s.dir);
	FILE *f = fopen(script, "w");
	cr_assert_not_null(f);
	fputs(PY_SERVER, f);
	fclose(f);
	const char *server[] = { python, script, NULL };
	shell_entrypoint("python server", server, "TERM handled by python\n");
	scratch_remove(&s);
}

/* ---- 2. Children and orphans receive the forwarded signal. ---- */

static int fwd_sigs[] = { SIGTERM, SIGINT, SIGUSR2 };

ParameterizedTestParameters(forwarding, children_and_orphans_get_the_signal)
{
	return cr_make_param_array(int, fwd_sigs, sizeof fwd_sigs / sizeof fwd_sigs[0]);
}

ParameterizedTest(int *sigp, forwarding, children_and_orphans_get_the_signal, .timeout = 40)
{
	int sig = *sigp;
	const char *argv[] = { scenario("sig_family"), "forward", NULL };
	char child_line[64];
	char orphan_line[64];
	snprintf(child_line, sizeof child_line, "CHILD got %d from 1", sig);
	snprintf(orphan_line, sizeof orphan_line, "ORPHAN got %d from 1", sig);

	struct proc p;
	struct run_result r;
	struct run_opts o = cfg_opts(SHIM, NULL, RUN_S);
	start_until(&p, argv, &o, "READY");
	proc_signal(&p, sig);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 128 + sig), "signal %d: expected %d, got raw status %#x:\n%s", sig, 128 + sig,
		  r.status, r.out);
	cr_expect(has_line(r.out, child_line), "signal %d: the child did not get it from PID 1:\n%s", sig, r.out);
	cr_expect(has_line(r.out, orphan_line), "signal %d: the orphan did not get it from PID 1:\n%s", sig,
		  r.out);
	run_result_free(&r);

	for (enum cfg c = NO_PRELOAD; c <= SIGNALS_OFF; c++) {
		o = cfg_opts(c, NULL, RUN_S);
		start_until(&p, argv, &o, "READY");
		cr_expect(survives(&p, sig, 1), "%s: signal %d ended PID 1", cfg_name(c), sig);
		finish_by_sigkill(&p, &r);
		cr_expect(strstr(r.out, " got ") == NULL, "%s: a signal was forwarded:\n%s", cfg_name(c), r.out);
		run_result_free(&r);
	}
}

/* ---- 3. The grace period. ---- */

/* A child that ignores SIGTERM does not hold PID 1 beyond the grace period, and is killed when PID 1
 * ends (REAP_GRACE=1 keeps the test short). */
Test(grace, child_ignoring_sigterm_killed_when_pid1_ends, .timeout = 40)
{
	const char *argv[] = { scenario("sig_family"), "ignorer", NULL };
	const char *env[] = { "REAP_GRACE=1", NULL };
	struct proc p;
	struct run_result r;

	struct run_opts o = cfg_opts(SHIM, env, RUN_S);
	start_until(&p, argv, &o, "READY");
	int child = pidfd_of(child_of(p.init_pid));
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 143), "expected 143 after the grace period, got raw status %#x%s:\n%s", r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	cr_expect(has_ended(child), "the child that ignores SIGTERM outlived PID 1");
	close(child);
	run_result_free(&r);

	/* Control: without the shim nothing happens to either of them. */
	o = cfg_opts(NO_PRELOAD, env, RUN_S);
	start_until(&p, argv, &o, "READY");
	child = pidfd_of(child_of(p.init_pid));
	cr_expect(survives(&p, SIGTERM, 1), "control: SIGTERM ended PID 1");
	cr_expect(!has_ended(child), "control: the child ended");
	finish_by_sigkill(&p, &r);
	close(child);
	run_result_free(&r);
}

/* Make a scratch directory and start `sig_family slow` on its FIFO and mark under o, until READY. */
static void start_slow_family(struct proc *p, struct scratch *s, const struct run_opts *o)
{
	scratch_make(s);
	const char *argv[] = { scenario("sig_family"), "slow", s->fifo, s->mark, NULL };
	start_until(p, argv, o, "READY");
}

/* A child whose SIGTERM work needs a moment (until the test releases it) completes it: PID 1 waits
 * for it, and ends as soon as it is done (the grace period, 3600 s, is far beyond the run's timeout). */
static void slow_child_completes(const char *grace_env)
{
	const char *env[] = { grace_env, NULL };
	const char *label = grace_env ? grace_env : "default grace";
	struct scratch s;
	struct proc p;
	struct run_result r;
	char mark[64];

	struct run_opts o = cfg_opts(SHIM, grace_env != NULL ? env : NULL, RUN_S);
	start_slow_family(&p, &s, &o);
	proc_signal(&p, SIGTERM);
	cr_expect_not_null(proc_wait_line(&p, "CHILD WORKING", 5), "%s: the child never got SIGTERM", label);
	cr_expect(still_running(&p), "%s: PID 1 ended while its child was still working", label);
	release(&s);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 143), "%s: expected 143, got raw status %#x%s:\n%s", label, r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	cr_expect(has_line(r.out, "CHILD DONE"), "the child's work was cut off:\n%s", r.out);
	cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "done\n");
	run_result_free(&r);
	scratch_remove(&s);
}

Test(grace, slow_child_completes_its_work, .timeout = 40)
{
	slow_child_completes("REAP_GRACE=3600");
	slow_child_completes(NULL);

	/* Control: without the shim the child never gets SIGTERM; nothing is done. */
	struct scratch s;
	struct proc p;
	struct run_result r;
	char mark[64];
	struct run_opts o = cfg_opts(NO_PRELOAD, NULL, RUN_S);
	start_slow_family(&p, &s, &o);
	cr_expect(survives(&p, SIGTERM, 1), "control: SIGTERM ended PID 1");
	finish_by_sigkill(&p, &r);
	cr_expect(strstr(r.out, "CHILD WORKING") == NULL, "control: the child got a SIGTERM:\n%s", r.out);
	cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "");
	run_result_free(&r);
	scratch_remove(&s);
}

/* REAP_GRACE=0: PID 1 does not wait. The same child as above is never released, so a PID 1 that
 * waited would sit out its grace period (the default 5 s or any other) past this run's 3 s timeout;
 * the run above with REAP_GRACE=3600 is the control showing that PID 1 does wait otherwise. */
Test(grace, zero_does_not_wait, .timeout = 30)
{
	const char *env[] = { "REAP_GRACE=0", NULL };
	struct scratch s;
	struct proc p;
	struct run_result r;
	char mark[64];

	struct run_opts o = cfg_opts(SHIM, env, 3);
	start_slow_family(&p, &s, &o);
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 143), "expected 143 at once, got raw status %#x%s:\n%s", r.status,
		  r.timed_out ? " (timed out: PID 1 waited)" : "", r.out);
	cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "", "the unreleased child cannot have finished");
	run_result_free(&r);
	scratch_remove(&s);
}

/* ---- 4. A child that PID 1 forks (no exec) dies by the signal PID 1 sends it. ---- */

/* Runs sig_forkkill MODE [arg] with and without the shim; returns the "prefix" lines of each. */
static void forkkill(const char *mode, const char *arg, const char *prefix, char *lines[2])
{
	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		const char *argv[] = { scenario("sig_forkkill"), mode, arg, NULL };
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		struct run_result r;
		run(argv, &o, &r);
		cr_expect(exited_with(&r, 0) && has_line(r.out, "DONE"), "%s, %s: raw status %#x:\n%s",
			  cfg_name(c), mode, r.status, r.out);
		lines[c] = lines_with(r.out, prefix);
		run_result_free(&r);
	}
}

Test(forked_child, dies_by_the_signal, .timeout = 40)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN + 3 };
	char *lines[2];

	forkkill("signals", NULL, "CHILD ", lines);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "CHILD sig=%d status=%x signaled=1 termsig=%d core=0", sigs[i],
			 (unsigned)sigs[i], sigs[i]);
		cr_expect(has_line(lines[SHIM], want), "with the shim, expected \"%s\" in:\n%s", want, lines[SHIM]);
	}
	cr_expect_str_eq(lines[SHIM], lines[NO_PRELOAD]);
	free(lines[SHIM]);
	free(lines[NO_PRELOAD]);
}

/* SIGQUIT: a death by SIGQUIT, and the core-dump bit as without the shim (whatever the system's core
 * settings make of it; the child raises its soft core limit and works in a scratch directory). */
Test(forked_child, sigquit_core_dump_as_libc, .timeout = 40)
{
	struct scratch s;
	char *lines[2];

	scratch_make(&s);
	forkkill("quit", s.dir, "CHILD ", lines);
	cr_expect(strstr(lines[NO_PRELOAD], "signaled=1 termsig=3") != NULL, "control: %s", lines[NO_PRELOAD]);
	cr_expect_str_eq(lines[SHIM], lines[NO_PRELOAD], "SIGQUIT status (core bit included) differs");
	free(lines[SHIM]);
	free(lines[NO_PRELOAD]);
	scratch_remove(&s);
}

/* The instant between fork and anything the shim does after it: a kill right after fork, a raise in
 * a pthread_atfork child handler (inside fork), a raise first thing in the child. */
Test(forked_child, dies_by_the_signal_at_once, .timeout = 40)
{
	char *lines[2];

	forkkill("instant", NULL, "INSTANT ", lines);
	const char *kinds[] = { "kill", "atfork", "raise" };
	for (size_t i = 0; i < 3; i++) {
		char want[64];
		snprintf(want, sizeof want, "INSTANT %s ok=20 bad=0 last=0", kinds[i]);
		cr_expect(has_line(lines[SHIM], want), "with the shim, expected \"%s\" in:\n%s", want, lines[SHIM]);
		cr_expect(has_line(lines[NO_PRELOAD], want), "control: expected \"%s\" in:\n%s", want,
			  lines[NO_PRELOAD]);
	}
	free(lines[SHIM]);
	free(lines[NO_PRELOAD]);
}

/* ---- 5. PID 1 ending by itself lets a child finish its SIGTERM work. ---- */

static void exit_while_child_works(const char *how)
{
	for (enum cfg c = SHIM; c <= NO_PRELOAD; c++) {
		struct scratch s;
		struct proc p;
		struct run_result r;
		char mark[64];
		scratch_make(&s);
		const char *argv[] = { scenario("sig_exitwork"), how, s.fifo, s.mark, NULL };
		struct run_opts o = cfg_opts(c, NULL, RUN_S);
		proc_start(&p, argv, &o);
		cr_expect_not_null(proc_wait_line(&p, "CHILD WORKING", 5), "%s, %s: the child never started",
				   cfg_name(c), how);
		cr_expect_not_null(proc_wait_line(&p, "EXITING", 5), "%s, %s: PID 1 did not get to its end",
				   cfg_name(c), how);
		/* With the shim the child gets SIGTERM again as PID 1 ends, and may finish its work; without
		 * it the kernel kills the child with PID 1 and the line never comes (end of output). */
		bool second = proc_wait_line(&p, "CHILD TERM 2", 5) != NULL;
		if (second) {
			release(&s);
		}
		proc_finish(&p, &r);
		cr_expect(exited_with(&r, 0), "%s, %s: expected PID 1's own exit 0, got raw status %#x%s:\n%s",
			  cfg_name(c), how, r.status, r.timed_out ? " (timed out)" : "", r.out);
		read_mark(&s, mark, sizeof mark);
		if (c == SHIM) {
			cr_expect(second, "%s: the working child got no SIGTERM when PID 1 ended:\n%s", how, r.out);
			cr_expect_str_eq(mark, "done\n", "%s: the child's work was cut off:\n%s", how, r.out);
		} else {
			cr_expect(!second, "control, %s: the child got a second SIGTERM", how);
			cr_expect_str_eq(mark, "", "control, %s: the child finished its work", how);
		}
		run_result_free(&r);
		scratch_remove(&s);
	}
}

Test(pid1_ends, exit_lets_child_finish, .timeout = 60)
{
	exit_while_child_works("exit");
}

Test(pid1_ends, _exit_lets_child_finish, .timeout = 60)
{
	exit_while_child_works("_exit");
}

Test(pid1_ends, return_from_main_lets_child_finish, .timeout = 60)
{
	exit_while_child_works("return");
}

/* Every other way PID 1 ends by itself, libc's own exits included. */
Test(pid1_ends, other_exits_let_child_finish, .timeout = 200)
{
	const char *hows[] = { "quick_exit", "_Exit", "exit_group", "thread_exit", "errx", "pthread_exit" };
	for (size_t i = 0; i < sizeof hows / sizeof hows[0]; i++) {
		exit_while_child_works(hows[i]);
	}
}

/* ---- 6. Split mode (REAP_MODE=split, issue 8): the program is PID 2, the shim's init PID 1. When
 * the program has ended (by a signal the init passed on, or by itself), the init gives the rest of
 * the namespace SIGTERM and the grace period, then exits with the program's status. ---- */

Test(split_grace, child_ignoring_sigterm_killed_when_program_ends, .timeout = 40)
{
	const char *argv[] = { scenario("sig_family"), "ignorer", NULL };
	const char *env[] = { "REAP_GRACE=1", NULL };
	struct proc p;
	struct run_result r;

	struct run_opts o = cfg_opts(SPLIT_MODE, env, RUN_S);
	start_until(&p, argv, &o, "READY");
	assert_split_init(&p);
	int child = pidfd_of(child_of(child_of(p.init_pid)));
	proc_signal(&p, SIGTERM);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 143), "expected 143 after the grace period, got raw status %#x%s:\n%s", r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	cr_expect(has_ended(child), "the child that ignores SIGTERM outlived the init");
	close(child);
	run_result_free(&r);
}

Test(split_grace, slow_child_completes_its_work, .timeout = 40)
{
	const char *env[] = { "REAP_GRACE=3600", NULL };
	struct scratch s;
	struct proc p;
	struct run_result r;
	char mark[64];

	struct run_opts o = cfg_opts(SPLIT_MODE, env, RUN_S);
	start_slow_family(&p, &s, &o);
	assert_split_init(&p);
	proc_signal(&p, SIGTERM);
	cr_expect_not_null(proc_wait_line(&p, "CHILD WORKING", 5), "the child never got SIGTERM");
	cr_expect(still_running(&p), "the init ended while the child was still working");
	release(&s);
	proc_finish(&p, &r);
	cr_expect(exited_with(&r, 143), "expected 143, got raw status %#x%s:\n%s", r.status,
		  r.timed_out ? " (timed out)" : "", r.out);
	cr_expect(has_line(r.out, "CHILD DONE"), "the child's work was cut off:\n%s", r.out);
	cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "done\n");
	run_result_free(&r);
	scratch_remove(&s);
}

/* The program ends by itself (exit, _exit, return from main): the child it left working gets SIGTERM
 * from the init and finishes its work; the init exits with the program's 0. */
Test(split_grace, program_end_lets_child_finish, .timeout = 60)
{
	const char *hows[] = { "exit", "_exit", "return" };
	for (size_t i = 0; i < 3; i++) {
		struct scratch s;
		struct proc p;
		struct run_result r;
		char mark[64];
		scratch_make(&s);
		const char *argv[] = { scenario("sig_exitwork"), hows[i], s.fifo, s.mark, NULL };
		struct run_opts o = cfg_opts(SPLIT_MODE, NULL, RUN_S);
		proc_start(&p, argv, &o);
		cr_expect_not_null(proc_wait_line(&p, "CHILD WORKING", 5), "%s: the child never started", hows[i]);
		assert_split_init(&p);
		cr_expect_not_null(proc_wait_line(&p, "EXITING", 5), "%s: the program did not get to its end", hows[i]);
		cr_expect_not_null(proc_wait_line(&p, "CHILD TERM 2", 5), "%s: no SIGTERM at the program's end:\n%s",
				   hows[i], p.out);
		release(&s);
		proc_finish(&p, &r);
		cr_expect(exited_with(&r, 0), "%s: expected the program's exit 0, got raw status %#x:\n%s", hows[i],
			  r.status, r.out);
		cr_expect_str_eq(read_mark(&s, mark, sizeof mark), "done\n", "%s: the child's work was cut off", hows[i]);
		run_result_free(&r);
		scratch_remove(&s);
	}
}
