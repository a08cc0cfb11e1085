/* Measurement 3: the cost to the program's own work. work/loops runs one kind of loop for a fixed
 * time and reports its own operations per second and CPU times. Per kind, as PID 1 (reap.so
 * active) and as a plain process under a stub PID 1 (reap.so loaded but inert): no preload, an
 * empty preloaded object (the floor of any preload), and reap.so. Each run is its own namespace
 * pinned to one CPU (cross-CPU wake-ups of fork/wait would otherwise dominate the noise); the
 * configurations run back to back in each round, the order reversed every other round
 * (A/B/A/B), and ratios are taken within a round. The reference is the empty preload (issue #11);
 * the ratio against no preload (issue #5) is kept in the last column. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROUNDS 64

const struct loop_kind loop_kinds[LK_COUNT] = {
	[LK_FORK] = {"fork", "fork + _exit + waitpid", true, 0.95, 100},
	[LK_VFORK] = {"vfork", "vfork + _exit + waitpid", true, 0, 100},
	[LK_SPAWN] = {"spawn", "posix_spawn(/bin/true) + waitpid", true, 0.97, 40},
	[LK_SYSTEM] = {"system", "system(\"true\")", true, 0, 25},
	[LK_POPEN] = {"popen", "popen(\"true\") + pclose", true, 0, 25},
	[LK_POLL] = {"poll", "waitpid(-1, WNOHANG), one child alive", true, 0, 10000},
	[LK_EXEC] = {"exec", "execve of a small program (itself)", false, 0, 50},
};

const struct loop_cfg loop_cfgs[N_LOOP_CFG] = {
	[CFG_PID1_NONE] = {true, P_NONE, "PID 1, no preload"},
	[CFG_PID1_EMPTY] = {true, P_EMPTY, "PID 1, empty .so"},
	[CFG_PID1_REAP] = {true, P_REAP, "PID 1, reap.so active"},
	[CFG_PLAIN_NONE] = {false, P_NONE, "plain, no preload"},
	[CFG_PLAIN_EMPTY] = {false, P_EMPTY, "plain, empty .so"},
	[CFG_PLAIN_REAP] = {false, P_REAP, "plain, reap.so inert"},
	[CFG_PID1_FLOOR] = {true, P_FLOOR, "PID 1, floor.so"},
	[CFG_PID1_COPY] = {true, P_EMPTY_COPY, "PID 1, a copy of empty .so"},
	[CFG_PLAIN_COPY] = {false, P_EMPTY_COPY, "plain, a copy of empty .so"},
};

/* One timed run, per operation. */
struct sample {
	double ops, us, user_us, sys_us, child_us;
};

static int loop_once(int kind, int c, double secs, int cpu, struct sample *s)
{
	char s_secs[32];
	const char *prog[] = {work_prog("loops", 0), loop_kinds[kind].arg, s_secs, NULL};
	long long count, elapsed, u, sy, cu, cs;
	long errs;
	int code, rc = -1;
	char *text;
	const char *ops, *cpu_line;

	snprintf(s_secs, sizeof s_secs, "%g", secs);
	text = ns_capture(prog, make_env(loop_cfgs[c].preload, NULL), loop_cfgs[c].pid1, cpu, secs + 20, &code);
	ops = strstr(text, "OPS ");
	cpu_line = strstr(text, "CPU ");
	if (code == -2) {
		failed("loops %s, %s: clone3: %s", loop_kinds[kind].arg, loop_cfgs[c].name, strerror(errno));
	} else if (code == -1) {
		failed("loops %s, %s: did not finish in %.0f s", loop_kinds[kind].arg, loop_cfgs[c].name, secs + 20);
	} else if (code != 0 || !ops || !cpu_line || sscanf(ops, "OPS %lld %lld %ld", &count, &elapsed, &errs) != 3
	           || errs != 0 || elapsed <= 0 || count <= 0
	           || sscanf(cpu_line, "CPU %lld %lld %lld %lld", &u, &sy, &cu, &cs) != 4) {
		failed("loops %s, %s: exit status %d; output:\n```\n%s\n```", loop_kinds[kind].arg, loop_cfgs[c].name,
		       code, tail_lines(text, 10));
	} else {
		double n = (double)count;

		s->ops = n / ((double)elapsed / 1e9);
		s->us = (double)elapsed / 1e3 / n;
		s->user_us = (double)u / 1e3 / n;
		s->sys_us = (double)sy / 1e3 / n;
		s->child_us = (double)(cu + cs) / 1e3 / n;
		rc = 0;
	}
	free(text);
	return rc;
}

