/* A handler-less PID 1 that ends by itself while the rest of its namespace still has work to do.
 * Usage: end_exit VARIANT [ARGS]
 *   output HOW                 PID 1's stdout is a pipe to a log shipper, a child that prints
 *                              "SHIPPED <line>" for every line it reads and stops at SIGTERM
 *                              ("SHIPPER TERM"; the signal is taken only while it waits for input,
 *                              so a line it has read is always printed). PID 1 prints LINE 1..4 to
 *                              stdout and ends with the lines still in stdio's buffer: HOW is exit
 *                              (exit(0)), return (from main), errx (errx(0, "ending"), which exits
 *                              inside libc) or pthread_exit (of its only thread: libc then exits);
 *                              or HOW is _exit: _exit(0) after writing them with write(2).
 *   threads exit|return        a worker thread uses state that an exit handler tears down (the way
 *                              static destructors do), when a child that handles SIGTERM sends it
 *                              an event; the child ends once the worker has handled it. PID 1 ends
 *                              with the worker blocked. Prints "WORKER SAW 42" when the state was
 *                              whole, dies of SIGSEGV when it was not.
 *   atexit_waits               a supervisor: its exit handler stops its worker (SIGTERM) and waits
 *                              for it, and prints "ATEXIT worker exited 7" (the worker's SIGTERM
 *                              status) or what it got instead. PID 1 returns 0 from main.
 *   quick_exit CODE            an at_quick_exit handler prints "AT_QUICK_EXIT", then quick_exit(CODE).
 *   code exit|return CODE      an atexit handler prints "ATEXIT", then exit(CODE) or a return of CODE
 *                              from main.
 * Every variant prints "EXITING" (on stderr) just before PID 1 ends; stray lines say what broke. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig_util.h"
#include "write_all.h"

static volatile sig_atomic_t terms;

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

static void exiting(void)
{
	sig_write_fmt(STDERR_FILENO, "EXITING\n");
}

/* ---- output ---- */

/* Prints each complete line read from in as "SHIPPED <line>"; SIGTERM is blocked except while it
 * waits for input, so it stops between lines, never with a line read and not printed. */
static void shipper(int in, int ready)
{
	sigset_t term, open_mask;
	char buf[512];
	size_t len = 0;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &open_mask);
	sigdelset(&open_mask, SIGTERM);
	sig_handle(SIGTERM, on_term, 0);
	write_all(ready, "r", 1);
	for (;;) {
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		struct timespec limit = {20, 0};
		int r = ppoll(&pfd, 1, &limit, &open_mask);
		if (terms > 0) {
			sig_say("SHIPPER TERM\n");
			_exit(0);
		}
		if (r == 0) {
			_exit(SIG_EXIT_IDLE);
		}
		if (r < 0) {
			continue;
		}
		ssize_t n = read(in, buf + len, sizeof buf - len);
		if (n <= 0) {
			sig_say("SHIPPER EOF\n");
			_exit(0);
		}
		len += (size_t)n;
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t line = (size_t)(nl - buf) + 1;
			sig_say("SHIPPED %.*s", (int)line, buf);
			memmove(buf, buf + line, len - line);
			len -= line;
		}
	}
}

static int output(const char *how)
{
	int pipe_fds[2], ready_fds[2];

	if (pipe(pipe_fds) != 0 || pipe(ready_fds) != 0) {
		sig_die("pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		sig_die("fork");
	}
	if (pid == 0) {
		close(pipe_fds[1]);
		close(ready_fds[0]);
		shipper(pipe_fds[0], ready_fds[1]);
	}
	close(pipe_fds[0]);
	close(ready_fds[1]);
	sig_await_step(ready_fds[0], 'r', "shipper not ready");
	if (dup2(pipe_fds[1], STDOUT_FILENO) < 0) {
		sig_die("dup2");
	}
	close(pipe_fds[1]);
	if (strcmp(how, "_exit") == 0) {
		write_all(STDOUT_FILENO, "LINE 1\nLINE 2\nLINE 3\nLINE 4\n", 28);
		exiting();
		_exit(0);
	}
	for (int i = 1; i <= 4; i++) {
		printf("LINE %d\n", i); /* stdout is a pipe: fully buffered until the exit flushes it */
	}
	exiting();
	if (strcmp(how, "exit") == 0) {
		exit(0);
	}
	if (strcmp(how, "errx") == 0) {
		/* Its message, written in pieces, would split a line of the shipper's in the merged output. */
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);
		errx(0, "ending");
	}
	if (strcmp(how, "pthread_exit") == 0) {
		pthread_exit(NULL);
	}
	return 0;
}

