/* The storm of foreign orphans; see scn.h.
 *
 * The storm process S is an own child of the scenario. Per batch, S forks a middle process M that
 * forks grandchildren and exits at once; S collects M. The grandchildren are re-parented to PID 1
 * (or to the nearest subreaper) and are foreign there:
 *   - "exit":   waits until it is re-parented, exits with a varying code
 *   - "kill":   waits until it is re-parented, dies of SIGKILL
 *   - "stopee": waits until it is re-parented, then blocks until the stopper is done
 *   - "stopper": stops the stopee (SIGSTOP), waits until it is stopped, continues it, exits 3:
 *                the new parent gets a stop report and a continue report of a foreign child
 *   - "early":  exits at once, usually before M: it is handed over as a zombie
 * Every grandchild holds the write end of a pipe whose read end S watches, and M sends S their
 * pids through it: the batch has ended when all of them have died (zombies or reaped). S and the
 * scenario talk through a shared page. */
#include "scn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CMD_RUN, CMD_PAUSE, CMD_STOP };

/* Where nobody reaps (the negative controls), zombies pile up and every one holds a pid: the storm
 * holds back while the process they go to has this many children, so that no run can use up the
 * machine's pids (pid_max is often 32768, shared by everything on the machine). */
#define MAX_REAPER_CHILDREN 1500

struct storm_shm {
	atomic_long batches;   /* batches ended so far */
	atomic_int held_back;  /* the orphans' reaper has too many children: the storm waits */
	atomic_int cmd;
	atomic_int pause_req;  /* generation of the last pause request */
	atomic_int pause_ack;  /* generation S has paused for */
	atomic_int pgid;       /* process group later grandchildren join, 0 for none */
};

static struct storm_shm *shm;
static pid_t storm = -1;
static bool storm_on; /* orphans are made: SCN_STORM, and someone in the namespace reaps them */
static pid_t reaper;  /* where the orphans go (scn_orphan_reaper) */
static bool collected;

static void wait_reparented(pid_t old_parent)
{
	double end = scn_now() + 2;
	while (getppid() == old_parent && scn_now() < end) {
		scn_nap(0.0001);
	}
	pid_t pg = atomic_load(&shm->pgid);
	if (pg > 0) {
		setpgid(0, pg);
	}
}

static void grandchild_exit(pid_t middle, int code) __attribute__((noreturn));
static void grandchild_exit(pid_t middle, int code)
{
	wait_reparented(middle);
	_exit(code);
}

static void grandchild_kill(pid_t middle) __attribute__((noreturn));
static void grandchild_kill(pid_t middle)
{
	wait_reparented(middle);
	kill(getpid(), SIGKILL);
	_exit(99);
}

static void grandchild_stopee(pid_t middle, int go) __attribute__((noreturn));
static void grandchild_stopee(pid_t middle, int go)
{
	char c;
	wait_reparented(middle);
	while (read(go, &c, 1) < 0 && errno == EINTR) {
	}
	_exit(0);
}

static void grandchild_stopper(pid_t middle, pid_t stopee) __attribute__((noreturn));
static void grandchild_stopper(pid_t middle, pid_t stopee)
{
	wait_reparented(middle);
	kill(stopee, SIGSTOP);
	proc_wait_state(stopee, 'T', 2);
	for (int i = 0; i < 20 && proc_state(stopee) == 'T'; i++) {
		kill(stopee, SIGCONT);
		scn_nap(0.001);
	}
	_exit(3); /* closes the stopee's pipe: it exits too */
}

/* In M: tell S the pid of a grandchild; S makes sure it has died before the batch ends. */
static void tell(int done, pid_t pid)
{
	if (pid > 0 && write(done, &pid, sizeof pid) != (ssize_t)sizeof pid) {
		_exit(1);
	}
}

static void middle(long k, int done) __attribute__((noreturn));
static void middle(long k, int done)
{
	pid_t me = getpid();
	int go[2];
	if (pipe(go) != 0) {
		_exit(1);
	}
	int exits = scn_stress() ? 4 : 1;
	for (int i = 0; i < exits; i++) {
		pid_t g = fork();
		if (g == 0) {
			close(go[0]);
			close(go[1]);
			grandchild_exit(me, (int)((k + i) % 100) + 1);
		}
		tell(done, g);
	}
	pid_t g = fork();
	if (g == 0) {
		close(go[0]);
		close(go[1]);
		grandchild_kill(me);
	}
	tell(done, g);
	pid_t stopee = fork();
	if (stopee == 0) {
		close(go[1]);
		grandchild_stopee(me, go[0]);
	}
	tell(done, stopee);
	g = fork();
	if (g == 0) {
		close(go[0]);
		grandchild_stopper(me, stopee);
	}
	tell(done, g);
	g = fork();
	if (g == 0) {
		_exit(5);
	}
	tell(done, g);
	_exit(0);
}

/* A batch has ended when every grandchild has died: each has closed its end of `done` (early in
 * the kernel's exit), and then /proc shows it a zombie, or gone. */
