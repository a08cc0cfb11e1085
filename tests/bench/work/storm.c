/* storm MODE FORKERS RATE SECONDS SHM_FD SOCK_FD: the program of the orphan-storm measurement.
 *
 * It forks FORKERS forkers; each creates orphans at RATE/FORKERS per second for SECONDS: it forks
 * a middle process that forks the orphan and exits at once, and waits for the middle. The orphan,
 * now foreign to whoever is PID 1, hands a pidfd of itself to the observer outside the namespace
 * (SCM_RIGHTS on SOCK_FD), waits until the observer has it (the slot's `ack`) and until it is
 * re-parented to PID 1 (parent-death signal), stamps CLOCK_MONOTONIC into its slot and exits.
 * From then on, how long it stays a zombie is up to PID 1, and the observer sees its exit and its
 * reaping on the pidfd (POLLIN, then POLLHUP).
 *
 * MODE says who reaps the orphans, the program or someone else:
 *   app       the program only waits for its forkers by pid (reap.so, a wrapper, or nobody: bare)
 *   handler   the program is PID 1 with a minimal SIGCHLD handler that reaps everything:
 *             one signal delivery per batch of exits, the physical limit
 *   periodic  the program is PID 1 and reaps with waitpid(-1, WNOHANG) once a second
 *             (the uWSGI master / mod_wsgi model)
 * After the storm it reports DONE and waits for EOF on stdin, reaping as its mode says. */
#include "storm-proto.h"

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FORKERS 16

enum mode { M_APP, M_HANDLER, M_PERIODIC };

static struct storm_shm *shm;
static int sock;
static enum mode mode;
static int64_t t0;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
	}
}

static void anomaly(const char *what, int err)
{
	uint32_t expected = 0;

	atomic_fetch_add(&shm->anomalies, 1);
	if (atomic_compare_exchange_strong(&shm->msg_taken, &expected, 1)) {
		snprintf(shm->msg, sizeof shm->msg, "%s: %s (pid %d)", what, strerror(err), (int)getpid());
	}
}

static int send_msg(const struct storm_msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof *m};
	struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof cbuf);
		h.msg_control = cbuf;
		h.msg_controllen = sizeof cbuf;
		c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	do {
		n = sendmsg(sock, &h, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *m ? 0 : -1;
}

static void orphan(uint32_t i)
{
	struct storm_slot *s = &shm->slot[i];
	struct storm_msg m = {.type = STORM_ORPHAN, .slot = i};
	int64_t deadline = now_ns() + 5000000000LL;
	sigset_t usr1;
	int pidfd;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0 || send_msg(&m, pidfd) != 0) {
		anomaly(pidfd < 0 ? "orphan: pidfd_open" : "orphan: sendmsg", errno);
	} else {
		close(pidfd);
		while (atomic_load(&s->ack) == 0) {
			struct timespec to = {0, 100000000};

			if (now_ns() > deadline) {
				anomaly("orphan: no ack from the observer in 5 s", ETIMEDOUT);
				break;
			}
			syscall(SYS_futex, &s->ack, FUTEX_WAIT, 0, &to, NULL, 0);
		}
	}
	if (getppid() != 1) {
		struct timespec to = {5, 0};

		if (sigtimedwait(&usr1, NULL, &to) < 0) {
			anomaly("orphan: not re-parented in 5 s", errno);
		}
	}
	atomic_store(&s->t_exit_ns, now_ns());
	atomic_fetch_add(&shm->finished, 1);
	_exit(0);
}

static pid_t wait_pid(pid_t pid, int *st, int flags)
{
	pid_t w;

	do {
		w = waitpid(pid, st, flags);
	} while (w < 0 && errno == EINTR);
	return w;
}

static void forker(int idx, int nforkers, double rate, double secs)
{
	int64_t period = (int64_t)(1e9 * nforkers / rate);
	int64_t next = t0 + period * idx / nforkers;
	int64_t end = t0 + (int64_t)(secs * 1e9);

	if (mode == M_HANDLER) {
		signal(SIGCHLD, SIG_DFL);
	}
	for (; next < end; next += period) {
		uint32_t i;
		pid_t m, w;
		int st;

		sleep_until(next);
		i = atomic_fetch_add(&shm->next, 1);
		if (i >= shm->cap) {
			break;
		}
		m = fork();
		if (m < 0) {
			anomaly("forker: fork", errno);
			continue;
		}
		if (m == 0) {
			pid_t o = fork();

			if (o == 0) {
				orphan(i);
			}
			_exit(o < 0 ? 1 : 0);
		}
		w = wait_pid(m, &st, 0);
		if (w != m) {
			anomaly("forker: waitpid(middle)", errno);
			atomic_fetch_add(&shm->created, 1);
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			anomaly("middle: fork of the orphan", EAGAIN);
		} else {
			atomic_fetch_add(&shm->created, 1);
		}
	}
	_exit(0);
}

