/* review_cases: defects a review of the library found, each checked against what libc does. Run
 * as PID 1 with and without the shim; both must print "OK <case>" and exit 0.
 *   late_sigchld     SIGCHLD blocked, fork, waitpid, unblock: the handler still runs once
 *   threaded_reports a thread takes every SIGCHLD while another forks and waits, one child at a
 *                    time: the handler hears of every child exactly once, and a spinning
 *                    fcntl(F_GETFD) never fails with EINTR
 *   inert_sleep      a forked child of PID 1 with SIGCHLD at SIG_DFL sleeps through its own
 *                    child's exit
 *   sigtimedwait     sigtimedwait times out with EAGAIN although an orphan exits meanwhile
 *   pi_mutex         a priority-inheritance mutex is not taken while it is held, whatever SIGCHLD
 *                    arrives (pacing sleeps only order the threads; the check is a flag) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long handled;

static void count(int sig)
{
	(void)sig;
	handled++;
}

static void on_sigchld(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count;
	sa.sa_flags = flags;
	sigaction(SIGCHLD, &sa, NULL);
}

static int verdict(const char *name, int ok, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "OK" : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
	return ok ? 0 : 1;
}

static int late_sigchld(void)
{
	sigset_t chld, old;
	int status = 0;
	pid_t pid;

	on_sigchld(SA_RESTART);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid = fork();
	if (pid == 0) {
		_exit(3);
	}
	waitpid(pid, &status, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return verdict("late_sigchld", handled == 1 && WEXITSTATUS(status) == 3, "the handler did not run once");
}

static volatile int stop_spinning;
static volatile long spurious_eintr;

static void *spin(void *arg)
{
	(void)arg;
	while (!stop_spinning) {
		if (fcntl(0, F_GETFD) < 0 && errno == EINTR) {
			spurious_eintr++;
		}
	}
	return NULL;
}

/* Whether the handler has run `runs` times, within a bounded poll (the spinning thread takes the
 * signal whenever the scheduler lets it run). */
static bool handler_reached(long runs)
{
	struct timespec start, now, pause = {0, 100000};

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (handled >= runs) {
			return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 5) {
			return false;
		}
		nanosleep(&pause, NULL);
	}
}

static int threaded_reports(void)
{
	const int forks = 500;
	sigset_t chld;
	pthread_t spinner;
	char detail[96];
	int missed = 0;

	on_sigchld(SA_NOCLDSTOP); /* no SA_RESTART */
	pthread_create(&spinner, NULL, spin, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL); /* SIGCHLD goes to the spinning thread */
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			_exit(0);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
		/* One child at a time, each report awaited before the next fork: no signal can merge. */
		if (!handler_reached(i + 1 - missed)) {
			missed++;
		}
	}
	stop_spinning = 1;
	pthread_join(spinner, NULL);
	snprintf(detail, sizeof(detail), "handler ran %ld times for %d children, fcntl EINTR %ld", handled, forks,
		 spurious_eintr);
	return verdict("threaded_reports", missed == 0 && handled == forks && spurious_eintr == 0, detail);
}

static int inert_sleep(void)
{
	int status = 0;
	pid_t child = fork();

	if (child == 0) {
		if (fork() == 0) {
			usleep(100000); /* ends while its parent sleeps */
			_exit(0);
		}
		_exit(sleep(1) == 0 ? 0 : 1);
	}
	waitpid(child, &status, 0);
	return verdict("inert_sleep", WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "the child's sleep was cut short by its own child's exit");
}

static int sigtimed(void)
{
	sigset_t term;
	struct timespec timeout = {1, 0};
	int r;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	if (fork() == 0) {
		if (fork() == 0) {
			usleep(200000); /* an orphan that ends during the wait */
			_exit(0);
		}
		_exit(0);
	}
	r = sigtimedwait(&term, NULL, &timeout);
	return verdict("sigtimedwait", r == -1 && errno == EAGAIN, "expected -1 EAGAIN at the timeout");
}

static pthread_mutex_t pi;
static volatile int released;

static void *hold(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pi);
	sleep(1);
	released = 1;
	pthread_mutex_unlock(&pi);
	return NULL;
}

static void *take(void *arg)
{
	sigset_t chld;
	int *ok = arg;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	*ok = pthread_mutex_lock(&pi) == 0 && released;
	pthread_mutex_unlock(&pi);
	return NULL;
}

static int pi_mutex(void)
{
	pthread_mutexattr_t attr;
	pthread_t holder, taker;
	sigset_t chld;
	int ok = 0;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&pi, &attr);
	on_sigchld(0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL);
	pthread_create(&holder, NULL, hold, NULL);
	usleep(100000);
	pthread_create(&taker, NULL, take, &ok);
	usleep(300000);
	kill(getpid(), SIGCHLD);
	pthread_join(taker, NULL);
	pthread_join(holder, NULL);
	return verdict("pi_mutex", ok, "the mutex was taken while held");
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(which, "late_sigchld") == 0) {
		return late_sigchld();
	}
	if (strcmp(which, "threaded_reports") == 0) {
		return threaded_reports();
	}
	if (strcmp(which, "inert_sleep") == 0) {
		return inert_sleep();
	}
	if (strcmp(which, "sigtimedwait") == 0) {
		return sigtimed();
	}
	if (strcmp(which, "pi_mutex") == 0) {
		return pi_mutex();
	}
	fprintf(stderr, "usage: review_cases late_sigchld|threaded_reports|inert_sleep|sigtimedwait|pi_mutex\n");
	return 2;
}