static void batch(long k)
{
	int done[2];
	if (pipe2(done, O_CLOEXEC) != 0) {
		_exit(2);
	}
	pid_t m = fork();
	if (m == 0) {
		close(done[0]);
		middle(k, done[1]);
	}
	close(done[1]);
	int status;
	while (waitpid(m, &status, 0) < 0 && errno == EINTR) {
	}
	pid_t pids[32];
	size_t got = 0;
	struct pollfd pfd = { .fd = done[0], .events = POLLIN };
	double end = scn_now() + 10;
	while (scn_now() < end) {
		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		ssize_t n = read(done[0], (char *)pids + got, sizeof pids - got);
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	close(done[0]);
	for (size_t i = 0; i < got / sizeof(pid_t); i++) {
		for (;;) {
			char st = proc_state(pids[i]);
			if (st == 0 || st == 'Z' || st == 'X' || scn_now() > end) {
				break;
			}
			scn_nap(0.0001);
		}
	}
	atomic_fetch_add(&shm->batches, 1);
}

/* How many children the process the orphans go to has (its main thread's list: orphans go there). */
static int reaper_children(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)reaper, (int)reaper);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return 0;
	}
	int n = 0, pid;
	while (fscanf(f, "%d", &pid) == 1) {
		n++;
	}
	fclose(f);
	return n;
}

static void storm_main(void) __attribute__((noreturn));
static void storm_main(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP) {
			signal(sig, SIG_DFL);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	scn_close_from(3); /* hold none of the scenario's pipes */

	long k = 0;
	for (;;) {
		int cmd = atomic_load(&shm->cmd);
		if (cmd == CMD_STOP) {
			if (storm_on) {
				batch(k++); /* the last one: orphans the scenario's end must deal with */
			}
			_exit(STORM_EXIT);
		}
		if (cmd == CMD_PAUSE) {
			atomic_store(&shm->pause_ack, atomic_load(&shm->pause_req));
			scn_nap(0.001);
			continue;
		}
		if (!storm_on) {
			scn_nap(0.002);
			continue;
		}
		if (reaper_children() >= MAX_REAPER_CHILDREN) {
			atomic_store(&shm->held_back, 1);
			scn_nap(0.005);
			continue;
		}
		atomic_store(&shm->held_back, 0);
		batch(k++);
		if (!scn_stress()) {
			scn_nap(0.003); /* a storm, not a fork bomb: two runs share two cores */
		}
	}
}

void storm_start(void)
{
	storm_start_for(scn_orphan_reaper());
}

void storm_start_for(pid_t orphans_to)
{
	shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		scn_broken("mmap");
	}
	memset(shm, 0, sizeof *shm);
	reaper = orphans_to;
	storm_on = scn_storm_on() && reaper != 0;
	storm = own_fork(st_exit(STORM_EXIT));
	if (storm < 0) {
		scn_broken("fork storm");
	}
	if (storm == 0) {
		storm_main();
	}
}

pid_t storm_pid(void)
{
	return storm;
}

void storm_batches(int n)
{
	if (storm <= 0 || collected || !storm_on) {
		return;
	}
	long target = atomic_load(&shm->batches) + n;
	double end = scn_now() + (scn_stress() ? 50 : 10);
	/* held back, there are orphans enough: the point of waiting is made */
	while (atomic_load(&shm->batches) < target && !atomic_load(&shm->held_back)) {
		if (scn_now() > end) {
			scn_fail("the storm made no progress: %ld of %d batches", target - atomic_load(&shm->batches), n);
			return;
		}
		scn_nap(0.0005);
	}
}

void storm_pgid(pid_t pgid)
{
	if (shm != NULL) {
		atomic_store(&shm->pgid, (int)pgid);
	}
}

void storm_pause(void)
{
	if (storm <= 0 || collected) {
		return;
	}
	atomic_store(&shm->cmd, CMD_PAUSE);
	int gen = atomic_fetch_add(&shm->pause_req, 1) + 1;
	double end = scn_now() + (scn_stress() ? 50 : 10);
	while (atomic_load(&shm->pause_ack) != gen) {
		if (scn_now() > end) {
			scn_fail("the storm did not pause");
			return;
		}
		scn_nap(0.0005);
	}
}

void storm_resume(void)
{
	if (shm != NULL) {
		atomic_store(&shm->cmd, CMD_RUN);
	}
}

void storm_stop(void)
{
	if (storm <= 0 || collected) {
		return;
	}
	atomic_store(&shm->cmd, CMD_STOP);
	int status = 0;
	pid_t got;
	while ((got = waitpid(storm, &status, 0)) < 0 && errno == EINTR) {
	}
	collected = true;
	if (got != storm) {
		scn_fail("waitpid(storm process %d): expected it, got %d (%s)", (int)storm, (int)got, strerror(errno));
		return;
	}
	own_collect("waitpid(storm process)", storm, status);
}
