/* review_sig: signal, creation and shell defects of issue 9, each checked against what libc does.
 * Run as PID 1; prints "OK <case>" or "FAIL <case>: why" and exits 0 or 1.
 *
 * Cases that libc passes as PID 1 too (test_review_sig runs them bare and with the shim):
 *   popen_fclose       fclose() on a popen stream is pclose(): the status, no child left (4)
 *   worker_handler     a worker forked from PID 1 sets a SIGCHLD handler; its children keep it (5)
 *   worker_ignore      the same with SIG_IGN: its children's children are reaped by the kernel (5)
 *   clone_sleep        a child made with clone() sleeps through its own child's exit (6)
 *   clone_vm_sleep     the same for clone(CLONE_VM|CLONE_VFORK) (6)
 *   fork_sleep:HOW     the same for _Fork and syscall(SYS_clone) (6; these were right before)
 *   system_blocked     system() with SIGCHLD blocked: the handler runs once when it is unblocked (18)
 *   pclose_blocked     the same for popen() and pclose() (18)
 *   sleep_rounding     sleep() cut short by a handler returns the whole seconds left, rounded down (19)
 *   sigaction_invalid  signals 32 and 33 (glibc's own): setting and querying fail with EINVAL (19)
 *   own_exit:CALL      CALL blocks while an own child exits with SIGCHLD at SIG_DFL: it is not cut
 *                      short, and errno is untouched when it succeeds (17, 19); "own_exit" runs all
 *
 * Cases only the shim passes as PID 1 (libc leaves zombies; test_review_sig expects that):
 *   sigwait_orphans:HOW  SIGCHLD blocked in every thread, taken by a thread with sigwait,
 *                      sigwaitinfo or sigtimedwait: orphans are reaped all the same (9)
 *   blocked_then:HOW   an orphan dies while SIGCHLD is blocked, then the program sets SIG_IGN or
 *                      SA_NOCLDWAIT: the zombie is reaped all the same (10) */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* What this program does on purpose: fclose() on popen streams, the deprecated sigpause(). */
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* glibc's exported names that its headers hide or redirect. */
extern int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len);
extern int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask,
		       size_t fds_len);
extern int bsd_sigpause(int mask) __asm__("sigpause");
extern int __sigpause(int sig_or_mask, int is_sig);
extern int __nanosleep(const struct timespec *request, struct timespec *remain);
extern int __poll(struct pollfd *fds, nfds_t n, int timeout);
extern int __select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout);
extern int __sigsuspend(const sigset_t *mask);

#define SLEEP_MS 300

static int verdict(const char *name, bool ok, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "OK" : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
	return ok ? 0 : 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&t, &t) < 0 && errno == EINTR) {
	}
}

static volatile sig_atomic_t handled, alarmed;
static volatile pid_t handled_pid;

static void count(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	handled++;
	handled_pid = info->si_pid;
}

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static void catch_sigchld(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = count;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(SIGCHLD, &sa, NULL);
}

/* A SIGALRM handler (with SA_RESTART, which these calls ignore) after ms milliseconds. */
static void alarm_in(int ms)
{
	struct sigaction sa;
	struct itimerval t = {{0, 0}, {ms / 1000, (long)(ms % 1000) * 1000}};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	alarmed = 0;
	setitimer(ITIMER_REAL, &t, NULL);
}

static void block(int sig, bool on)
{
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(on ? SIG_BLOCK : SIG_UNBLOCK, &one, NULL);
}

/* Whether pid sleeps in a system call (/proc/pid/syscall names one, the state is S); bounded. */
static bool await_blocked(pid_t pid)
{
	char path[64], stat[64], buf[256];
	double end = now() + 10;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
	while (now() < end) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0) {
			close(fd);
		}
		if (n > 0 && buf[0] >= '0' && buf[0] <= '9') {
			fd = open(stat, O_RDONLY);
			n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
			if (fd >= 0) {
				close(fd);
			}
			buf[n > 0 ? n : 0] = '\0';
			char *paren = strrchr(buf, ')');
			if (paren != NULL && paren[1] == ' ' && paren[2] == 'S') {
				return true;
			}
		}
		sched_yield();
	}
	return false;
}

