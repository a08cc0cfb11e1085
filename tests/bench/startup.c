/* Measurement 4a: start-up. Wall time from clone3 to the namespace being empty, for /bin/true
 * as PID 1: bare, under reap.so (and under an empty preloaded object, the floor of any preload),
 * and as the child of each wrapper init. Rounds are interleaved (the order rotates each round) and
 * the added time and the ratio are taken against bare within each round, so that drift hits every
 * candidate alike. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const enum cand_id startup_order[] = {C_BARE, C_EMPTY, C_REAP, C_TINI, C_DUMB, C_CATA};
#define N_START (int)(sizeof startup_order / sizeof startup_order[0])
#define MAX_ROUNDS 200

static int start_once(enum cand_id id, double *ms)
{
	static const char *const prog[] = {"/bin/true", NULL};
	const struct cand *c = &cands[id];
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int out_fd = memfd_create("true-out", MFD_CLOEXEC);
	struct launch l = {.argv = cand_argv(c, prog), .envp = make_env(c->preload, NULL), .pid1 = true,
	                   .in_fd = null_fd, .out_fd = out_fd, .cpu = -1, .keep = {-1, -1, -1, -1}};
	struct ns_run run;
	int64_t t_end;
	int code, rc = -1;

	if (ns_start(&run, &l) != 0) {
		failed("start-up %s: clone3: %s", c->name, strerror(errno));
	} else if (ns_wait(&run, 10, &code, &t_end) != 0) {
		ns_kill(&run);
		failed("start-up %s: /bin/true did not finish in 10 s", c->name);
	} else if (code != 0) {
		char *text = fd_slurp(out_fd);

		failed("start-up %s: exit status %d; output:\n```\n%s\n```", c->name, code, tail_lines(text, 10));
		free(text);
	} else {
		*ms = (double)(t_end - run.t_start_ns) / 1e6;
		rc = 0;
	}
	close(null_fd);
	close(out_fd);
	return rc;
}

void measure_startup(void)
{
	static const char *const cols[] = {"PID 1", "/bin/true, start to empty namespace (ms)", "ratio to bare",
	                                   "added over bare (ms)", NULL};
	static double ms[C_COUNT][MAX_ROUNDS], added[MAX_ROUNDS], ratio[MAX_ROUNDS];
	int rounds = cfg.quick ? 10 : 100;
	bool bad[C_COUNT] = {false};

	for (int k = 0; k < N_START; k++) {   /* warm-up: page cache, not recorded */
		double dummy;

		start_once(startup_order[k], &dummy);
	}
	for (int round = 0; round < rounds; round++) {
		for (int k = 0; k < N_START; k++) {
			enum cand_id id = startup_order[(k + round) % N_START];

			ms[id][round] = NAN;
			if (!bad[id] && start_once(id, &ms[id][round]) != 0) {
				bad[id] = true;
			}
		}
	}
	out("\n### 4a. Start-up: /bin/true as PID 1\n\n");
	out("Wall time from clone3(CLONE_NEWPID|CLONE_NEWNS) to PID 1's pidfd readable (namespace empty),\n"
	    "%d interleaved rounds after one warm-up round. Baseline: bare, in the same round (added, ratio).\n"
	    "Cells: median [min .. max] over rounds.\n",
	    rounds);
	table_head(cols);
	for (int k = 0; k < N_START; k++) {
		enum cand_id id = startup_order[k];
		struct spread s = spread_of(ms[id], rounds), sa, sr;
		char a[96], b[96], d[96];
		const char *row[] = {cands[id].name, a, b, d, NULL};

		for (int r = 0; r < rounds; r++) {
			added[r] = ms[id][r] - ms[C_BARE][r];
			ratio[r] = ms[id][r] / ms[C_BARE][r];
		}
		sa = spread_of(added, rounds);
		sr = spread_of(ratio, rounds);
		fmt_spread(a, sizeof a, s);
		fmt_spread(b, sizeof b, sr);
		fmt_spread(d, sizeof d, sa);
		if (s.n == 0) {
			row[1] = row[2] = row[3] = "not taken";
		}
		table_row(row);
		results.startup_added_ms[id] = sa.n ? sa.med : NAN;
		raw("  start-up %s (ms)\n", cands[id].name);
		raw_list("runs", ms[id], rounds);
	}
	results.have_startup = !bad[C_BARE] && !bad[C_REAP];
}