/* Issue #5's target, against no preload: kept for its summary line. */
static void note_vs_none(int kind, int plain, struct spread sr)
{
	double *worst = plain ? &results.loops_min_ratio_plain : &results.loops_min_ratio_pid1;
	const char **wname = plain ? &results.loops_worst_plain : &results.loops_worst_pid1;
	size_t len = strlen(results.loops_misses);
	char *miss = results.loops_misses + len;
	size_t room = sizeof results.loops_misses - len;
	const char *as = plain ? "plain process" : "PID 1";

	if (sr.n == 0) {
		snprintf(miss, room, "%s%s as %s: not taken", len ? "; " : "", loop_kinds[kind].desc, as);
		return;
	}
	if (sr.med < *worst) {
		*worst = sr.med;
		*wname = loop_kinds[kind].desc;
	}
	if (sr.med < 0.97) {
		snprintf(miss, room, "%s%s as %s: %.3f", len ? "; " : "", loop_kinds[kind].desc, as, sr.med);
	}
}

/* The target of issue #11 for this loop in this role, and whether this run meets it. */
static void target_cell(char *b, size_t n, int kind, int plain, double ratio, double us)
{
	if (plain && kind == LK_EXEC) {
		snprintf(b, n, "<= +%.0f us: %s", TARGET_EXEC_US, isnan(us) ? "-" : us <= TARGET_EXEC_US ? "met" : "**NOT met**");
	} else if (plain || loop_kinds[kind].target_pid1 > 0) {
		double t = plain ? TARGET_INERT_RATIO : loop_kinds[kind].target_pid1;

		snprintf(b, n, ">= %.2f: %s", t, isnan(ratio) ? "-" : ratio >= t ? "met" : "**NOT met**");
	} else {
		snprintf(b, n, "none stated");
	}
}

static struct loop_stat stat_of(const struct sample *s, int rounds)
{
	double v[4][MAX_ROUNDS];
	struct loop_stat st;

	for (int r = 0; r < rounds; r++) {
		v[0][r] = s[r].us;
		v[1][r] = s[r].user_us;
		v[2][r] = s[r].sys_us;
		v[3][r] = s[r].child_us;
	}
	st.us = spread_of(v[0], rounds).med;
	st.user_us = spread_of(v[1], rounds).med;
	st.sys_us = spread_of(v[2], rounds).med;
	st.child_us = spread_of(v[3], rounds).med;
	st.ok = !isnan(st.us);
	return st;
}

static void loop_row(int kind, int plain, struct sample (*s)[MAX_ROUNDS], int rounds)
{
	int none = plain ? CFG_PLAIN_NONE : CFG_PID1_NONE, empty = none + 1, reap = none + 2;
	double ops[3][MAX_ROUNDS], r_empty[MAX_ROUNDS], r_own[MAX_ROUNDS], r_none[MAX_ROUNDS], d_us[MAX_ROUNDS];
	struct spread own, dus;
	char c[8][96];
	const char *row[] = {loop_kinds[kind].desc, plain ? "plain process (inert)" : "PID 1 (active)", c[0], c[1], c[2],
	                     c[3], c[4], c[5], c[6], c[7], NULL};

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 3; i++) {
			ops[i][r] = s[none + i][r].ops;
		}
		r_empty[r] = ops[1][r] / ops[0][r];
		r_own[r] = ops[2][r] / ops[1][r];
		r_none[r] = ops[2][r] / ops[0][r];
		d_us[r] = s[reap][r].us - s[empty][r].us;
	}
	own = spread_of(r_own, rounds);
	dus = spread_of(d_us, rounds);
	for (int i = 0; i < 3; i++) {
		fmt_spread(c[i], sizeof c[i], spread_of(ops[i], rounds));
	}
	fmt_spread(c[3], sizeof c[3], spread_of(r_empty, rounds));
	fmt_spread(c[4], sizeof c[4], own);
	if (dus.n == 1) {
		snprintf(c[5], sizeof c[5], "%+.2f", dus.med);
	} else if (dus.n) {
		snprintf(c[5], sizeof c[5], "%+.2f [%+.2f .. %+.2f]", dus.med, dus.min, dus.max);
	} else {
		snprintf(c[5], sizeof c[5], "-");
	}
	target_cell(c[6], sizeof c[6], kind, plain, own.med, dus.med);
	fmt_spread(c[7], sizeof c[7], spread_of(r_none, rounds));
	table_row(row);
	note_vs_none(kind, plain, spread_of(r_none, rounds));
	results.loop_vs_empty[kind][plain] = own.med;
	results.loop_us_vs_empty[kind][plain] = dus.med;
	for (int i = 0; i < 3; i++) {
		results.loop[kind][none + i] = stat_of(s[none + i], rounds);
	}
	raw("  loops %s, %s (ops/s)\n", loop_kinds[kind].arg, plain ? "plain" : "PID 1");
	raw_list("no preload", ops[0], rounds);
	raw_list("empty .so", ops[1], rounds);
	raw_list("reap.so", ops[2], rounds);
}

