/* Measurements 4b, 4c and 5, on one run each: a handler-less program with no children (work/idle)
 * as PID 1, bare, under reap.so or under a wrapper. Once it says READY: the processes of the
 * namespace and their resident memory (VmRSS and Pss summed over /proc/INIT/root/proc); then
 * SIGTERM to PID 1 from outside and the time until the namespace is empty. A bare PID 1 that has
 * no handler never sees the SIGTERM (the kernel drops it): that is the negative control, ended
 * with SIGKILL after a short wait. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const enum cand_id idle_order[] = {C_BARE, C_REAP, C_TINI, C_DUMB, C_CATA};
#define N_IDLE (int)(sizeof idle_order / sizeof idle_order[0])
#define MAX_ROUNDS 32
#define BARE_WAIT_S 0.5
#define SIGNAL_WAIT_S 12.0

struct idle_acc {
	double procs[MAX_ROUNDS], rss[MAX_ROUNDS], pss[MAX_ROUNDS], sig_ms[MAX_ROUNDS];
	int n, n_sig, n_ignored, last_code;
	char names[160];
};

/* Read from fd until "READY\n" or the deadline. */
static int wait_ready(int fd, double timeout_s)
{
	int64_t deadline = now_ns() + (int64_t)(timeout_s * 1e9);
	char buf[512];
	size_t len = 0;

	while (now_ns() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0) {
			continue;
		}
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0) {
			return -1;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "READY\n")) {
			return 0;
		}
		if (len == sizeof buf - 1) {
			len = 0;
		}
	}
	return -1;
}

static int idle_once(enum cand_id id, struct idle_acc *a)
{
	const struct cand *c = &cands[id];
	const char *prog[] = {work_prog("idle", 0), NULL};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), pipefd[2];
	struct ns_run run;
	struct ns_procs np;
	struct launch l;
	int64_t t0, t_end;
	int code, rc = -1;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		failed("idle %s: pipe: %s", c->name, strerror(errno));
		return -1;
	}
	l = (struct launch){.argv = cand_argv(c, prog), .envp = make_env(c->preload, NULL), .pid1 = true,
	                    .in_fd = null_fd, .out_fd = pipefd[1], .cpu = -1, .keep = {-1, -1, -1, -1}};
	if (ns_start(&run, &l) != 0) {
		failed("idle %s: clone3: %s", c->name, strerror(errno));
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	if (wait_ready(pipefd[0], 10) != 0) {
		ns_kill(&run);
		failed("idle %s: no READY in 10 s", c->name);
		goto out;
	}
	if (ns_procs_read(run.pid, &np, true) != 0) {
		ns_kill(&run);
		failed("idle %s: cannot read /proc/%d/root/proc", c->name, (int)run.pid);
		goto out;
	}
	a->procs[a->n] = np.count;
	a->rss[a->n] = (double)np.rss_kb;
	a->pss[a->n] = (double)np.pss_kb;
	snprintf(a->names, sizeof a->names, "%s", np.names);
	a->n++;
	t0 = now_ns();
	syscall(SYS_pidfd_send_signal, run.pidfd, SIGTERM, NULL, 0);
	if (ns_wait(&run, id == C_BARE ? BARE_WAIT_S : SIGNAL_WAIT_S, &code, &t_end) != 0) {
		a->n_ignored++;
		ns_kill(&run);
	} else {
		a->sig_ms[a->n_sig++] = (double)(t_end - t0) / 1e6;
		a->last_code = code;
	}
	rc = 0;
out:
	close(null_fd);
	close(pipefd[0]);
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
	}
	return rc;
}

