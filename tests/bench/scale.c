/* Measurement 6: scaling (issue #9: every event must cost O(1) amortised, whatever the number of
 * live or zombie own children). work/scale runs as PID 1 of a namespace, bare, with the empty
 * preload, with reap.so, and as tini's child, on every CPU as in a container: pinned to one CPU
 * the exits of a burst all happen before PID 1 runs again and their signals merge, which hides a
 * per-signal cost. Two runs:
 *   children N: an own zombie in front, N own children alive at once, a fork + wait loop
 *     meanwhile, then all N exiting at once and waited for; N = 100, 1,000, 10,000;
 *   orphans K: orphans made one after the other (and reaped by PID 1) while K own children are
 *     zombies the program never waits for; K = 0, 100, 1,000.
 * Each is reported as a cost per event and as a ratio against bare and against the empty preload
 * in the same round. Every run has a time limit: a run over it is killed and reported as "did not
 * finish", with the phases it did finish, and bigger sizes are not tried for that candidate. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_ROUNDS 8
#define N_SC 4
static const enum cand_id scale_cands[N_SC] = {C_BARE, C_EMPTY, C_REAP, C_TINI};

/* Phases of a run, per event (us); NAN not reached. */
enum { PH_FORK, PH_ALIVE, PH_EXIT, N_PH };

struct scale_params {
	int rounds, n_sizes, n_ks;
	long sizes[SCALE_MAX], ks[SCALE_MAX], alive_ops, orphans;
	double limit_s;
};

struct acc {
	double v[N_PH][MAX_ROUNDS];   /* per round; NAN if not taken */
	bool timed_out, skipped;
};

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1) {
			v = -1;   /* "max" in a cgroup file: no limit */
		}
		fclose(f);
	}
	return v;
}

/* Tasks that may still be created: the smallest room under pid_max, threads-max and the pids
 * cgroup of the driver (v1 or v2), after what the host already runs. */
static long task_room(char *why, size_t size)
{
	long pid_max = read_long("/proc/sys/kernel/pid_max"), threads = read_long("/proc/sys/kernel/threads-max");
	long used = 0, room;
	char line[512];
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%*s %*s %*s %*d/%ld", &used) != 1) {
			used = 0;
		}
		fclose(f);
	}
	room = pid_max - used;
	snprintf(why, size, "pid_max %ld, %ld tasks on the host", pid_max, used);
	if (threads > 0 && threads - used < room) {
		room = threads - used;
		snprintf(why, size, "threads-max %ld, %ld tasks on the host", threads, used);
	}
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof line, f)) {
		char *path = strchr(line, ':'), *ctrl, dir[700];
		long max, cur;

		if (!path || !(ctrl = path + 1) || !(path = strchr(ctrl, ':'))) {
			continue;
		}
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (!strcmp(ctrl, "pids")) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup/pids%s", path);
		} else if (!ctrl[0]) {
			snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", path);
		} else {
			continue;
		}
		strcat(dir, "/pids.max");
		max = read_long(dir);
		strcpy(strrchr(dir, '/'), "/pids.current");
		cur = read_long(dir);
		if (max > 0 && max - (cur > 0 ? cur : 0) < room) {
			room = max - (cur > 0 ? cur : 0);
			snprintf(why, size, "the pids cgroup %s allows %ld, %ld in use", path, max, cur);
		}
	}
	if (f) {
		fclose(f);
	}
	return room;
}

/* RLIMIT_NPROC counts the processes of the driver's user; root is exempt unless the kernel says
 * otherwise (a user namespace). Raise the soft limit to what the run needs, the hard one if we may. */
static void room_for(long tasks)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)tasks) {
		return;
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= (rlim_t)tasks ? (rlim_t)tasks : rl.rlim_max;
	if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
		rl.rlim_max = rl.rlim_cur = (rlim_t)tasks;
		setrlimit(RLIMIT_NPROC, &rl);
	}
	getrlimit(RLIMIT_NPROC, &rl);
	out("\n(RLIMIT_NPROC raised to %llu for the scaling runs)\n", (unsigned long long)rl.rlim_cur);
}

