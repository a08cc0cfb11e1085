/* trace_cases: the program as a tracer (ptrace) while it runs as PID 1 under a storm of foreign
 * orphans. Every event the kernel reports to it as the tracer must reach its waits and its SIGCHLD
 * handler as libc reports them, whichever wait asks. Variants:
 *   foreign     PTRACE_SEIZE of a foreign orphan, whose stop waits in front while another orphan
 *               ends: PTRACE_INTERRUPT stops through waitpid(-1,
 *               __WALL), waitid(P_ALL), and waitid(P_PGID, WNOWAIT) then waitid(P_PIDFD); its exit
 *               through wait4(-1); the handler hears of that exit once (at the latest with the next
 *               SIGCHLD) and never of a pid neither own nor traced
 *   grandchild  syscall(SYS_ptrace, PTRACE_SEIZE) of a grandchild (its parent, our child, waits for
 *               it too): stops through wait3 and waitpid(0); the PTRACE_EVENT_EXIT stop through
 *               waitid(P_ALL, WNOWAIT) then waitpid(pid); the exit through wait(); the real parent
 *               gets the exit after us
 *   unseen      SIGCHLD blocked, the last own child, traced with PTRACE_O_TRACEFORK, forks and
 *               ends: with no own child left, waitpid(-1) reports the grandchild's first stop,
 *               then its death
 *   detach      (the shim only: bare PID 1 keeps the zombie) a foreign orphan seized, stopped and
 *               detached is a foreign orphan again: reaped when it exits, never reported
 * Run as PID 1 with the shim (storm on), and without it with SCN_STORM=0 (foreign, grandchild). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

/* What the program's SIGCHLD handler heard about the tracee being checked. */
static volatile pid_t watched, bystander; /* bystander: an orphan bare PID 1 hears of */
static volatile int exits_heard, foreign_heard;

static void on_sigchld(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	if (info->si_pid == watched && (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED)) {
		exits_heard++;
	} else if (info->si_pid != watched && info->si_pid != bystander && !own_is(info->si_pid)) {
		foreign_heard = info->si_pid;
	}
}

static void listen_to(pid_t pid)
{
	struct sigaction sa;

	watched = pid;
	exits_heard = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigchld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
}

static void stop_listening(void)
{
	int status = 0;
	pid_t kid = kid_exit(0), got;

	/* An exit the program waited for before its handler heard of it reaches the handler with the
	 * next SIGCHLD (its signal may have merged into an orphan's): this child's. */
	while ((got = waitpid(kid, &status, 0)) < 0 && errno == EINTR) {
	}
	own_collect("waitpid(kid)", got, status);
	signal(SIGCHLD, SIG_DFL);
	if (foreign_heard != 0) {
		scn_fail("handler: heard of pid %d, neither own nor traced", (int)foreign_heard);
		foreign_heard = 0;
	}
	scn_expect_int("exits of the tracee the handler heard of", 1, exits_heard);
}

static void must(const char *what, long rc)
{
	if (rc == -1) {
		scn_fail("%s: %s", what, strerror(errno));
	}
}

/* A ptrace stop of pid with the PTRACE_EVENT_STOP of a seized tracee, from a wait status. */
static void expect_event_stop(const char *via, pid_t pid, pid_t got, int status)
{
	scn_expect_int(via, pid, got);
	scn_expect_int("stopped", 1, WIFSTOPPED(status));
	scn_expect_int("ptrace event", PTRACE_EVENT_STOP, status >> 16);
}

static void interrupt(pid_t pid)
{
	must("PTRACE_INTERRUPT", ptrace(PTRACE_INTERRUPT, pid, 0, 0));
}