/* The children of this process, from the kernel's child lists: how many are zombies, how many not. */
static void children(int *zombies, int *live)
{
	char buf[65536], path[64], stat[256];
	int fd = open("/proc/self/task/1/children", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	*zombies = *live = 0;
	if (fd >= 0) {
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf, *end; *p != '\0'; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p) {
			break;
		}
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
		if (fd >= 0) {
			close(fd);
		}
		stat[n > 0 ? n : 0] = '\0';
		char *paren = strrchr(stat, ')');
		if (paren != NULL && paren[1] == ' ' && paren[2] == 'Z') {
			++*zombies;
		} else if (n > 0) {
			++*live;
		}
	}
}

static int zombie_children(void)
{
	int zombies, live;

	children(&zombies, &live);
	return zombies;
}

/* Once every child has ended (bounded), whether no zombie is left within the given time. */
static bool no_zombies_within(double seconds)
{
	double end = now() + 5;
	int zombies, live;

	for (children(&zombies, &live); live != 0 && now() < end; children(&zombies, &live)) {
		nap_ms(1);
	}
	for (end = now() + seconds; zombies != 0 && now() < end; children(&zombies, &live)) {
		nap_ms(2);
	}
	return zombies == 0 && live == 0;
}

/* n orphans, made through a middle child that exits: they wait until *gate is closed, then exit. */
static void make_orphans(int n, int *gate)
{
	int fds[2];
	pid_t middle;

	if (pipe(fds) != 0) {
		exit(2);
	}
	middle = fork();
	if (middle == 0) {
		close(fds[1]);
		for (int i = 0; i < n; i++) {
			if (fork() == 0) {
				char c;
				while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
				}
				_exit(0);
			}
		}
		_exit(0);
	}
	close(fds[0]);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR) {
	}
	*gate = fds[1];
}

/* --- 4: popen and fclose ----------------------------------------------------------------------- */

static int drain_and_fclose(FILE *f)
{
	char buf[64];

	while (fgets(buf, sizeof(buf), f) != NULL) {
	}
	return fclose(f);
}

static int popen_fclose(void)
{
	FILE *a, *b, *c, *d, *w;
	int ra, rb, rc, rd, rw, st = 0;
	pid_t left;
	char detail[160];

	a = popen("exit 3", "r");
	b = popen("exit 4", "r");
	c = popen("exit 5", "r");
	rb = drain_and_fclose(b); /* from the middle of the list of streams */
	d = popen("exit 6", "r"); /* closes the other streams' descriptors in its child */
	ra = pclose(a);
	rc = drain_and_fclose(c);
	rd = drain_and_fclose(d);
	w = popen("cat >/dev/null; exit 7", "w");
	fputs("text\n", w);
	rw = fclose(w);
	errno = 0;
	left = waitpid(-1, &st, WNOHANG);
	snprintf(detail, sizeof(detail), "statuses %#x %#x %#x %#x %#x, then waitpid(-1) = %d (%s)", ra, rb, rc, rd, rw,
		 (int)left, strerror(errno));
	return verdict("popen_fclose",
		       ra == 3 << 8 && rb == 4 << 8 && rc == 5 << 8 && rd == 6 << 8 && rw == 7 << 8 && left == -1 &&
			       errno == ECHILD,
		       detail);
}

/* --- 5: a worker's own SIGCHLD disposition ---------------------------------------------------- */

/* In a grandchild of PID 1 whose parent (the worker) set a handler. */
static int keeps_handler(void)
{
	struct sigaction now_set;
	pid_t d;

	sigaction(SIGCHLD, NULL, &now_set);
	if (!(now_set.sa_flags & SA_SIGINFO) || now_set.sa_sigaction != count) {
		return 1;
	}
	block(SIGCHLD, true);
	d = fork();
	if (d == 0) {
		_exit(0);
	}
	waitpid(d, NULL, 0);
	handled = 0;
	block(SIGCHLD, false);
	return handled == 1 ? 0 : 1;
}

/* In a grandchild of PID 1 whose parent set SIG_IGN: its child is reaped by the kernel. */
static int keeps_ignore(void)
{
	pid_t d = fork();
	pid_t r;

	if (d == 0) {
		_exit(0);
	}
	r = waitpid(d, NULL, 0);
	return r == -1 && errno == ECHILD ? 0 : 1;
}

