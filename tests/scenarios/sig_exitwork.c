/* A handler-less PID 1 that ends by itself while its child is still doing its SIGTERM work.
 * Usage: sig_exitwork HOW FIFO MARK
 * PID 1 forks a child, sends it SIGTERM, waits until the child says its work has started, prints
 * "EXITING <how>" and ends with status 0 through HOW: exit, _exit, return (from main), quick_exit,
 * _Exit, exit_group (syscall(SYS_exit_group)), thread_exit (syscall(SYS_exit) of its only thread),
 * errx (errx(0, ...), which exits inside libc) or pthread_exit (of its only thread: libc exits).
 * The child prints "CHILD WORKING" on its first SIGTERM. Its work can only finish after PID 1 has
 * started to end: it waits (bounded) for the second SIGTERM that the shim sends to every remaining
 * process when PID 1 ends ("CHILD TERM 2"), then for a byte on FIFO from the test (the moment the work
 * needs), then writes "done" to MARK and prints "CHILD DONE". Without the shim the kernel kills the
 * child when PID 1 ends, so the work is cut off: no second SIGTERM, no mark. */
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sig_util.h"

static volatile sig_atomic_t terms;

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

static void child(int to_parent, const char *fifo_path, const char *mark)
{
	int sigs[2] = { SIGTERM, 0 };
	int fifo = open(fifo_path, O_RDWR | O_CLOEXEC);
	if (fifo < 0) {
		sig_die("open fifo");
	}
	sig_handle(SIGTERM, on_term, 0);
	if (write(to_parent, "r", 1) != 1) {
		sig_die("write");
	}
	if (!sig_wait_flag(&terms, 1, sigs, 20)) {
		_exit(SIG_EXIT_IDLE);
	}
	sig_say("CHILD WORKING\n");
	if (write(to_parent, "w", 1) != 1) {
		sig_die("write");
	}
	if (!sig_wait_flag(&terms, 2, sigs, 20)) {
		_exit(SIG_EXIT_IDLE);
	}
	sig_say("CHILD TERM 2\n");
	if (sig_read_byte(fifo, 20) < 0) {
		_exit(SIG_EXIT_IDLE);
	}
	if (!sig_write_mark(mark, "done\n")) {
		sig_die("write mark");
	}
	sig_say("CHILD DONE\n");
	_exit(0);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 4) {
		sig_say("usage: sig_exitwork HOW FIFO MARK\n");
		return 2;
	}
	pid_t pid = sig_fork_reporting(&fd);
	if (pid == 0) {
		child(fd, argv[2], argv[3]);
	}
	sig_await_step(fd, 'r', "child not ready");
	if (kill(pid, SIGTERM) != 0) {
		sig_die("kill");
	}
	sig_await_step(fd, 'w', "child did not start its work");
	sig_say("EXITING %s\n", argv[1]);
	if (strcmp(argv[1], "exit") == 0) {
		exit(0);
	}
	if (strcmp(argv[1], "_exit") == 0) {
		_exit(0);
	}
	if (strcmp(argv[1], "quick_exit") == 0) {
		quick_exit(0);
	}
	if (strcmp(argv[1], "_Exit") == 0) {
		_Exit(0);
	}
	if (strcmp(argv[1], "exit_group") == 0) {
		syscall(SYS_exit_group, 0);
	}
	if (strcmp(argv[1], "thread_exit") == 0) {
		syscall(SYS_exit, 0);
	}
	if (strcmp(argv[1], "errx") == 0) {
		errx(0, "ending");
	}
	if (strcmp(argv[1], "pthread_exit") == 0) {
		pthread_exit(NULL);
	}
	return 0;
}