static void memory_table(struct idle_acc *acc)
{
	static const char *const cols[] = {"PID 1", "processes kept", "which", "VmRSS sum (kB)", "Pss sum (kB)",
	                                   "VmRSS added over bare (kB)", "Pss added over bare (kB)", NULL};
	double bare_rss = spread_of(acc[C_BARE].rss, acc[C_BARE].n).med;
	double bare_pss = spread_of(acc[C_BARE].pss, acc[C_BARE].n).med;

	out("\n### 4b, 4c. Resident memory and processes kept\n\n");
	out("The idle program (no handler, no children) as PID 1 or as the wrapper's child; every process\n"
	    "of the namespace summed (the shim lives inside the program, a wrapper is a process of its own).\n"
	    "Baseline: bare. Cells: median [min .. max].\n");
	table_head(cols);
	for (int k = 0; k < N_IDLE; k++) {
		enum cand_id id = idle_order[k];
		struct idle_acc *a = &acc[id];
		struct spread rss = spread_of(a->rss, a->n), pss = spread_of(a->pss, a->n);
		char c[6][96];
		const char *row[] = {cands[id].name, c[0], a->names, c[1], c[2], c[3], c[4], NULL};

		fmt_spread(c[0], sizeof c[0], spread_of(a->procs, a->n));
		fmt_spread(c[1], sizeof c[1], rss);
		fmt_spread(c[2], sizeof c[2], pss);
		snprintf(c[3], sizeof c[3], "%+.0f", rss.med - bare_rss);
		snprintf(c[4], sizeof c[4], "%+.0f", pss.med - bare_pss);
		if (a->n == 0) {
			for (int i = 1; row[i]; i++) {
				row[i] = "not taken";
			}
		}
		table_row(row);
		raw("  memory %s\n", cands[id].name);
		raw_list("VmRSS kB", a->rss, a->n);
		raw_list("Pss kB", a->pss, a->n);
	}
}

static void signal_table(struct idle_acc *acc)
{
	static const char *const cols[] = {"PID 1", "SIGTERM to empty namespace (ms)", "ratio to best wrapper",
	                                   "exit status", "runs", NULL};
	double best = INFINITY;
	const char *best_name = "?";

	for (int k = 0; k < N_IDLE; k++) {
		enum cand_id id = idle_order[k];
		struct spread s = spread_of(acc[id].sig_ms, acc[id].n_sig);

		if (cands[id].is_wrapper && s.n && s.med < best) {
			best = s.med;
			best_name = cands[id].name;
		}
	}
	out("\n### 5. Signal to exit\n\n");
	out("SIGTERM sent from outside (pidfd_send_signal) to PID 1 of the namespace with the idle program\n"
	    "(no handler, no children), to PID 1's pidfd readable (namespace empty). Default REAP_GRACE.\n"
	    "Baseline: the best wrapper (%s). A run that does not end within %.1f s (bare: %.1f s) counts as\n"
	    "ignored and is killed. Cells: median [min .. max].\n", best_name, SIGNAL_WAIT_S, BARE_WAIT_S);
	table_head(cols);
	for (int k = 0; k < N_IDLE; k++) {
		enum cand_id id = idle_order[k];
		struct idle_acc *a = &acc[id];
		struct spread s = spread_of(a->sig_ms, a->n_sig);
		char c[4][96];
		const char *row[] = {cands[id].name, c[0], c[1], c[2], c[3], NULL};

		fmt_spread(c[0], sizeof c[0], s);
		fmt_num(c[1], sizeof c[1], s.med / best);
		if (a->n_sig) {
			snprintf(c[2], sizeof c[2], "%d", a->last_code);
		} else {
			snprintf(c[2], sizeof c[2], "-");
		}
		snprintf(c[3], sizeof c[3], "%d exited, %d ignored", a->n_sig, a->n_ignored);
		if (a->n_sig == 0) {
			snprintf(c[0], sizeof c[0], "never (SIGTERM ignored)");
		}
		table_row(row);
		results.signal_ms[id] = s.n ? s.med : -1;
		raw("  signal %s (ms)\n", cands[id].name);
		raw_list("runs", a->sig_ms, a->n_sig);
	}
	results.have_signal = true;
}

void measure_idle(void)
{
	static struct idle_acc acc[C_COUNT];
	int rounds = cfg.quick ? 1 : 5;

	memset(acc, 0, sizeof acc);
	for (int round = 0; round < rounds; round++) {
		for (int k = 0; k < N_IDLE; k++) {
			idle_once(idle_order[(k + round) % N_IDLE], &acc[idle_order[(k + round) % N_IDLE]]);
		}
	}
	memory_table(acc);
	signal_table(acc);
}
