/* core_idle: foreign orphans are reaped while the program calls no wait function at all — driven by
 * SIGCHLD, with no thread of the shim's own — and the call the program blocks in (read, poll,
 * select or epoll_wait; it has no handler of its own) is not interrupted with EINTR.
 * Its own children keep their exact statuses.
 * Usage: core_idle [read|poll|select|epoll]   (default read) */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

static const int codes[] = { 11, 12, 13, -SIGTERM, 14, -SIGKILL, 15, 16 };
#define N_KIDS ((int)(sizeof codes / sizeof codes[0]))

/* Block in `how` on fd until it is readable, then read a byte: returns what read (or the
 * blocking call, when it failed) returned. */
static ssize_t block_on(const char *how, int fd, char *c)
{
	int r = 1;
	if (strcmp(how, "poll") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		r = poll(&p, 1, -1);
	} else if (strcmp(how, "select") == 0) {
		fd_set set;
		FD_ZERO(&set);
		FD_SET(fd, &set);
		r = select(fd + 1, &set, NULL, NULL, NULL);
	} else if (strcmp(how, "epoll") == 0) {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			scn_broken("epoll");
		}
		r = epoll_wait(ep, &ev, 1, -1);
		int saved = errno;
		close(ep);
		errno = saved;
	}
	return r < 0 ? -1 : read(fd, c, 1);
}

/* Block until a helper child has seen `batches` storm batches end. */
static void idle(const char *how, int batches)
{
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	pid_t helper = own_fork(st_exit(21));
	if (helper == 0) {
		storm_batches(batches);
		_exit(write(fds[1], "x", 1) == 1 ? 21 : 22);
	}
	close(fds[1]);
	char c;
	errno = 0;
	ssize_t n = block_on(how, fds[0], &c);
	if (n < 0) {
		scn_fail("%s() while idle: expected 1 byte, got -1 (%s); the program has no handler", how,
		         strerror(errno));
	}
	scn_say("idle %s -> %zd", how, n);
	close(fds[0]);

	int status;
	scn_expect_int("waitpid(helper)", helper, waitpid(helper, &status, 0));
	own_collect("waitpid(helper)", helper, status);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "read";
	scn_init();
	storm_start();

	scn_stage("own children start", 10);
	struct gate gate;
	gate_make(&gate);
	pid_t kids[N_KIDS];
	for (int i = 0; i < N_KIDS; i++) {
		kids[i] = kid_gated(&gate, codes[i]);
	}

	scn_stage("idle", 15);
	idle(how, 3);
	storm_pause();
	int zombies, live;
	double end = scn_now() + 2;
	for (;;) {
		kids_count_foreign(&zombies, &live);
		if (zombies == 0 || scn_now() > end) {
			break;
		}
		scn_nap(0.001);
	}
	/* No wait call has been made since the storm started. */
	scn_expect_int("foreign zombies while the program made no wait call", 0, zombies);
	scn_expect_int("threads in the process", 1, self_threads());
	storm_resume();

	scn_stage("own children end", 10);
	gate_release(&gate, N_KIDS);
	for (int i = 0; i < N_KIDS; i++) {
		int status = 0;
		pid_t got = waitpid(kids[i], &status, 0);
		if (scn_expect_int("waitpid(own child)", kids[i], got)) {
			own_collect("waitpid(own child)", got, status);
		}
		char t[64];
		scn_say("own child %d: %s", i, st_text(status, t));
	}
	gate_close(&gate);
	return scn_finish();
}
