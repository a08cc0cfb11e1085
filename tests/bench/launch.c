/* Start a program as PID 1 of a fresh PID namespace, the way `unshare --pid --fork --mount-proc`
 * does it (new PID and mount namespaces, mounts made private, a fresh /proc), but with clone3 from
 * the driver itself: no unshare process in between whose start-up would be counted, nothing
 * preloaded into a launcher, and a pidfd on PID 1. That pidfd becomes readable only once PID 1
 * has exited, which the kernel lets happen only after every other process of the namespace is
 * gone: readable pidfd == empty namespace. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* struct clone_args of <linux/sched.h>, CLONE_ARGS_SIZE_VER0 (kept here: that header clashes
 * with <sched.h>). */
struct bench_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void child_fail(const char *what, const char *arg)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "reapbench: %s %s: %s\n", what, arg ? arg : "", strerror(errno));

	if (n > 0 && write(2, buf, (size_t)n) < 0) {
		_exit(126);
	}
	_exit(126);
}

/* The stub PID 1 of a non-PID-1 run: fork the program, reap everything, exit with its status. */
static void stub_init(const struct launch *l)
{
	pid_t p = fork();

	if (p < 0) {
		child_fail("fork", NULL);
	}
	if (p == 0) {
		execve(l->argv[0], (char *const *)l->argv, (char *const *)l->envp);
		child_fail("exec", l->argv[0]);
	}
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);

		if (w == p) {
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		if (w < 0 && errno == ECHILD) {
			_exit(127);
		}
	}
}

/* In the clone3 child, PID 1 of the new namespace. Only async-signal-safe calls from here on. */
static void child_main(const struct launch *l)
{
	struct sigaction dfl;
	sigset_t none;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		child_fail("mount --make-rprivate", "/");
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		child_fail("mount", "/proc");
	}
	if (dup2(l->in_fd, 0) < 0 || dup2(l->out_fd, 1) < 0 || dup2(l->out_fd, 2) < 0) {
		child_fail("dup2", NULL);
	}
	for (int i = 0; i < 4; i++) {
		if (l->keep[i] >= 0 && fcntl(l->keep[i], F_SETFD, 0) != 0) {
			child_fail("fcntl", NULL);
		}
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		sigaction(s, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (l->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(l->cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0) {
			child_fail("sched_setaffinity", NULL);
		}
	}
	if (!l->pid1) {
		stub_init(l);
	}
	execve(l->argv[0], (char *const *)l->argv, (char *const *)l->envp);
	child_fail("exec", l->argv[0]);
}

int ns_start(struct ns_run *r, const struct launch *l)
{
	struct bench_clone_args ca;
	int pidfd = -1;
	pid_t pid;

	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	r->t_start_ns = now_ns();
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		child_main(l);
	}
	r->pid = pid;
	r->pidfd = pidfd;
	return 0;
}

int ns_wait(struct ns_run *r, double timeout_s, int *code, int64_t *t_end_ns)
{
	int64_t deadline = now_ns() + (int64_t)(timeout_s * 1e9);
	struct pollfd p = {.fd = r->pidfd, .events = POLLIN};
	siginfo_t si;

	for (;;) {
		int64_t left = deadline - now_ns();
		int n;

		if (left < 0) {
			return -1;
		}
		n = poll(&p, 1, (int)(left / 1000000) + 1);
		if (n > 0) {
			break;
		}
		if (n < 0 && errno != EINTR) {
			return -1;
		}
	}
	if (t_end_ns) {
		*t_end_ns = now_ns();
	}
	memset(&si, 0, sizeof si);
	if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED) != 0) {
		return -1;
	}
	close(r->pidfd);
	r->pidfd = -1;
	if (code) {
		*code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	}
	return 0;
}

void ns_kill(struct ns_run *r)
{
	if (r->pidfd < 0) {
		return;
	}
	syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
	if (ns_wait(r, 10, NULL, NULL) != 0) {
		fprintf(stderr, "reapbench: namespace of pid %d survived SIGKILL for 10 s\n", (int)r->pid);
	}
}

char *ns_capture(const char *const *argv, const char *const *envp, bool pid1, int cpu, double timeout_s,
                 int *code)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), out_fd = memfd_create("ns-out", MFD_CLOEXEC);
	struct launch l = {.argv = argv, .envp = envp, .pid1 = pid1, .in_fd = null_fd, .out_fd = out_fd, .cpu = cpu,
	                   .keep = {-1, -1, -1, -1}};
	struct ns_run run;
	char *text;
	int err;

	*code = -2;
	if (null_fd < 0 || out_fd < 0 || ns_start(&run, &l) != 0) {
		err = errno;
		text = calloc(1, 1);
	} else {
		if (ns_wait(&run, timeout_s, code, NULL) != 0) {
			ns_kill(&run);
			*code = -1;
		}
		err = errno;
		text = fd_slurp(out_fd);
	}
	if (null_fd >= 0) {
		close(null_fd);
	}
	if (out_fd >= 0) {
		close(out_fd);
	}
	if (!text) {
		abort();
	}
	errno = err;
	return text;
}

char *fd_slurp(int fd)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	ssize_t n;

	if (!s) {
		abort();
	}
	while ((n = pread(fd, s + len, cap - len - 1, (off_t)len)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s) {
				abort();
			}
		}
	}
	s[len] = '\0';
	return s;
}

const char *tail_lines(const char *s, int lines)
{
	const char *p = s + strlen(s);

	if (p > s && p[-1] == '\n') {
		p--;
	}
	while (p > s) {
		if (p[-1] == '\n' && --lines == 0) {
			break;
		}
		p--;
	}
	return p;
}
