/* core_threads: several threads create and wait for children at once, under a storm of foreign
 * orphans; and many children are alive at once (issue 2, property 7). Every own status arrives
 * exactly once and exact; no foreign pid is returned.
 * Usage: core_threads threads|anywait|many|churn|all */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

extern char **environ;

#define THREADS 4

/* ---- each thread its own children, pid-specific waits ---------------------------------------- */

static pid_t make_child(int how, int code)
{
	pid_t pid = -1;
	switch (how % 3) {
	case 0:
		pid = fork();
		if (pid == 0) {
			_exit(code);
		}
		break;
	case 1:
		pid = vfork();
		if (pid == 0) {
			_exit(code);
		}
		break;
	default: {
		char cmd[32];
		snprintf(cmd, sizeof cmd, "exit %d", code);
		char *argv[] = { (char *)"sh", (char *)"-c", cmd, NULL };
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0) {
			pid = -1;
		}
		break;
	}
	}
	return pid;
}

static pid_t wait_child(int how, pid_t pid, int *status)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	switch (how % 4) {
	case 0:
		return waitpid(pid, status, 0);
	case 1:
		return wait4(pid, status, 0, NULL);
	case 2:
		if (waitid(P_PID, (id_t)pid, &si, WEXITED) != 0) {
			return -1;
		}
		break;
	default: {
		int fd = scn_pidfd(pid);
		int r = fd < 0 ? -1 : waitid(P_PIDFD, (id_t)fd, &si, WEXITED);
		if (fd >= 0) {
			close(fd);
		}
		if (r != 0) {
			return -1;
		}
		break;
	}
	}
	*status = st_from_siginfo(&si);
	return si.si_pid;
}

static void *own_worker(void *arg)
{
	int t = (int)(long)arg;
	int n = scn_scale(25);
	for (int i = 0; i < n; i++) {
		int code = (t * 50 + i) % 250 + 1;
		int how = t + i;
		pid_t pid = make_child(how, code);
		if (pid < 0) {
			scn_fail("thread %d: could not make a child: %s", t, strerror(errno));
			continue;
		}
		own_add(pid, st_exit(code));
		int status;
		pid_t got;
		while ((got = wait_child(how, pid, &status)) < 0 && errno == EINTR) {
		}
		if (got == pid) {
			own_collect("pid-specific wait in a thread", got, status);
		} else {
			scn_fail("thread %d: wait for %d: got %d (%s)", t, (int)pid, (int)got, strerror(errno));
		}
	}
	return NULL;
}

static void run_threads(void *(*fn)(void *), int n)
{
	pthread_t th[THREADS];
	for (int t = 0; t < n; t++) {
		if (pthread_create(&th[t], NULL, fn, (void *)(long)t) != 0) {
			scn_broken("pthread_create");
		}
	}
	for (int t = 0; t < n; t++) {
		pthread_join(th[t], NULL);
	}
}

static void variant_threads(void)
{
	scn_stage("threads", 60);
	run_threads(own_worker, THREADS);
	scn_say("%d threads made and waited for %d children each", THREADS, scn_scale(25));
}

/* ---- two threads make children, two wait for any child --------------------------------------- */

static atomic_int made, collected;
static int per_maker;

static void *maker(void *arg)
{
	int t = (int)(long)arg;
	for (int i = 0; i < per_maker; i++) {
		struct gate g;
		gate_make(&g);
		kid_gated(&g, i % 5 == 4 ? -SIGKILL : (t * 100 + i) % 250 + 1); /* registered before it can end */
		atomic_fetch_add(&made, 1);
		gate_release(&g, 1);
		gate_close(&g);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	int t = (int)(long)arg;
	double end = scn_now() + (scn_stress() ? 300 : 60);
	while (atomic_load(&collected) < 2 * per_maker && scn_now() < end) {
		int status;
		pid_t pid = t == 0 ? waitpid(-1, &status, WNOHANG) : wait4(-1, &status, WNOHANG, NULL);
		if (pid > 0) {
			if (own_collect("wait for any child in a thread", pid, status) || own_is(pid)) {
				atomic_fetch_add(&collected, 1);
			}
		} else if (pid < 0 && errno != EINTR) {
			scn_fail("waiter thread: %s", strerror(errno));
			break;
		} else {
			scn_nap(0.0002);
		}
	}
	return NULL;
}

static void *anywait_thread(void *arg)
{
	int t = (int)(long)arg;
	return t < 2 ? maker((void *)(long)t) : waiter((void *)(long)(t - 2));
}

static void variant_anywait(void)
{
	scn_stage("anywait", 60);
	per_maker = scn_scale(30);
	run_threads(anywait_thread, 4);
	scn_expect_int("children collected by the waiter threads", 2 * per_maker, atomic_load(&collected));
	scn_say("2 threads made %d children, 2 threads collected them", 2 * per_maker);
}

/* ---- many children alive at once ------------------------------------------------------------ */

static void variant_many(void)
{
	scn_stage("many", 60);
	int n = scn_stress() ? 3000 : 1000; /* pids are shared with the whole machine */
	struct gate g;
	gate_make(&g);
	for (int i = 0; i < n; i++) {
		kid_gated(&g, i % 250 + 1);
	}
	storm_batches(1);
	gate_release(&g, n);
	int got = 0;
	for (int i = 0; i < n + 50 && got < n; i++) {
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			scn_fail("wait() with own children left: %s", strerror(errno));
			break;
		}
		if (own_collect("wait() among many", pid, status) || own_is(pid)) {
			got++;
		}
	}
	gate_close(&g);
	scn_expect_int("own children collected", n, got);
	scn_say("%d children alive at once, %d collected", n, got);
}