static void on_chld(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	errno = saved;
}

/* periodic mode: reap everything once per whole second since t0; returns forkers reaped. */
static int64_t next_tick;
static int periodic_reap(const pid_t *forkers, int n)
{
	int reaped = 0;
	pid_t w;

	if (now_ns() < next_tick) {
		return 0;
	}
	while ((w = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < n; i++) {
			reaped += forkers[i] == w;
		}
	}
	next_tick += 1000000000;
	return reaped;
}

static void wait_forkers(const pid_t *forkers, int n, int done_fd)
{
	if (mode == M_APP) {
		for (int i = 0; i < n; i++) {
			int st;

			if (wait_pid(forkers[i], &st, 0) != forkers[i]) {
				anomaly("program: waitpid(forker)", errno);
			} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				anomaly("program: forker status", EINVAL);
			}
		}
	} else if (mode == M_HANDLER) {
		char c;
		ssize_t r;

		while ((r = read(done_fd, &c, 1)) != 0) {
			if (r < 0 && errno != EINTR) {
				anomaly("program: read", errno);
				break;
			}
		}
	} else {
		int left = n;

		while (left > 0) {
			sleep_until(next_tick);
			left -= periodic_reap(forkers, n);
		}
	}
}

static void wait_stdin_eof(const pid_t *forkers, int n)
{
	char buf[64];

	for (;;) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		int timeout = -1, r;

		if (mode == M_PERIODIC) {
			periodic_reap(forkers, n);
			timeout = (int)((next_tick - now_ns()) / 1000000) + 1;
		}
		r = poll(&p, 1, timeout);
		if (r > 0 && read(0, buf, sizeof buf) <= 0) {
			return;
		}
		if (r < 0 && errno != EINTR) {
			return;
		}
	}
}

int main(int argc, char **argv)
{
	pid_t forkers[MAX_FORKERS];
	int nforkers, done_pipe[2] = {-1, -1};
	struct storm_msg m;
	double rate, secs;
	struct stat sb;
	int64_t deadline;

	if (argc != 7) {
		fprintf(stderr, "usage: storm app|handler|periodic FORKERS RATE SECONDS SHM_FD SOCK_FD\n");
		return 2;
	}
	mode = !strcmp(argv[1], "handler") ? M_HANDLER : !strcmp(argv[1], "periodic") ? M_PERIODIC : M_APP;
	nforkers = atoi(argv[2]);
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	sock = atoi(argv[6]);
	if (nforkers < 1 || nforkers > MAX_FORKERS || rate <= 0 || secs <= 0
	    || fstat(atoi(argv[5]), &sb) != 0) {
		fprintf(stderr, "storm: bad arguments\n");
		return 2;
	}
	shm = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(argv[5]), 0);
	if (shm == MAP_FAILED) {
		perror("storm: mmap");
		return 2;
	}
	if (mode == M_HANDLER) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_chld;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
		if (pipe(done_pipe) != 0) {
			perror("storm: pipe");
			return 2;
		}
	}
	t0 = now_ns() + 20000000;
	next_tick = t0 + 1000000000;
	m = (struct storm_msg){.type = STORM_START, .t_ns = t0};
	if (send_msg(&m, -1) != 0) {
		perror("storm: send START");
		return 2;
	}
	for (int i = 0; i < nforkers; i++) {
		forkers[i] = fork();
		if (forkers[i] < 0) {
			perror("storm: fork");
			return 2;
		}
		if (forkers[i] == 0) {
			if (done_pipe[0] >= 0) {
				close(done_pipe[0]);
			}
			forker(i, nforkers, rate, secs);
		}
	}
	if (done_pipe[1] >= 0) {
		close(done_pipe[1]);
	}
	wait_forkers(forkers, nforkers, done_pipe[0]);
	/* Every orphan has been forked by now; wait (bounded) until each has reached _exit. */
	deadline = now_ns() + 10000000000LL;
	while (atomic_load(&shm->finished) < atomic_load(&shm->created) && now_ns() < deadline) {
		sleep_until(now_ns() + 1000000);
		if (mode == M_PERIODIC) {
			periodic_reap(forkers, nforkers);
		}
	}
	if (atomic_load(&shm->finished) < atomic_load(&shm->created)) {
		anomaly("program: orphans still running 10 s after the storm", ETIMEDOUT);
	}
	m = (struct storm_msg){.type = STORM_DONE, .t_ns = now_ns(), .created = atomic_load(&shm->created),
	                       .anomalies = atomic_load(&shm->anomalies)};
	if (send_msg(&m, -1) != 0) {
		perror("storm: send DONE");
		return 2;
	}
	wait_stdin_eof(forkers, nforkers);
	return 0;
}