static void foreign(void)
{
	struct foreign f, other;
	siginfo_t si;
	struct rusage ru;
	int status = 0, fd;
	pid_t got;

	scn_stage("foreign", 30);
	foreign_make(&f, 5, "tracee");
	foreign_make(&other, 3, NULL);
	bystander = other.pid;
	listen_to(f.pid);
	must("PTRACE_SEIZE", ptrace(PTRACE_SEIZE, f.pid, 0, 0));
	interrupt(f.pid);
	/* While the tracee's stop waits in front, another orphan ends: the shim's handler looks past
	 * the stop without taking it for an exit (or the tracee's exit is never heard of). */
	foreign_release(&other);
	for (double end = scn_now() + 10; proc_state(other.pid) != 0 && proc_state(other.pid) != 'Z' &&
					  scn_now() < end;) {
		scn_nap(0.001);
	}
	while (waitpid(other.pid, &status, 0) < 0 && errno == EINTR) { /* bare: its zombie; shim: kept */
	}
	got = waitpid(-1, &status, __WALL);
	expect_event_stop("waitpid(-1, __WALL)", f.pid, got, status);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, f.pid, 0, 0));
	interrupt(f.pid);
	memset(&si, 0, sizeof(si));
	must("waitid(P_ALL)", waitid(P_ALL, 0, &si, WEXITED | WSTOPPED));
	scn_expect_int("waitid(P_ALL) pid", f.pid, si.si_pid);
	scn_expect_int("waitid(P_ALL) code", CLD_TRAPPED, si.si_code);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, f.pid, 0, 0));
	interrupt(f.pid);
	memset(&si, 0, sizeof(si));
	must("waitid(P_PGID, WNOWAIT)", waitid(P_PGID, 0, &si, WSTOPPED | WNOWAIT));
	scn_expect_int("waitid(P_PGID, WNOWAIT) pid", f.pid, si.si_pid);
	fd = scn_pidfd(f.pid);
	memset(&si, 0, sizeof(si));
	must("waitid(P_PIDFD)", waitid((idtype_t)3 /* P_PIDFD */, (id_t)fd, &si, WSTOPPED));
	close(fd);
	scn_expect_int("waitid(P_PIDFD) pid", f.pid, si.si_pid);
	scn_expect_int("waitid(P_PIDFD) code", CLD_TRAPPED, si.si_code);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, f.pid, 0, 0));
	foreign_release(&f);
	got = wait4(-1, &status, __WALL, &ru);
	scn_expect_int("wait4(-1) pid", f.pid, got);
	scn_expect_status("wait4(-1) status", st_exit(5), status);
	stop_listening();
	scn_expect_int("waitpid(tracee) after its exit", -1, waitpid(f.pid, &status, WNOHANG | __WALL));
	scn_say("foreign: done");
}

static void grandchild(void)
{
	struct gate g;
	int report[2], status = 0;
	pid_t child, tracee = -1, got;
	siginfo_t si;
	struct rusage ru;

	scn_stage("grandchild", 30);
	gate_make(&g);
	if (pipe(report) != 0) {
		scn_broken("pipe");
	}
	child = own_fork(st_exit(0));
	if (child == 0) {
		pid_t kid = fork();
		char c;

		if (kid == 0) {
			while (read(g.r, &c, 1) < 0 && errno == EINTR) {
			}
			_exit(7);
		}
		if (write(report[1], &kid, sizeof(kid)) != (ssize_t)sizeof(kid)) {
			_exit(2);
		}
		/* The tracer hears of the exit first; then the real parent. */
		while (waitpid(kid, &status, 0) < 0 && errno == EINTR) {
		}
		_exit(WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1);
	}
	while (read(report[0], &tracee, sizeof(tracee)) < 0 && errno == EINTR) {
	}
	close(report[0]);
	close(report[1]);
	listen_to(tracee);
	must("syscall(SYS_ptrace, PTRACE_SEIZE)",
	     syscall(SYS_ptrace, PTRACE_SEIZE, tracee, 0, (long)PTRACE_O_TRACEEXIT));
	interrupt(tracee);
	got = wait3(&status, __WALL, &ru);
	expect_event_stop("wait3", tracee, got, status);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, tracee, 0, 0));
	interrupt(tracee);
	got = waitpid(0, &status, 0);
	expect_event_stop("waitpid(0)", tracee, got, status);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, tracee, 0, 0));
	gate_release(&g, 1);
	memset(&si, 0, sizeof(si));
	must("waitid(P_ALL, WNOWAIT)", waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOWAIT));
	scn_expect_int("waitid(P_ALL, WNOWAIT) pid", tracee, si.si_pid);
	scn_expect_int("waitid(P_ALL, WNOWAIT) code", CLD_TRAPPED, si.si_code);
	got = waitpid(tracee, &status, __WALL);
	scn_expect_int("waitpid(tracee)", tracee, got);
	scn_expect_int("PTRACE_EVENT_EXIT stop", SIGTRAP | (PTRACE_EVENT_EXIT << 8), status >> 8);
	must("PTRACE_CONT", ptrace(PTRACE_CONT, tracee, 0, 0));
	got = wait(&status);
	scn_expect_int("wait() pid", tracee, got);
	scn_expect_status("wait() status", st_exit(7), status);
	stop_listening();
	got = waitpid(child, &status, 0);
	own_collect("waitpid(real parent)", got, status);
	gate_close(&g);
	scn_say("grandchild: done");
}