/* ---- births racing the registry's clean-ups ----------------------------------------------- */

/* Threads fork and wait by pid as fast as they can, and a handler of the program forks too, on
 * whichever of them it interrupts (a birth inside a birth, on one thread: _Fork): every few dozen births
 * the shim's registry clears its tombstones or grows while other births write into it, and not one
 * own child may be taken for a foreign orphan or listed after its end. */
#define HANDLER_KIDS_MAX 4096
static _Atomic pid_t handler_kids[HANDLER_KIDS_MAX];
static atomic_int handler_kid_count, handler_kids_collected;
static atomic_int churning;

static void fork_in_handler(int sig)
{
	int saved_errno = errno;
	int i = atomic_fetch_add(&handler_kid_count, 1);

	(void)sig;
	if (i < HANDLER_KIDS_MAX) {
		pid_t pid = _Fork(); /* fork is not async-signal-safe: it may interrupt libc's own fork */
		if (pid == 0) {
			/* Not _exit: an interposer's (ASan's) may wait for a lock another thread held. */
			syscall(SYS_exit_group, 7);
		}
		atomic_store(&handler_kids[i], pid != 0 ? pid : -1);
	}
	errno = saved_errno;
}

static void wait_for(pid_t pid, int expect, const char *via)
{
	int status;
	pid_t got;

	own_add(pid, expect);
	while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
	}
	if (got != pid) {
		scn_fail("%s: waitpid(%d): got %d (%s)", via, (int)pid, (int)got, strerror(errno));
		return;
	}
	own_collect(via, got, status);
}

/* Takes the next child a handler made, once its pid is written; false if there is none. */
static bool collect_handler_kid(void)
{
	int i = atomic_load(&handler_kids_collected);
	pid_t pid;

	if (i >= atomic_load(&handler_kid_count) || i >= HANDLER_KIDS_MAX || (pid = atomic_load(&handler_kids[i])) == 0 ||
	    !atomic_compare_exchange_strong(&handler_kids_collected, &i, i + 1)) {
		return false;
	}
	if (pid < 0) {
		scn_fail("fork in a handler failed");
		return true;
	}
	wait_for(pid, st_exit(7), "waitpid for a child forked in a handler");
	return true;
}

static void *churner(void *arg)
{
	int t = (int)(long)arg, n = scn_scale(1500);

	for (int i = 0; i < n; i++) {
		int code = (t * 7 + i) % 250 + 1;
		pid_t pid = fork();

		if (pid == 0) {
			_exit(code);
		}
		if (pid < 0) {
			scn_fail("thread %d: fork: %s", t, strerror(errno));
			break;
		}
		wait_for(pid, st_exit(code), "waitpid in a churning thread");
		collect_handler_kid();
	}
	atomic_fetch_sub(&churning, 1);
	return NULL;
}

static void variant_churn(void)
{
	pthread_t th[THREADS];
	struct sigaction act = { .sa_handler = fork_in_handler, .sa_flags = SA_RESTART }, dfl = { .sa_handler = SIG_DFL };

	scn_stage("churn", 120);
	sigaction(SIGUSR1, &act, NULL);
	atomic_store(&churning, THREADS);
	for (int t = 0; t < THREADS; t++) {
		if (pthread_create(&th[t], NULL, churner, (void *)(long)t) != 0) {
			scn_broken("pthread_create");
		}
	}
	/* Pacing only: the loop ends when the threads do. */
	for (int k = 0; atomic_load(&churning) > 0 && atomic_load(&handler_kid_count) < HANDLER_KIDS_MAX - THREADS; k++) {
		pthread_kill(th[k % THREADS], SIGUSR1);
		scn_nap(0.0002);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
	}
	sigaction(SIGUSR1, &dfl, NULL);
	while (collect_handler_kid()) {
	}
	scn_say("%d threads forked %d children each, and a handler forked on them", THREADS, scn_scale(1500));
}

static const struct scn_variant variants[] = {
	{ "threads", variant_threads },
	{ "anywait", variant_anywait },
	{ "many", variant_many },
	{ "churn", variant_churn },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
	return scn_variants_main(argc, argv, variants, N_VARIANTS, NULL, "usage: core_threads threads|anywait|many|churn|all");
}