static void loops_table(struct sample (*s)[N_LOOP_CFG][MAX_ROUNDS], int rounds)
{
	static const char *const cols[] = {"loop", "as", "no preload (ops/s)", "empty .so (ops/s)", "reap.so (ops/s)",
	                                   "empty .so / no preload", "**reap.so / empty .so**",
	                                   "reap.so - empty .so (us/op)", "target (issue #11)",
	                                   "reap.so / no preload (issue #5)", NULL};

	table_head(cols);
	results.loops_misses[0] = '\0';
	results.loops_min_ratio_pid1 = results.loops_min_ratio_plain = INFINITY;
	for (int kind = 0; kind < LK_COUNT; kind++) {
		for (int plain = loop_kinds[kind].as_pid1 ? 0 : 1; plain < 2; plain++) {
			loop_row(kind, plain, s[kind], rounds);
		}
	}
}

/* Per round, a / b of ops/s and b's us/op minus a's for two configurations. */
static void compare(struct sample *a, struct sample *b, int rounds, double *ratio, double *d_us)
{
	for (int r = 0; r < rounds; r++) {
		ratio[r] = a[r].ops / b[r].ops;
		d_us[r] = a[r].us - b[r].us;
	}
}

/* 3c: as PID 1, the floor of any in-process reaper (floor.so) against the empty preload, and
 * reap.so against that floor, from the same rounds as the main table. */
static void floor_table(struct sample (*s)[N_LOOP_CFG][MAX_ROUNDS], int rounds)
{
	static const char *const cols[] = {"loop (PID 1)", "floor.so (ops/s)", "**floor.so / empty .so**",
	                                   "floor.so - empty .so (us/op)", "reap.so / floor.so",
	                                   "reap.so - floor.so (us/op)", NULL};

	table_head(cols);
	for (int kind = 0; kind < LK_COUNT; kind++) {
		double ops[MAX_ROUNDS], floor_ratio[MAX_ROUNDS], floor_us[MAX_ROUNDS], reap_ratio[MAX_ROUNDS],
			reap_us[MAX_ROUNDS];
		char c[5][96];
		const char *row[] = {loop_kinds[kind].desc, c[0], c[1], c[2], c[3], c[4], NULL};
		struct spread floor;

		if (!loop_kinds[kind].as_pid1) {
			continue;
		}
		for (int r = 0; r < rounds; r++) {
			ops[r] = s[kind][CFG_PID1_FLOOR][r].ops;
		}
		compare(s[kind][CFG_PID1_FLOOR], s[kind][CFG_PID1_EMPTY], rounds, floor_ratio, floor_us);
		compare(s[kind][CFG_PID1_REAP], s[kind][CFG_PID1_FLOOR], rounds, reap_ratio, reap_us);
		floor = spread_of(floor_ratio, rounds);
		fmt_spread(c[0], sizeof c[0], spread_of(ops, rounds));
		fmt_spread(c[1], sizeof c[1], floor);
		snprintf(c[2], sizeof c[2], "%+.2f", spread_of(floor_us, rounds).med);
		fmt_spread(c[3], sizeof c[3], spread_of(reap_ratio, rounds));
		snprintf(c[4], sizeof c[4], "%+.2f", spread_of(reap_us, rounds).med);
		table_row(row);
		results.floor_vs_empty[kind] = floor.med;
		raw("  loops %s, PID 1, floor.so (ops/s)\n", loop_kinds[kind].arg);
		raw_list("floor.so", ops, rounds);
	}
}

