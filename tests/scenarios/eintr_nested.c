/* eintr_nested: a handler of the program without SA_RESTART that runs nested in the shim's SIGCHLD
 * handler still cuts the blocking call short that the SIGCHLD handler interrupted (the nested-handler
 * rule of docs/design.md, "The wait family": owe_eintr in shim/sigchld.c, for x86-64 and arm64), and
 * a handler with SA_RESTART does not. Run as PID 1 with the shim and REAP_VERBOSE=1.
 *
 * The nesting is made, not waited for. The program's stderr is a pipe that is full, so the shim's
 * handler blocks in the write of its "reaped orphan" line. Per round:
 *   1. the main thread blocks in read() on a pipe; the program leaves SIGCHLD at SIG_DFL, so the
 *      shim's handler runs with SA_RESTART and the kernel sets the read up to be made again;
 *   2. a thread of the program (SIGCHLD and SIGTERM blocked in it) lets a foreign orphan end: the
 *      shim's handler reaps it on the main thread and blocks writing its line to stderr;
 *   3. the thread sends the main thread SIGTERM: the program's handler runs nested in the shim's,
 *      and notes that it did (SIGCHLD is blocked then);
 *   4. the thread empties stderr: the shim's handler returns, and then either the read fails with
 *      EINTR, or it is made again and the main thread sleeps in it once more, when the thread ends
 *      it with a byte.
 * Variants: `norestart` (the SIGTERM handler without SA_RESTART: every read must fail with EINTR)
 * and `restart` (with SA_RESTART: every read must go on and return the byte).
 * Usage: eintr_nested norestart|restart */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scn.h"
#include "sig_util.h"

#define ROUNDS 3

enum place { NOT_RUN, NESTED, ELSEWHERE };

static volatile sig_atomic_t term_place;
static pid_t main_tid;
static int data[2], ctl[2], ack[2], err_r;
static struct foreign orphan;

/* Only a SIGCHLD handler blocks SIGCHLD on the main thread while it is in its read. */
static void on_term(int sig)
{
	sigset_t now;

	(void)sig;
	sigprocmask(SIG_BLOCK, NULL, &now);
	term_place = sigismember(&now, SIGCHLD) ? NESTED : ELSEWHERE;
}

static char read_token(int fd)
{
	char c = 0;
	while (read(fd, &c, 1) < 0 && errno == EINTR) {
	}
	return c;
}

static void write_token(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR) {
	}
}

/* Whether the main thread sleeps in a system call whose first argument is fd (its
 * /proc/self/task/TID/syscall line; under qemu-user the host's call, with the same descriptors). */
static bool main_sleeps_on(int fd)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)main_tid);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		return false;
	}
	ssize_t n = read(f, line, sizeof line - 1);
	close(f);
	long nr;
	unsigned long arg0;
	if (n <= 0) {
		return false;
	}
	line[n] = '\0';
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
	return sscanf(line, "%ld %lx", &nr, &arg0) == 2 && arg0 == (unsigned long)fd && proc_state_at(path) == 'S';
}

static bool await_main_on(int fd, double seconds)
{
	double end = scn_now() + seconds;
	while (!main_sleeps_on(fd)) {
		if (scn_now() > end) {
			return false;
		}
		scn_nap(0.0002);
	}
	return true;
}

/* Reads what stderr holds; returns whether anything was there. */
static bool drain_stderr(void)
{
	char buf[4096];
	bool any = false;
	while (read(err_r, buf, sizeof buf) > 0) {
		any = true;
	}
	return any;
}

/* One round on the thread's side; returns what went wrong, or NULL. */
static const char *drive_round(void)
{
	if (!await_main_on(data[0], 10)) {
		return "the main thread never slept in its read";
	}
	foreign_release(&orphan);
	if (!await_main_on(STDERR_FILENO, 10)) {
		return "the shim's SIGCHLD handler never blocked writing to stderr (is REAP_VERBOSE=1 set?)";
	}
	syscall(SYS_tgkill, getpid(), main_tid, SIGTERM);
	double end = scn_now() + 10;
	while (term_place == NOT_RUN && scn_now() < end) {
		scn_nap(0.0002);
	}
	/* Empty stderr until the main thread has left its read (the token comes) or sleeps in it again. */
	end = scn_now() + 10;
	while (scn_now() < end) {
		drain_stderr();
		if (sig_wait_readable(ctl[0], 0.001)) {
			return NULL;
		}
		if (main_sleeps_on(data[0])) {
			write_token(data[1], 'b');
			return NULL;
		}
	}
	return "the main thread neither left its read nor slept in it again";
}

