/* Children to wait for: gated own children and controllable foreign orphans; see scn.h. */
#include "scn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void gate_make(struct gate *g)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		scn_broken("pipe2");
	}
	g->r = fds[0];
	g->w = fds[1];
}

void gate_release(struct gate *g, int n)
{
	char buf[256] = { 0 };
	while (n > 0) {
		int chunk = n < (int)sizeof buf ? n : (int)sizeof buf;
		ssize_t w = write(g->w, buf, (size_t)chunk);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			scn_broken("gate write");
		}
		n -= (int)w;
	}
}

void gate_close(struct gate *g)
{
	close(g->r);
	close(g->w);
	g->r = g->w = -1;
}

/* In a child: wait for one byte (or the end) of the gate. */
static void pass_gate(struct gate *g)
{
	char c;
	close(g->w);
	while (read(g->r, &c, 1) < 0 && errno == EINTR) {
	}
}

static void die_by(int code) __attribute__((noreturn));
static void die_by(int code)
{
	if (code < 0) {
		signal(-code, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, -code);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), -code);
	}
	_exit(code & 0xff);
}

pid_t kid_exit(int code)
{
	pid_t pid = own_fork(code < 0 ? st_signal(-code) : st_exit(code));
	if (pid < 0) {
		scn_broken("fork");
	}
	if (pid == 0) {
		die_by(code);
	}
	return pid;
}

pid_t kid_gated(struct gate *g, int code)
{
	pid_t pid = own_fork(code < 0 ? st_signal(-code) : st_exit(code));
	if (pid < 0) {
		scn_broken("fork");
	}
	if (pid == 0) {
		pass_gate(g);
		die_by(code);
	}
	return pid;
}

void kid_stop(pid_t k, bool stop)
{
	kill(k, stop ? SIGSTOP : SIGCONT);
	double end = scn_now() + 5;
	while ((proc_state(k) == 'T') != stop) {
		if (scn_now() > end) {
			scn_broken(stop ? "child did not stop" : "child did not continue");
		}
		scn_nap(0.0005);
	}
}

void foreign_make(struct foreign *f, int code, const char *comm)
{
	int report[2];
	if (pipe2(report, O_CLOEXEC) != 0) {
		scn_broken("pipe2");
	}
	gate_make(&f->gate);
	pid_t middle = own_fork(st_exit(0));
	if (middle < 0) {
		scn_broken("fork");
	}
	if (middle == 0) {
		pid_t orphan = fork();
		if (orphan == 0) {
			close(report[0]);
			close(report[1]);
			if (comm != NULL) {
				prctl(PR_SET_NAME, comm, 0, 0, 0);
			}
			pass_gate(&f->gate);
			die_by(code);
		}
		ssize_t w = write(report[1], &orphan, sizeof orphan);
		_exit(w == (ssize_t)sizeof orphan ? 0 : 1);
	}
	close(report[1]);
	pid_t orphan = -1;
	while (read(report[0], &orphan, sizeof orphan) < 0 && errno == EINTR) {
	}
	close(report[0]);
	int status = 0;
	pid_t got;
	while ((got = waitpid(middle, &status, 0)) < 0 && errno == EINTR) {
	}
	if (got != middle) {
		scn_fail("waitpid(middle of a foreign orphan): expected %d, got %d", (int)middle, (int)got);
	} else {
		own_collect("waitpid(middle of a foreign orphan)", middle, status);
	}
	if (orphan <= 0) {
		scn_broken("no orphan pid from the middle child");
	}
	f->pid = orphan;
}

void foreign_release(struct foreign *f)
{
	gate_release(&f->gate, 1);
	gate_close(&f->gate);
}

void helper_start(struct helper *h, bool in_wait, void (*act)(void *ctx), void *ctx)
{
	pid_t parent = getpid();
	gate_make(&h->hold);
	h->pid = own_fork(st_exit(0));
	if (h->pid < 0) {
		scn_broken("fork");
	}
	if (h->pid == 0) {
		if (!(in_wait ? proc_wait_in_wait(parent, 10) : proc_wait_asleep(parent, 10))) {
			_exit(1);
		}
		act(ctx);
		pass_gate(&h->hold);
		_exit(0);
	}
}

void helper_end(struct helper *h)
{
	gate_release(&h->hold, 1);
	int status;
	pid_t got;
	while ((got = waitpid(h->pid, &status, 0)) < 0 && errno == EINTR) {
	}
	if (got == h->pid) {
		own_collect("waitpid(helper)", got, status);
	} else {
		scn_fail("waitpid(helper %d): got %d", (int)h->pid, (int)got);
	}
	gate_close(&h->hold);
}