/* The worker's child reports on a pipe: with SIG_IGN the worker cannot collect its status. */
static int worker(const char *name, bool ignore)
{
	int status = 0, report[2];
	pid_t w;

	if (pipe(report) != 0) {
		return verdict(name, false, "pipe failed");
	}
	w = fork();
	if (w == 0) {
		char verdict_byte = 1;

		if (ignore) {
			signal(SIGCHLD, SIG_IGN);
		} else {
			catch_sigchld(SA_RESTART);
		}
		if (fork() == 0) {
			verdict_byte = (char)(ignore ? keeps_ignore() : keeps_handler());
			_exit(write(report[1], &verdict_byte, 1) == 1 ? 0 : 1);
		}
		close(report[1]);
		verdict_byte = 1;
		while (read(report[0], &verdict_byte, 1) < 0 && errno == EINTR) {
		}
		_exit(verdict_byte);
	}
	close(report[1]);
	waitpid(w, &status, 0);
	close(report[0]);
	return verdict(name, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       ignore ? "the worker's SIG_IGN was lost in its child" : "the worker's handler was lost in its child");
}

/* --- 6: children made with clone() ------------------------------------------------------------ */

/* In the child: its own child ends while it sleeps; whether the sleep was whole. */
static int sleeps_through_own_child(void *arg)
{
	struct timespec t = {0, SLEEP_MS * 1000000L};
	pid_t self = getpid();
	long grandchild;
	int r;

	(void)arg;
	grandchild = syscall(SYS_fork); /* a raw fork: the CLONE_VM child shares the caller's memory */
	if (grandchild == 0) {
		syscall(SYS_exit_group, await_blocked(self) ? 0 : 1);
	}
	r = nanosleep(&t, NULL);
	return r == 0 && waitpid((pid_t)grandchild, NULL, WNOHANG) == grandchild ? 0 : 1;
}

static int clone_sleep(const char *name, int flags)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	int status = 0;
	pid_t c = clone(sleeps_through_own_child, stack + sizeof(stack), flags | SIGCHLD, NULL);

	if (c < 0 || waitpid(c, &status, 0) != c) {
		return verdict(name, false, "clone or waitpid failed");
	}
	return verdict(name, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "the clone child's sleep was cut short by its own child's exit");
}

/* The same for the other ways to make a copy of the process: _Fork and syscall(SYS_clone). */
static int fork_sleep(const char *name, bool raw)
{
	int status = 0;
	pid_t c = raw ? (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0) : _Fork();

	if (c == 0) {
		_exit(sleeps_through_own_child(NULL));
	}
	if (c < 0 || waitpid(c, &status, 0) != c) {
		return verdict(name, false, "the fork or waitpid failed");
	}
	return verdict(name, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "the child's sleep was cut short by its own child's exit");
}

/* --- 18: system and pclose with SIGCHLD blocked ------------------------------------------------ */

static int blocked_shell(const char *name, bool use_popen)
{
	int r;
	char detail[128];

	catch_sigchld(SA_RESTART);
	block(SIGCHLD, true);
	handled = 0;
	if (use_popen) {
		FILE *f = popen("exit 4", "r");
		char buf[16];
		while (fgets(buf, sizeof(buf), f) != NULL) {
		}
		r = pclose(f);
	} else {
		r = system("exit 4");
	}
	block(SIGCHLD, false);
	snprintf(detail, sizeof(detail), "status %#x, the handler ran %d times", r, (int)handled);
	signal(SIGCHLD, SIG_DFL);
	return verdict(name, r == 4 << 8 && handled == 1, detail);
}

/* --- 19: sleep's rounding; invalid signals ----------------------------------------------------- */

/* A round in which the handler came late (a loaded machine) proves nothing and is repeated. */
static int sleep_rounding(void)
{
	char detail[96] = "the alarm never came in time";

	for (int round = 0; round < 5; round++) {
		double start = now(), took;
		unsigned left;

		alarm_in(SLEEP_MS);
		left = sleep(3); /* about 2.7 s are left */
		took = now() - start;
		if (alarmed && took < 0.9) {
			snprintf(detail, sizeof(detail), "sleep(3) cut short after %.2f s returned %u", took, left);
			return verdict("sleep_rounding", left == 2, detail);
		}
	}
	return verdict("sleep_rounding", false, detail);
}