/* 3e: the copy of the empty preload against the empty preload, in the same rounds: the ratio that
 * differs from 1 only by what the method cannot resolve. */
static void control_table(struct sample (*s)[N_LOOP_CFG][MAX_ROUNDS], int rounds)
{
	static const char *const cols[] = {"loop", "as", "**copy / empty .so**", "copy - empty .so (us/op)", NULL};

	table_head(cols);
	for (int kind = 0; kind < LK_COUNT; kind++) {
		for (int plain = loop_kinds[kind].as_pid1 ? 0 : 1; plain < 2; plain++) {
			int copy = plain ? CFG_PLAIN_COPY : CFG_PID1_COPY, empty = plain ? CFG_PLAIN_EMPTY : CFG_PID1_EMPTY;
			double ratio[MAX_ROUNDS], d_us[MAX_ROUNDS];
			struct spread sr;
			char c[2][96];
			const char *row[] = {loop_kinds[kind].desc, plain ? "plain process" : "PID 1", c[0], c[1], NULL};

			compare(s[kind][copy], s[kind][empty], rounds, ratio, d_us);
			sr = spread_of(ratio, rounds);
			fmt_spread(c[0], sizeof c[0], sr);
			snprintf(c[1], sizeof c[1], "%+.2f", spread_of(d_us, rounds).med);
			table_row(row);
			results.control_vs_empty[kind][plain] = sr.med;
		}
	}
}

void measure_loops(void)
{
	static struct sample s[LK_COUNT][N_LOOP_CFG][MAX_ROUNDS];
	int rounds = cfg.quick ? 1 : 10;
	double secs = cfg.quick ? 0.04 : 0.12;
	int cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	bool bad[LK_COUNT][N_LOOP_CFG] = {{false}};

	for (int kind = 0; kind < LK_COUNT; kind++) {
		for (int round = 0; round < rounds; round++) {
			for (int i = 0; i < N_LOOP_CFG; i++) {
				int c = round % 2 ? N_LOOP_CFG - 1 - i : i;
				struct sample *x = &s[kind][c][round];

				*x = (struct sample){NAN, NAN, NAN, NAN, NAN};
				if ((loop_cfgs[c].pid1 && !loop_kinds[kind].as_pid1) || bad[kind][c]) {
					continue;
				}
				if (loop_once(kind, c, secs, cpu, x) != 0) {
					*x = (struct sample){NAN, NAN, NAN, NAN, NAN};
					bad[kind][c] = true;
				}
			}
		}
	}
	out("\n### 3. Cost to the program's own work\n\n");
	out("Each loop runs %.2f s (after 20 ms of warm-up) in a fresh namespace pinned to CPU %d and counts its\n"
	    "own operations per second; %d rounds, each running the configurations back to back (order\n"
	    "reversed every other round). Ratios are taken within a round: median [min .. max] over rounds;\n"
	    "1.000 = no cost. The reference is the empty preload (an object that does nothing: the floor of\n"
	    "any preload, one more object to map in every exec, more mappings to copy in every fork), so\n"
	    "\"reap.so / empty .so\" is the cost of reap.so's own code; the targets are issue #11's. The exec\n"
	    "loop (the program execs itself) only runs inert: it is the start of every program in the\n"
	    "container.\n",
	    secs, cpu, rounds);
	loops_table(s, rounds);
	out("\n### 3c. Against the floor of any in-process reaper\n\n");
	out("The same rounds, as PID 1, with floor.so preloaded instead: a SIGCHLD handler that looks once\n"
	    "at which child changed state (waitid with WNOWAIT) and does nothing else, the least any library\n"
	    "that reaps from inside PID 1 must do per child (the kernel discards SIGCHLD for a PID 1 at\n"
	    "SIG_DFL, so without a handler there is no delivery at all). \"floor.so / empty .so\" is the\n"
	    "cost no such library can avoid; \"reap.so / floor.so\" what reap.so adds above it.\n");
	floor_table(s, rounds);
	out("\n### 3e. The control: a copy of the empty preload\n\n");
	out("The same rounds once more with a byte-for-byte copy of the empty object preloaded, in both\n"
	    "roles: it differs from the empty preload in nothing but its file, so its ratio to it is the\n"
	    "method's own error, to read the ratios of 3 against.\n");
	control_table(s, rounds);
	results.have_loops = true;
}
