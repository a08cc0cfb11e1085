/* Measurement 3: the cost to the program's own work. work/loops runs one kind of loop for a fixed
 * time and reports its own operations per second. Per kind, as PID 1 (reap.so active) and as a
 * plain process under a stub PID 1 (reap.so loaded but inert): no shim, an empty preloaded object
 * (what any preload costs), and reap.so. Each run is its own namespace pinned to one CPU (cross-CPU
 * wake-ups of fork/wait would otherwise dominate the noise); the configurations run back to back
 * in each round, the order reversed every other round (A/B/A/B), and ratios are taken within a
 * round. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_ROUNDS 64
#define N_CFG 6

struct loop_cfg {
	bool pid1;
	enum preload preload;
};

/* Per mode: 0 no shim, 1 empty .so, 2 reap.so. */
static const struct loop_cfg loop_cfgs[N_CFG] = {
	{true, P_NONE}, {true, P_EMPTY}, {true, P_REAP}, {false, P_NONE}, {false, P_EMPTY}, {false, P_REAP},
};

static const char *const kinds[] = {"fork", "spawn", "system", "popen", "poll"};
static const char *const kind_desc[] = {"fork + _exit + waitpid", "posix_spawn(/bin/true) + waitpid",
                                        "system(\"true\")", "popen(\"true\") + pclose",
                                        "waitpid(-1, WNOHANG), one child alive"};
#define N_KINDS 5

static const char *cfg_name(int c)
{
	static const char *const names[N_CFG] = {"PID 1, no shim", "PID 1, empty .so", "PID 1, reap.so active",
	                                         "plain, no shim", "plain, empty .so", "plain, reap.so inert"};
	return names[c];
}

static int loop_once(int kind, int c, double secs, int cpu, double *ops)
{
	const struct loop_cfg *lc = &loop_cfgs[c];
	char s_secs[32];
	const char *prog[] = {work_prog("loops", 0), kinds[kind], s_secs, NULL};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), out_fd = memfd_create("loops-out", MFD_CLOEXEC);
	struct launch l;
	struct ns_run run;
	long long count, elapsed;
	long errs;
	int code, rc = -1;
	char *text = NULL;
	const char *line;

	snprintf(s_secs, sizeof s_secs, "%g", secs);
	l = (struct launch){.argv = prog, .envp = make_env(lc->preload, NULL), .pid1 = lc->pid1,
	                    .in_fd = null_fd, .out_fd = out_fd, .cpu = cpu, .keep = {-1, -1, -1, -1}};
	if (ns_start(&run, &l) != 0) {
		failed("loops %s, %s: clone3: %s", kinds[kind], cfg_name(c), strerror(errno));
		goto out;
	}
	if (ns_wait(&run, secs + 20, &code, NULL) != 0) {
		ns_kill(&run);
		failed("loops %s, %s: did not finish in %.0f s", kinds[kind], cfg_name(c), secs + 20);
		goto out;
	}
	text = fd_slurp(out_fd);
	line = strstr(text, "OPS ");
	if (code != 0 || !line || sscanf(line, "OPS %lld %lld %ld", &count, &elapsed, &errs) != 3 || errs != 0
	    || elapsed <= 0) {
		failed("loops %s, %s: exit status %d; output:\n```\n%s\n```", kinds[kind], cfg_name(c), code,
		       tail_lines(text, 10));
		goto out;
	}
	*ops = (double)count / ((double)elapsed / 1e9);
	rc = 0;
out:
	free(text);
	close(null_fd);
	close(out_fd);
	return rc;
}

static void note_result(int kind, int pair, struct spread sr)
{
	double *worst = pair ? &results.loops_min_ratio_plain : &results.loops_min_ratio_pid1;
	const char **wname = pair ? &results.loops_worst_plain : &results.loops_worst_pid1;
	size_t len = strlen(results.loops_misses);
	char *miss = results.loops_misses + len;
	size_t room = sizeof results.loops_misses - len;

	if (sr.n == 0) {
		snprintf(miss, room, "%s%s as %s: not taken", len ? "; " : "", kind_desc[kind], pair ? "plain process" : "PID 1");
		return;
	}
	if (sr.med < *worst) {
		*worst = sr.med;
		*wname = kind_desc[kind];
	}
	if (sr.med < 0.97) {
		snprintf(miss, room, "%s%s as %s: %.3f", len ? "; " : "", kind_desc[kind], pair ? "plain process" : "PID 1",
		         sr.med);
	}
}