static int sigaction_invalid(void)
{
	struct sigaction sa, old;
	bool ok = true;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = count;
	sa.sa_flags = SA_SIGINFO;
	for (int sig = 32; sig <= 33; sig++) {
		errno = 0;
		ok &= sigaction(sig, &sa, NULL) == -1 && errno == EINVAL;
		errno = 0;
		ok &= sigaction(sig, NULL, &old) == -1 && errno == EINVAL;
		errno = 0;
		ok &= signal(sig, SIG_IGN) == SIG_ERR && errno == EINVAL;
		errno = 0;
		ok &= sigaction(sig, NULL, &old) == -1 && errno == EINVAL;
	}
	return verdict("sigaction_invalid", ok, "a call on signal 32 or 33 did not fail with EINVAL");
}

/* --- 17: blocking calls an own child's exit must not cut short ------------------------------- */

static struct pollfd idle_fd;
static struct timespec sleep_ts = {0, SLEEP_MS * 1000000L};

/* Each returns whether the call slept as it should: to its timeout (errno untouched when that is a
 * success), or until the SIGALRM of alarm_in() for calls without a timeout. */
static bool until_alarm(int r)
{
	return r == -1 && errno == EINTR && alarmed;
}

static bool call_poll_chk(void)
{
	return __poll_chk(&idle_fd, 1, SLEEP_MS, sizeof(idle_fd)) == 0 && errno == ERANGE;
}

static bool call_ppoll_chk(void)
{
	return __ppoll_chk(&idle_fd, 1, &sleep_ts, NULL, sizeof(idle_fd)) == 0 && errno == ERANGE;
}

static bool call___poll(void)
{
	return __poll(&idle_fd, 1, SLEEP_MS) == 0 && errno == ERANGE;
}

static bool call_poll(void)
{
	return poll(&idle_fd, 1, SLEEP_MS) == 0 && errno == ERANGE;
}