static void *driver(void *arg)
{
	(void)arg;
	while (read_token(ctl[0]) == 'g') {
		const char *trouble = drive_round();
		if (trouble != NULL) {
			scn_fail("%s", trouble);
			write_token(data[1], 'x');
		}
		while (read_token(ctl[0]) != 'd') {
		}
		drain_stderr();
		write_token(ack[1], 'a');
	}
	return NULL;
}

/* stderr becomes a pipe that holds one page and is full: the shim's next line blocks. */
static int full_stderr(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		scn_broken("pipe2");
	}
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	err_r = fds[0];
	return saved;
}

static void fill_stderr(void)
{
	char path[64], page[4096];
	memset(page, '.', sizeof page);
	snprintf(path, sizeof path, "/proc/self/fd/%d", STDERR_FILENO);
	int filler = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (filler < 0) {
		scn_broken("open stderr's pipe again");
	}
	while (write(filler, page, sizeof page) > 0 || errno == EINTR) {
	}
	while (write(filler, page, 1) > 0 || errno == EINTR) {
	}
	close(filler);
}

int main(int argc, char **argv)
{
	bool restart = argc > 1 && strcmp(argv[1], "restart") == 0;

	if (argc != 2 || (!restart && strcmp(argv[1], "norestart") != 0)) {
		scn_say("usage: eintr_nested norestart|restart");
		return SCN_EXIT_BROKEN;
	}
	scn_init();
	scn_stage(argv[1], 60);
	main_tid = (pid_t)syscall(SYS_gettid);
	if (pipe(data) != 0 || pipe(ctl) != 0 || pipe(ack) != 0) {
		scn_broken("pipe");
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGTERM, &sa, NULL);

	sigset_t held, saved;
	sigemptyset(&held);
	sigaddset(&held, SIGCHLD);
	sigaddset(&held, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &held, &saved);
	pthread_t thread;
	if (pthread_create(&thread, NULL, driver, NULL) != 0) {
		scn_broken("pthread_create");
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	int saved_stderr = full_stderr();

	for (int round = 1; round <= ROUNDS; round++) {
		char byte = 0;
		foreign_make(&orphan, 0, "nested-orphan");
		fill_stderr();
		term_place = NOT_RUN;
		write_token(ctl[1], 'g');
		errno = 0;
		ssize_t n = read(data[0], &byte, 1);
		int err = errno;
		enum place place = term_place;
		write_token(ctl[1], 'd');
		read_token(ack[0]);
		if (n == 1 && byte == 'x') {
			break; /* the thread said why */
		}
		if (place != NESTED) {
			scn_fail("round %d: the SIGTERM handler did not run nested in the SIGCHLD handler (%s)", round,
			         place == NOT_RUN ? "it did not run" : "it ran elsewhere");
		} else if (!restart && !(n == -1 && err == EINTR)) {
			scn_fail("round %d: read() after a nested handler without SA_RESTART: expected -1 EINTR, got %zd (%s)",
			         round, n, n < 0 ? strerror(err) : "the byte written after it slept again");
		} else if (restart && n != 1) {
			scn_fail("round %d: read() after a nested handler with SA_RESTART: expected the byte, got %zd (%s)",
			         round, n, strerror(err));
		}
	}
	close(ctl[1]);
	pthread_join(thread, NULL);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	if (scn_failures() == 0) {
		scn_say("%s: %d rounds, the SIGTERM handler nested in the SIGCHLD handler each time: read() %s",
		        argv[1], ROUNDS, restart ? "went on" : "failed with EINTR");
	}
	return scn_finish();
}