/* Sizes the machine cannot hold are lowered, and the run says so. */
static void fit_machine(struct scale_params *p)
{
	char why[512];
	long room = task_room(why, sizeof why) - 500, need = 0;

	for (int i = 0; i < p->n_sizes; i++) {
		if (p->sizes[i] + 10 > room) {
			out("\n(children: N = %ld does not fit this machine (%s): lowered to %ld)\n", p->sizes[i], why,
			    room - 10);
			p->sizes[i] = room - 10;
		}
		need = p->sizes[i] + 10 > need ? p->sizes[i] + 10 : need;
	}
	for (int i = 0; i < p->n_ks; i++) {
		if (p->ks[i] + p->orphans + 10 > room) {
			p->ks[i] = room - p->orphans - 10;
			out("\n(orphans: K lowered to %ld (%s))\n", p->ks[i], why);
		}
		need = p->ks[i] + p->orphans + 10 > need ? p->ks[i] + p->orphans + 10 : need;
	}
	room_for(need + 100);
}

static double field(const char *text, const char *key, int which)
{
	const char *p = strstr(text, key);
	double a, b, c;

	if (!p || sscanf(p + strlen(key), " %lf %lf %lf", &a, &b, &c) < which + 1) {
		return NAN;
	}
	return which == 0 ? a : which == 1 ? b : c;
}

/* One run; fills v[phase] (us per event), returns -1 if it did not finish in time. */
static int run_once(enum cand_id id, const char *const *prog, const char *what, double limit_s, double *v)
{
	int code;
	char *text = ns_capture(cand_argv(&cands[id], prog), make_env(cands[id].preload, NULL), true, -1, limit_s,
	                        &code);
	int rc = 0;

	for (int i = 0; i < N_PH; i++) {
		v[i] = NAN;
	}
	if (!strcmp(prog[1], "children")) {
		v[PH_FORK] = field(text, "FORK", 1) / 1e3 / field(text, "FORK", 0);
		v[PH_ALIVE] = field(text, "ALIVE", 1) / 1e3 / field(text, "ALIVE", 0);
		v[PH_EXIT] = field(text, "EXIT", 1) / 1e3 / field(text, "EXIT", 0);
	} else {
		v[PH_EXIT] = field(text, "ORPHANS", 2) / 1e3 / field(text, "ORPHANS", 0);
	}
	if (code == -1) {
		rc = -1;
	} else if (code != 0) {
		failed("scaling %s, %s: %s; output:\n```\n%s\n```", what, cands[id].name,
		       code == -2 ? strerror(errno) : "exit status not 0", tail_lines(text, 8));
		for (int i = 0; i < N_PH; i++) {
			v[i] = NAN;
		}
	}
	free(text);
	return rc;
}

/* The value of a phase, or why there is none. */
static void value_cell(char *b, size_t n, const struct acc *a, int ph, int rounds, double limit_s)
{
	struct spread s = spread_of(a->v[ph], rounds);

	if (s.n == 0 && a->timed_out) {
		snprintf(b, n, "did not finish in %.0f s", limit_s);
	} else if (s.n == 0 && a->skipped) {
		snprintf(b, n, "not run (a smaller size did not finish)");
	} else {
		fmt_spread(b, n, s);
	}
}

static void ratio_cell(char *b, size_t n, const struct acc *a, const struct acc *base, int ph, int rounds)
{
	double r[MAX_ROUNDS];

	for (int i = 0; i < rounds; i++) {
		r[i] = a->v[ph][i] / base->v[ph][i];
	}
	fmt_spread(b, n, spread_of(r, rounds));
	if (!strcmp(b, "-") && a->timed_out) {
		snprintf(b, n, "did not finish");
	}
}

