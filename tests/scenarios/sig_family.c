/* A handler-less PID 1 with a family: the test signals PID 1 from outside and watches what reaches the
 * others. PID 1 prints "READY" once every member is in place, then idles 30 s (exit SIG_EXIT_IDLE).
 * Usage: sig_family MODE [ARGS]
 *   forward          a child of PID 1 and an orphan (a grandchild whose parent has exited and been
 *                    reaped, so the kernel re-parented it to PID 1). Both catch every termination
 *                    signal the tests send and print "CHILD got <sig> from <sender pid>" or
 *                    "ORPHAN got ...", then exit 0.
 *   ignorer          a child that has SIGTERM at SIG_IGN and idles.
 *   slow FIFO MARK   a child whose SIGTERM work needs a moment: on SIGTERM it prints "CHILD WORKING",
 *                    waits (bounded) for a byte on FIFO from the test, writes "done" to MARK, prints
 *                    "CHILD DONE" and exits 0. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig_util.h"

static const char *role = "CHILD";
static volatile sig_atomic_t terms;

static void on_any(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sig_write_fmt(STDOUT_FILENO, "%s got %d from %ld\n", role, sig, (long)si->si_pid);
	_exit(0);
}

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

static void catch_all(void)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN + 3 };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sig_handle_info(sigs[i], on_any, 0);
	}
}

/* Fork a member that runs body(arg) after telling PID 1 through ready_fd that it is in place. */
static pid_t spawn(int ready_fd, void (*body)(int, const char *const *), const char *const *args)
{
	pid_t pid = fork();
	if (pid < 0) {
		sig_die("fork");
	}
	if (pid == 0) {
		body(ready_fd, args);
		_exit(SIG_EXIT_IDLE);
	}
	return pid;
}

static void ready(int fd)
{
	if (write(fd, "r", 1) != 1) {
		sig_die("write ready");
	}
}

static void body_catcher(int ready_fd, const char *const *args)
{
	(void)args;
	catch_all();
	ready(ready_fd);
	sig_idle(30);
}

static void body_orphan_parent(int ready_fd, const char *const *args)
{
	(void)args;
	role = "ORPHAN";
	spawn(ready_fd, body_catcher, NULL);
	/* Exit as soon as the grandchild is forked: it is re-parented to PID 1 when this one exits. */
	_exit(0);
}

static void body_ignorer(int ready_fd, const char *const *args)
{
	(void)args;
	sig_set_disp(SIGTERM, SIG_IGN);
	ready(ready_fd);
	sig_idle(30);
}

static void body_slow(int ready_fd, const char *const *args)
{
	int sigs[2] = { SIGTERM, 0 };
	int fifo = open(args[0], O_RDWR | O_CLOEXEC);
	if (fifo < 0) {
		sig_die("open fifo");
	}
	sig_handle(SIGTERM, on_term, 0);
	ready(ready_fd);
	if (!sig_wait_flag(&terms, 1, sigs, 30)) {
		_exit(SIG_EXIT_IDLE);
	}
	sig_say("CHILD WORKING\n");
	if (sig_read_byte(fifo, 20) < 0) {
		_exit(SIG_EXIT_IDLE);
	}
	if (!sig_write_mark(args[1], "done\n")) {
		sig_die("write mark");
	}
	sig_say("CHILD DONE\n");
	_exit(0);
}

static void await_ready(int fd, int n)
{
	for (int i = 0; i < n; i++) {
		if (sig_read_byte(fd, 10) != 'r') {
			sig_say("scenario broken: member %d not ready\n", i);
			_exit(SIG_EXIT_BROKEN);
		}
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int fds[2];

	sig_install_probe();
	if (pipe2(fds, O_CLOEXEC) != 0) {
		sig_die("pipe");
	}
	if (strcmp(mode, "forward") == 0) {
		spawn(fds[1], body_catcher, NULL);
		pid_t middle = spawn(fds[1], body_orphan_parent, NULL);
		if (waitpid(middle, NULL, 0) != middle) {
			sig_die("waitpid middle");
		}
		await_ready(fds[0], 2);
	} else if (strcmp(mode, "ignorer") == 0) {
		spawn(fds[1], body_ignorer, NULL);
		await_ready(fds[0], 1);
	} else if (strcmp(mode, "slow") == 0 && argc > 3) {
		spawn(fds[1], body_slow, (const char *const *)argv + 2);
		await_ready(fds[0], 1);
	} else {
		sig_say("usage: sig_family forward|ignorer|slow FIFO MARK\n");
		return 2;
	}
	sig_say("READY\n");
	sig_idle(30);
	return SIG_EXIT_IDLE;
}