static bool call_ppoll(void)
{
	return ppoll(&idle_fd, 1, &sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call_select(void)
{
	struct timeval t = {0, SLEEP_MS * 1000};

	return select(0, NULL, NULL, NULL, &t) == 0 && errno == ERANGE;
}

static bool call_pselect(void)
{
	return pselect(0, NULL, NULL, NULL, &sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call_epoll_wait(void)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok = epoll_wait(ep, &ev, 1, SLEEP_MS) == 0 && errno == ERANGE;

	close(ep);
	return ok;
}

static bool call_epoll_pwait(void)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok = epoll_pwait(ep, &ev, 1, SLEEP_MS, NULL) == 0 && errno == ERANGE;

	close(ep);
	return ok;
}

static bool call_clock_nanosleep(void)
{
	return clock_nanosleep(CLOCK_MONOTONIC, 0, &sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call___select(void)
{
	struct timeval t = {0, SLEEP_MS * 1000};

	return __select(0, NULL, NULL, NULL, &t) == 0 && errno == ERANGE;
}

static bool call_epoll_pwait2(void)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok = epoll_pwait2(ep, &ev, 1, &sleep_ts, NULL) == 0 && errno == ERANGE;

	close(ep);
	return ok;
}

static bool call_nanosleep(void)
{
	return nanosleep(&sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call___nanosleep(void)
{
	return __nanosleep(&sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call_usleep(void)
{
	return usleep(SLEEP_MS * 1000) == 0 && errno == ERANGE;
}

static bool call_sleep(void)
{
	return sleep(1) == 0 && errno == ERANGE;
}

static bool call_thrd_sleep(void)
{
	return thrd_sleep(&sleep_ts, NULL) == 0 && errno == ERANGE;
}

static bool call_sigpause_bsd(void)
{
	alarm_in(SLEEP_MS);
	return until_alarm(bsd_sigpause(0));
}

static bool call_sigpause_xpg(void)
{
	alarm_in(SLEEP_MS);
	return until_alarm(sigpause(SIGUSR2));
}

static bool call___sigpause(void)
{
	alarm_in(SLEEP_MS);
	return until_alarm(__sigpause(0, 0));
}

static bool call___sigsuspend(void)
{
	sigset_t none;

	sigemptyset(&none);
	alarm_in(SLEEP_MS);
	return until_alarm(__sigsuspend(&none));
}

static bool call_sigsuspend(void)
{
	sigset_t none;

	sigemptyset(&none);
	alarm_in(SLEEP_MS);
	return until_alarm(sigsuspend(&none));
}

static bool call_sigtimedwait(void)
{
	sigset_t usr2;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	return sigtimedwait(&usr2, NULL, &sleep_ts) == -1 && errno == EAGAIN;
}

static bool call_sigwaitinfo(void)
{
	sigset_t alarm_set;
	int r;

	sigemptyset(&alarm_set);
	sigaddset(&alarm_set, SIGALRM);
	block(SIGALRM, true);
	alarm_in(SLEEP_MS);
	r = sigwaitinfo(&alarm_set, NULL);
	block(SIGALRM, false);
	return r == SIGALRM && errno == ERANGE;
}

static bool call_pause(void)
{
	alarm_in(SLEEP_MS);
	return until_alarm(pause());
}

static bool call_sigwait(void)
{
	sigset_t alarm_set;
	int sig = 0, r;

	sigemptyset(&alarm_set);
	sigaddset(&alarm_set, SIGALRM);
	block(SIGALRM, true);
	alarm_in(SLEEP_MS);
	r = sigwait(&alarm_set, &sig);
	block(SIGALRM, false);
	return r == 0 && sig == SIGALRM && errno == ERANGE;
}

static bool call_semtimedop(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf down = {0, -1, 0};
	bool ok = semtimedop(id, &down, 1, &sleep_ts) == -1 && errno == EAGAIN;

	semctl(id, 0, IPC_RMID);
	return ok;
}

static bool call_semop(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf down = {0, -1, 0};
	bool ok;

	alarm_in(SLEEP_MS);
	ok = until_alarm(semop(id, &down, 1));
	semctl(id, 0, IPC_RMID);
	return ok;
}

static bool call_msgrcv(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	struct {
		long type;
		char text[8];
	} m;
	bool ok;

	alarm_in(SLEEP_MS);
	ok = until_alarm((int)msgrcv(id, &m, sizeof(m.text), 0, 0));
	msgctl(id, IPC_RMID, NULL);
	return ok;
}

static bool call_msgsnd(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	struct msqid_ds ds;
	struct {
		long type;
		char text[8];
	} m = {1, "full"};
	bool ok;

	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = sizeof(m.text);
	msgctl(id, IPC_SET, &ds);
	msgsnd(id, &m, sizeof(m.text), IPC_NOWAIT); /* the queue is full now */
	alarm_in(SLEEP_MS);
	ok = until_alarm(msgsnd(id, &m, sizeof(m.text), 0));
	msgctl(id, IPC_RMID, NULL);
	return ok;
}

static struct timespec in_ms(clockid_t clock, int ms)
{
	struct timespec t;

	clock_gettime(clock, &t);
	t.tv_nsec += (long)ms * 1000000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	return t;
}

static bool call_sem_timedwait(void)
{
	sem_t s;
	struct timespec at = in_ms(CLOCK_REALTIME, SLEEP_MS);

	sem_init(&s, 0, 0);
	return sem_timedwait(&s, &at) == -1 && errno == ETIMEDOUT;
}

static bool call_sem_clockwait(void)
{
	sem_t s;
	struct timespec at = in_ms(CLOCK_MONOTONIC, SLEEP_MS);

	sem_init(&s, 0, 0);
	return sem_clockwait(&s, CLOCK_MONOTONIC, &at) == -1 && errno == ETIMEDOUT;
}

static bool call_aio_suspend(void)
{
	static char byte;
	struct aiocb cb;
	const struct aiocb *list[1] = {&cb};
	int fds[2];
	bool ok;

	if (pipe(fds) != 0) {
		return false;
	}
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fds[0];
	cb.aio_buf = &byte;
	cb.aio_nbytes = 1;
	aio_read(&cb);
	ok = aio_suspend(list, 1, &sleep_ts) == -1 && errno == EAGAIN;
	close(fds[1]); /* the read ends */
	while (aio_error(&cb) == EINPROGRESS) {
		nap_ms(1);
	}
	close(fds[0]);
	return ok;
}

static bool call_io_getevents(void)
{
	aio_context_t ctx = 0;
	struct io_event ev;
	bool ok;

	if (syscall(SYS_io_setup, 1, &ctx) != 0) {
		return errno == ENOSYS || errno == EPERM; /* not here: nothing to check */
	}
	errno = ERANGE;
	ok = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &sleep_ts) == 0 && errno == ERANGE;
	syscall(SYS_io_destroy, ctx);
	return ok;
}

static bool call_io_uring_enter(void)
{
	struct io_uring_params params;
	struct __kernel_timespec ts = {0, SLEEP_MS * 1000000LL};
	struct io_uring_getevents_arg arg = {.ts = (unsigned long long)(unsigned long)&ts};
	int fd;
	bool ok;

	memset(&params, 0, sizeof(params));
	fd = (int)syscall(SYS_io_uring_setup, 1, &params);
	if (fd < 0 || !(params.features & IORING_FEAT_EXT_ARG)) {
		return fd < 0; /* not here: nothing to check */
	}
	ok = syscall(SYS_io_uring_enter, fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg)) ==
		     -1 &&
	     errno == ETIME;
	close(fd);
	return ok;
}

struct blocking {
	const char *name;
	bool (*call)(void);
};

static const struct blocking blocking_calls[] = {
	{"poll", call_poll},
	{"__poll", call___poll},
	{"__poll_chk", call_poll_chk},
	{"__ppoll_chk", call_ppoll_chk},
	{"ppoll", call_ppoll},
	{"select", call_select},
	{"__select", call___select},
	{"pselect", call_pselect},
	{"epoll_wait", call_epoll_wait},
	{"epoll_pwait", call_epoll_pwait},
	{"epoll_pwait2", call_epoll_pwait2},
	{"nanosleep", call_nanosleep},
	{"__nanosleep", call___nanosleep},
	{"clock_nanosleep", call_clock_nanosleep},
	{"usleep", call_usleep},
	{"sleep", call_sleep},
	{"thrd_sleep", call_thrd_sleep},
	{"sigpause", call_sigpause_bsd},
	{"__xpg_sigpause", call_sigpause_xpg},
	{"__sigpause", call___sigpause},
	{"sigsuspend", call_sigsuspend},
	{"__sigsuspend", call___sigsuspend},
	{"pause", call_pause},
	{"sigwait", call_sigwait},
	{"sigwaitinfo", call_sigwaitinfo},
	{"sigtimedwait", call_sigtimedwait},
	{"semop", call_semop},
	{"semtimedop", call_semtimedop},
	{"msgrcv", call_msgrcv},
	{"msgsnd", call_msgsnd},
	{"sem_timedwait", call_sem_timedwait},
	{"sem_clockwait", call_sem_clockwait},
	{"aio_suspend", call_aio_suspend},
	{"io_getevents", call_io_getevents},
	{"io_uring_enter", call_io_uring_enter},
};

/* The call runs while an own child (made just before it) ends; the child waits until the call
 * blocks. A round in which the child did not end during the call proves nothing and is repeated. */
static int own_exit(const struct blocking *b)
{
	char name[64];

	snprintf(name, sizeof(name), "own_exit:%s", b->name);
	idle_fd.fd = -1; /* poll ignores it: nothing is ever ready */
	for (int round = 0; round < 10; round++) {
		pid_t parent = getpid(), child = fork();
		int status = 0;
		bool slept;

		if (child == 0) {
			_exit(await_blocked(parent) ? 0 : 1);
		}
		errno = ERANGE;
		slept = b->call();
		if (waitpid(child, &status, WNOHANG) == child) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				return verdict(name, slept, "cut short by an own child's exit, or errno changed");
			}
		} else {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
		}
	}
	return verdict(name, false, "the child never ended while the call blocked");
}

/* --- 9: SIGCHLD blocked in every thread, taken with the sigwait family ------------------------ */

enum taker { BY_SIGWAIT, BY_SIGWAITINFO, BY_SIGTIMEDWAIT };
static enum taker taker;
static volatile int sigchld_taken;

static void *take_signals(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		struct timespec second = {1, 0};
		siginfo_t info;
		int sig = -1;

		switch (taker) {
		case BY_SIGWAIT:
			sigwait(&set, &sig);
			break;
		case BY_SIGWAITINFO:
			sig = sigwaitinfo(&set, &info);
			break;
		case BY_SIGTIMEDWAIT:
			sig = sigtimedwait(&set, &info, &second);
			break;
		}
		if (sig == SIGUSR1) {
			return NULL;
		}
		sigchld_taken += sig == SIGCHLD;
	}
}

static int sigwait_orphans(const char *name, enum taker how)
{
	pthread_t thread;
	sigset_t set;
	int gate;
	bool clean;
	char detail[96];

	taker = how;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* in every thread: the new one inherits it */
	pthread_create(&thread, NULL, take_signals, NULL);
	make_orphans(20, &gate);
	close(gate);
	clean = no_zombies_within(5);
	snprintf(detail, sizeof(detail), "%d zombie orphans left, SIGCHLD taken %d times", zombie_children(),
		 (int)sigchld_taken);
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
	return verdict(name, clean, detail);
}

/* --- 10: SIGCHLD blocked, then ignored ------------------------------------------------------- */

static int blocked_then(const char *name, bool ignore)
{
	struct sigaction sa;
	int gate;
	bool clean;
	char detail[64];

	block(SIGCHLD, true);
	make_orphans(1, &gate);
	close(gate);
	for (double end = now() + 5; zombie_children() == 0 && now() < end;) {
		nap_ms(1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ignore ? SIG_IGN : SIG_DFL;
	sa.sa_flags = ignore ? 0 : SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	clean = no_zombies_within(3);
	snprintf(detail, sizeof(detail), "%d zombie orphans left", zombie_children());
	return verdict(name, clean, detail);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "";
	int failed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(which, "popen_fclose") == 0) {
		return popen_fclose();
	}
	if (strcmp(which, "worker_handler") == 0) {
		return worker(which, false);
	}
	if (strcmp(which, "worker_ignore") == 0) {
		return worker(which, true);
	}
	if (strcmp(which, "clone_sleep") == 0) {
		return clone_sleep(which, 0);
	}
	if (strcmp(which, "clone_vm_sleep") == 0) {
		return clone_sleep(which, CLONE_VM | CLONE_VFORK);
	}
	if (strcmp(which, "fork_sleep:_Fork") == 0) {
		return fork_sleep(which, false);
	}
	if (strcmp(which, "fork_sleep:raw_clone") == 0) {
		return fork_sleep(which, true);
	}
	if (strcmp(which, "system_blocked") == 0) {
		return blocked_shell(which, false);
	}
	if (strcmp(which, "pclose_blocked") == 0) {
		return blocked_shell(which, true);
	}
	if (strcmp(which, "sleep_rounding") == 0) {
		return sleep_rounding();
	}
	if (strcmp(which, "sigaction_invalid") == 0) {
		return sigaction_invalid();
	}
	if (strncmp(which, "own_exit", 8) == 0) {
		bool all = strcmp(which, "own_exit") == 0;
		bool any = false;

		for (size_t i = 0; i < sizeof(blocking_calls) / sizeof(blocking_calls[0]); i++) {
			if (all || (which[8] == ':' && strcmp(which + 9, blocking_calls[i].name) == 0)) {
				failed |= own_exit(&blocking_calls[i]);
				any = true;
			}
		}
		if (any) {
			return failed;
		}
	}
	if (strcmp(which, "sigwait_orphans:sigwait") == 0) {
		return sigwait_orphans(which, BY_SIGWAIT);
	}
	if (strcmp(which, "sigwait_orphans:sigwaitinfo") == 0) {
		return sigwait_orphans(which, BY_SIGWAITINFO);
	}
	if (strcmp(which, "sigwait_orphans:sigtimedwait") == 0) {
		return sigwait_orphans(which, BY_SIGTIMEDWAIT);
	}
	if (strcmp(which, "blocked_then:ignore") == 0) {
		return blocked_then(which, true);
	}
	if (strcmp(which, "blocked_then:nocldwait") == 0) {
		return blocked_then(which, false);
	}
	fprintf(stderr, "usage: review_sig CASE (see the comment at the top of review_sig.c)\n");
	return 2;
}