/* Run every candidate at one size, `rounds` times, the order rotated each round. */
static void run_size(const char *mode, long size, long second, const struct scale_params *p, struct acc *acc,
                     bool *gave_up)
{
	char s_size[32], s_second[32], s_alive[32], what[64];

	snprintf(s_size, sizeof s_size, "%ld", size);
	snprintf(s_second, sizeof s_second, "%ld", second);
	/* The fork + wait loop with N alive gets a quarter of the limit; the exits, the rest. */
	snprintf(s_alive, sizeof s_alive, "%g", p->limit_s / 4);
	snprintf(what, sizeof what, "%s %s", mode, s_size);
	for (int round = 0; round < p->rounds; round++) {
		for (int k = 0; k < N_SC; k++) {
			int c = (k + round) % N_SC;
			enum cand_id id = scale_cands[c];
			const char *keep = id == C_BARE || id == C_EMPTY ? "keep" : "reap";
			const char *prog[] = {work_prog("scale", 0), mode, s_size, s_second, keep, NULL};
			double v[N_PH];

			if (!strcmp(mode, "children")) {
				prog[4] = s_alive;
			}
			for (int i = 0; i < N_PH; i++) {
				acc[c].v[i][round] = NAN;
			}
			if (gave_up[c]) {
				acc[c].skipped = true;
				continue;
			}
			if (run_once(id, prog, what, p->limit_s, v) != 0) {
				acc[c].timed_out = gave_up[c] = true;
			}
			for (int i = 0; i < N_PH; i++) {
				acc[c].v[i][round] = v[i];
			}
		}
	}
}

static void children_table(const struct scale_params *p)
{
	static const char *const cols[] = {"N", "PID 1", "fork N, us per child", "fork + wait with N alive, us per op",
	                                   "x bare", "x empty .so", "N exit at once, then waited: us per child",
	                                   "x bare", "x empty .so", NULL};
	bool gave_up[N_SC] = {false};

	out("\n### 6a. Scaling: N own children alive, then exiting at once\n\n");
	out("work/scale children N %ld %g as PID 1 (tini: as its child), on every CPU: one own child exits first\n"
	    "and stays a zombie in front; fork N children that block on a gate pipe; with all N alive, fork +\n"
	    "_exit + waitpid(pid), %ld times or for %g s if that comes first; then close the gate so that all\n"
	    "N exit at once, and wait for any child until none is left. Cost per event; x: cost against\n"
	    "bare's (or the empty preload's) in the same round, 1.00 = the same, median [min .. max] over %d\n"
	    "round(s). Time limit %.0f s per run.\n",
	    p->alive_ops, p->limit_s / 4, p->alive_ops, p->limit_s / 4, p->rounds, p->limit_s);
	table_head(cols);
	results.n_scale_n = p->n_sizes;
	for (int s = 0; s < p->n_sizes; s++) {
		struct acc acc[N_SC];

		memset(acc, 0, sizeof acc);
		run_size("children", p->sizes[s], p->alive_ops, p, acc, gave_up);
		results.scale_n[s] = (int)p->sizes[s];
		for (int c = 0; c < N_SC; c++) {
			char n[16], v[7][96];
			const char *row[] = {n, cands[scale_cands[c]].name, v[0], v[1], v[2], v[3], v[4], v[5], v[6], NULL};

			snprintf(n, sizeof n, "%ld", p->sizes[s]);
			value_cell(v[0], sizeof v[0], &acc[c], PH_FORK, p->rounds, p->limit_s);
			value_cell(v[1], sizeof v[1], &acc[c], PH_ALIVE, p->rounds, p->limit_s);
			ratio_cell(v[2], sizeof v[2], &acc[c], &acc[0], PH_ALIVE, p->rounds);
			ratio_cell(v[3], sizeof v[3], &acc[c], &acc[1], PH_ALIVE, p->rounds);
			value_cell(v[4], sizeof v[4], &acc[c], PH_EXIT, p->rounds, p->limit_s);
			ratio_cell(v[5], sizeof v[5], &acc[c], &acc[0], PH_EXIT, p->rounds);
			ratio_cell(v[6], sizeof v[6], &acc[c], &acc[1], PH_EXIT, p->rounds);
			table_row(row);
			results.scale_alive_us[s][scale_cands[c]] =
			        acc[c].timed_out && isnan(spread_of(acc[c].v[PH_ALIVE], p->rounds).med)
			                ? INFINITY : spread_of(acc[c].v[PH_ALIVE], p->rounds).med;
			results.scale_exit_us[s][scale_cands[c]] =
			        acc[c].timed_out ? INFINITY : spread_of(acc[c].v[PH_EXIT], p->rounds).med;
			raw("  scale children N=%ld %s (us per event)\n", p->sizes[s], cands[scale_cands[c]].name);
			raw_list("fork", acc[c].v[PH_FORK], p->rounds);
			raw_list("fork + wait, N alive", acc[c].v[PH_ALIVE], p->rounds);
			raw_list("exit at once + wait", acc[c].v[PH_EXIT], p->rounds);
		}
	}
	results.have_scale_children = true;
}