static void loops_table(double (*ops)[N_CFG][MAX_ROUNDS], int rounds)
{
	static const char *const cols[] = {"loop", "as", "no shim (ops/s)", "reap.so (ops/s)", "ratio reap.so / no shim",
	                                   "ratio empty .so / no shim", "ratio reap.so / empty .so", NULL};
	double r_shim[MAX_ROUNDS], r_empty[MAX_ROUNDS], r_own[MAX_ROUNDS];

	table_head(cols);
	results.loops_misses[0] = '\0';
	results.loops_min_ratio_pid1 = results.loops_min_ratio_plain = INFINITY;
	for (int kind = 0; kind < N_KINDS; kind++) {
		for (int pair = 0; pair < 2; pair++) {
			int base = pair * 3, empty = base + 1, shim = base + 2;
			struct spread sr;
			char c[5][96];
			const char *row[] = {kind_desc[kind], pair ? "plain process (inert)" : "PID 1 (active)", c[0], c[1],
			                     c[2], c[3], c[4], NULL};

			for (int r = 0; r < rounds; r++) {
				r_shim[r] = ops[kind][shim][r] / ops[kind][base][r];
				r_empty[r] = ops[kind][empty][r] / ops[kind][base][r];
				r_own[r] = ops[kind][shim][r] / ops[kind][empty][r];
			}
			sr = spread_of(r_shim, rounds);
			fmt_spread(c[0], sizeof c[0], spread_of(ops[kind][base], rounds));
			fmt_spread(c[1], sizeof c[1], spread_of(ops[kind][shim], rounds));
			fmt_spread(c[2], sizeof c[2], sr);
			fmt_spread(c[3], sizeof c[3], spread_of(r_empty, rounds));
			fmt_spread(c[4], sizeof c[4], spread_of(r_own, rounds));
			if (sr.n == 0) {
				row[3] = row[4] = row[6] = "not taken";
			}
			table_row(row);
			note_result(kind, pair, sr);
			raw("  loops %s, %s (ops/s)\n", kinds[kind], pair ? "plain" : "PID 1");
			raw_list("no shim", ops[kind][base], rounds);
			raw_list("empty .so", ops[kind][empty], rounds);
			raw_list("reap.so", ops[kind][shim], rounds);
		}
	}
}

void measure_loops(void)
{
	static double ops[N_KINDS][N_CFG][MAX_ROUNDS];
	int rounds = cfg.quick ? 1 : 10;
	double secs = cfg.quick ? 0.04 : 0.12;
	int cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	bool bad[N_KINDS][N_CFG] = {{false}};

	for (int kind = 0; kind < N_KINDS; kind++) {
		for (int round = 0; round < rounds; round++) {
			for (int i = 0; i < N_CFG; i++) {
				int c = round % 2 ? N_CFG - 1 - i : i;

				ops[kind][c][round] = NAN;
				if (!bad[kind][c] && loop_once(kind, c, secs, cpu, &ops[kind][c][round]) != 0) {
					bad[kind][c] = true;
				}
			}
		}
	}
	out("\n### 3. Cost to the program's own work\n\n");
	out("Each loop runs %.2f s (after 20 ms of warm-up) in a fresh namespace pinned to CPU %d and counts its\n"
	    "own operations per second; %d rounds, each running the six configurations back to back (order\n"
	    "reversed every other round). Baseline: no shim. Ratios are taken within a round: median\n"
	    "[min .. max] over rounds; 1.000 = no cost. \"empty .so\" preloads an object that does nothing:\n"
	    "what any preload costs (one more object to map in every exec, more mappings to copy in every\n"
	    "fork); \"reap.so / empty .so\" is then the cost of reap.so's own code.\n",
	    secs, cpu, rounds);
	loops_table(ops, rounds);
	results.have_loops = true;
}