static void detach(void)
{
	struct foreign f;
	int status = 0;
	pid_t got;

	scn_stage("detach", 30);
	foreign_make(&f, 9, "detached");
	must("PTRACE_SEIZE", ptrace(PTRACE_SEIZE, f.pid, 0, 0));
	interrupt(f.pid);
	got = waitpid(f.pid, &status, __WALL);
	expect_event_stop("waitpid(tracee)", f.pid, got, status);
	must("PTRACE_DETACH", ptrace(PTRACE_DETACH, f.pid, 0, 0));
	foreign_release(&f);
	if (!proc_wait_state(f.pid, 0, 10)) {
		scn_fail("detached orphan: still there (state %c)", proc_state(f.pid));
	}
	got = waitpid(-1, &status, WNOHANG | __WALL);
	if (got == f.pid) {
		scn_fail("waitpid(-1): the detached orphan %d was reported", (int)got);
	}
	scn_say("detach: done");
}

/* The program's last own child, traced with PTRACE_O_TRACEFORK, forks and ends: the kernel
 * attached the grandchild, whose first stop is still unreported, and re-parented it to us. With
 * no own child listed, a wait for any child must still report that stop. */
static void unseen(void)
{
	struct gate g;
	int status = 0;
	pid_t child, got;
	unsigned long tracee = 0;

	sigset_t chld, saved;

	scn_stage("unseen", 30);
	storm_stop(); /* no other own child may be left */
	/* No SIGCHLD handling may meet the grandchild first, as with a program that takes SIGCHLD
	 * through a signalfd (or whose grandchild's signal merged into another). */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &saved);
	gate_make(&g);
	child = own_fork(st_exit(0));
	if (child == 0) {
		char c;

		while (read(g.r, &c, 1) < 0 && errno == EINTR) {
		}
		if (fork() == 0) {
			for (;;) {
				pause();
			}
		}
		_exit(0);
	}
	must("PTRACE_SEIZE", ptrace(PTRACE_SEIZE, child, 0, (long)PTRACE_O_TRACEFORK));
	gate_release(&g, 1);
	got = waitpid(child, &status, __WALL);
	scn_expect_int("waitpid(child) pid", child, got);
	scn_expect_int("PTRACE_EVENT_FORK stop", SIGTRAP | (PTRACE_EVENT_FORK << 8), status >> 8);
	must("PTRACE_GETEVENTMSG", ptrace(PTRACE_GETEVENTMSG, child, 0, &tracee));
	must("PTRACE_CONT", ptrace(PTRACE_CONT, child, 0, 0));
	got = waitpid(child, &status, __WALL);
	own_collect("waitpid(child)", got, status);
	got = waitpid(-1, &status, __WALL);
	scn_expect_int("waitpid(-1) pid", (long)tracee, got);
	scn_expect_int("its first stop", PTRACE_EVENT_STOP, status >> 16);
	kill((pid_t)tracee, SIGKILL);
	got = waitpid(-1, &status, __WALL);
	scn_expect_int("waitpid(-1) pid", (long)tracee, got);
	scn_expect_status("its end", st_signal(SIGKILL), status);
	gate_close(&g);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	scn_say("unseen: done");
}

int main(int argc, char **argv)
{
	static const struct scn_variant variants[] = {
		{"foreign", foreign},
		{"grandchild", grandchild},
		{"detach", detach},
		{"unseen", unseen},
	};

	return scn_variants_main(argc, argv, variants, sizeof(variants) / sizeof(variants[0]), NULL,
				 "usage: trace_cases foreign|grandchild|detach|unseen|all");
}