static void orphans_table(const struct scale_params *p)
{
	static const char *const cols[] = {"K own zombies", "PID 1", "orphans/s", "us per orphan", "x bare",
	                                   "x empty .so", "x itself at K = 0", NULL};
	bool gave_up[N_SC] = {false};
	double at0[N_SC];

	out("\n### 6b. Scaling: orphans with K own zombies never waited for\n\n");
	out("work/scale orphans K %ld as PID 1 (tini: as its child), on every CPU: K own children exit and stay\n"
	    "zombies (the program never waits for them); then %ld orphans one after the other (a middle\n"
	    "process forks one and exits; the program waits for the middle), until PID 1 has reaped them all\n"
	    "(/proc/1/task/1/children, read once a millisecond). Bare and the empty preload reap nothing:\n"
	    "their figure is the making alone. x: as in 6a. Time limit %.0f s per run.\n",
	    p->orphans, p->orphans, p->limit_s);
	table_head(cols);
	results.n_scale_k = p->n_ks;
	for (int s = 0; s < p->n_ks; s++) {
		struct acc acc[N_SC];

		memset(acc, 0, sizeof acc);
		run_size("orphans", p->ks[s], p->orphans, p, acc, gave_up);
		results.scale_k[s] = (int)p->ks[s];
		for (int c = 0; c < N_SC; c++) {
			struct spread us = spread_of(acc[c].v[PH_EXIT], p->rounds);
			char k[16], v[6][96];
			const char *row[] = {k, cands[scale_cands[c]].name, v[0], v[1], v[2], v[3], v[4], NULL};

			if (s == 0) {
				at0[c] = us.med;
			}
			snprintf(k, sizeof k, "%ld", p->ks[s]);
			if (us.n) {
				fmt_num(v[0], sizeof v[0], 1e6 / us.med);
			} else {
				value_cell(v[0], sizeof v[0], &acc[c], PH_EXIT, p->rounds, p->limit_s);
			}
			value_cell(v[1], sizeof v[1], &acc[c], PH_EXIT, p->rounds, p->limit_s);
			ratio_cell(v[2], sizeof v[2], &acc[c], &acc[0], PH_EXIT, p->rounds);
			ratio_cell(v[3], sizeof v[3], &acc[c], &acc[1], PH_EXIT, p->rounds);
			fmt_num(v[4], sizeof v[4], us.med / at0[c]);
			table_row(row);
			results.scale_orphan_us[s][scale_cands[c]] = acc[c].timed_out ? INFINITY : us.med;
			raw("  scale orphans K=%ld %s (us per orphan)\n", p->ks[s], cands[scale_cands[c]].name);
			raw_list("runs", acc[c].v[PH_EXIT], p->rounds);
		}
	}
	results.have_scale_orphans = true;
}

void measure_scale(void)
{
	struct scale_params p = {.rounds = 3, .n_sizes = 3, .n_ks = 3, .sizes = {100, 1000, 10000},
	                         .ks = {0, 100, 1000}, .alive_ops = 200, .orphans = 2000, .limit_s = 20};

	if (cfg.quick) {
		p = (struct scale_params){.rounds = 1, .n_sizes = 2, .n_ks = 2, .sizes = {100, 1000}, .ks = {0, 100},
		                          .alive_ops = 50, .orphans = 200, .limit_s = 5};
	}
	for (int i = 0; i < C_COUNT; i++) {
		for (int s = 0; s < SCALE_MAX; s++) {
			results.scale_exit_us[s][i] = results.scale_alive_us[s][i] = results.scale_orphan_us[s][i] = NAN;
		}
	}
	results.scale_limit_s = p.limit_s;
	fit_machine(&p);
	children_table(&p);
	orphans_table(&p);
}