/* ---- threads ---- */

static int *state;
static int events[2], acks[2];

static void tear_down(void)
{
	munmap(state, (size_t)sysconf(_SC_PAGESIZE));
}

static void *worker(void *arg)
{
	char c;

	(void)arg;
	if (read(events[0], &c, 1) == 1) {
		sig_say("WORKER SAW %d\n", *state);
		write_all(acks[1], "a", 1);
	}
	for (;;) {
		pause();
	}
	return NULL;
}

static int threads(const char *how)
{
	int ready;
	pthread_t thread;
	int sigs[2] = {SIGTERM, 0};

	state = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (state == MAP_FAILED || pipe(events) != 0 || pipe(acks) != 0) {
		sig_die("setup");
	}
	*state = 42;
	pid_t pid = sig_fork_reporting(&ready);
	if (pid == 0) {
		sig_handle(SIGTERM, on_term, 0);
		write_all(ready, "r", 1);
		if (!sig_wait_flag(&terms, 1, sigs, 20)) {
			_exit(SIG_EXIT_IDLE);
		}
		write_all(events[1], "e", 1);
		_exit(sig_read_byte(acks[0], 20) == 'a' ? 0 : SIG_EXIT_IDLE);
	}
	sig_await_step(ready, 'r', "child not ready");
	if (atexit(tear_down) != 0 || pthread_create(&thread, NULL, worker, NULL) != 0) {
		sig_die("atexit/pthread_create");
	}
	exiting();
	if (strcmp(how, "exit") == 0) {
		exit(0);
	}
	return 0;
}

/* ---- atexit_waits ---- */

static pid_t supervised;

static void stop_worker(void)
{
	int status = 0;

	kill(supervised, SIGTERM);
	pid_t got = waitpid(supervised, &status, 0);
	if (got != supervised) {
		sig_say("ATEXIT waitpid returned %d (%s)\n", (int)got, strerror(errno));
	} else if (WIFEXITED(status)) {
		sig_say("ATEXIT worker exited %d\n", WEXITSTATUS(status));
	} else {
		sig_say("ATEXIT worker status %#x\n", status);
	}
}

static int atexit_waits(void)
{
	int ready;
	int sigs[2] = {SIGTERM, 0};

	supervised = sig_fork_reporting(&ready);
	if (supervised == 0) {
		sig_handle(SIGTERM, on_term, 0);
		write_all(ready, "r", 1);
		_exit(sig_wait_flag(&terms, 1, sigs, 20) ? 7 : SIG_EXIT_IDLE);
	}
	sig_await_step(ready, 'r', "worker not ready");
	atexit(stop_worker);
	exiting();
	return 0;
}

/* ---- quick_exit ---- */

static void at_quick(void)
{
	sig_say("AT_QUICK_EXIT\n");
}

static int quick(const char *code)
{
	at_quick_exit(at_quick);
	exiting();
	quick_exit(atoi(code));
}

/* ---- exit and return with a status ---- */

static void at_exit_say(void)
{
	sig_say("ATEXIT\n");
}

static int code(const char *how, const char *status)
{
	atexit(at_exit_say);
	exiting();
	if (strcmp(how, "exit") == 0) {
		exit(atoi(status));
	}
	return atoi(status);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "output") == 0) {
		return output(argv[2]);
	}
	if (argc == 3 && strcmp(argv[1], "threads") == 0) {
		return threads(argv[2]);
	}
	if (argc == 2 && strcmp(argv[1], "atexit_waits") == 0) {
		return atexit_waits();
	}
	if (argc == 3 && strcmp(argv[1], "quick_exit") == 0) {
		return quick(argv[2]);
	}
	if (argc == 4 && strcmp(argv[1], "code") == 0) {
		return code(argv[2], argv[3]);
	}
	sig_say("usage: end_exit output exit|return|errx|pthread_exit|_exit; end_exit threads exit|return; end_exit atexit_waits; end_exit quick_exit CODE; end_exit code exit|return CODE\n");
	return 2;
}
