/* The targets of issues #5, #11 and #9 (scaling), checked against this run's medians. Printed,
 * never enforced: numbers do not fail the benchmark. */
#include "bench.h"

#include <math.h>
#include <stdio.h>

static const enum cand_id wrappers[] = {C_TINI, C_DUMB, C_CATA};

static enum cand_id best_wrapper(const double *v, const bool *ok)
{
	enum cand_id best = C_COUNT;

	for (int i = 0; i < 3; i++) {
		enum cand_id w = wrappers[i];

		if ((!ok || ok[w]) && !isnan(v[w]) && v[w] >= 0 && (best == C_COUNT || v[w] < v[best])) {
			best = w;
		}
	}
	return best;
}

static const char *verdict(bool met)
{
	return met ? "**met**" : "**NOT met**";
}

static void storm_target(const char *what, const double *v, const char *unit)
{
	enum cand_id b = best_wrapper(v, results.storm_ok);

	if (b == C_COUNT || !results.storm_ok[C_REAP] || isnan(v[C_REAP])) {
		out("- %s: not measured (reap.so or every wrapper failed)\n", what);
		return;
	}
	out("- %s no worse than the best wrapper: reap.so %.1f %s, best wrapper %s %.1f %s (ratio %.2f): %s\n", what,
	    v[C_REAP], unit, cands[b].name, v[b], unit, v[C_REAP] / v[b], verdict(v[C_REAP] <= v[b]));
}

/* The inert loops (every one but the exec, judged in microseconds) by a ratio to the empty preload:
 * the worst, and those below the inert target, listed into misses. Returns how many are below. */
static int inert_below(const double (*ratio)[2], double *worst, const char **worst_name, char *misses, size_t room)
{
	size_t len = 0;
	int below = 0;

	*worst = INFINITY;
	*worst_name = "-";
	for (int k = 0; k < LK_COUNT; k++) {
		double r = ratio[k][1];

		if (k == LK_EXEC) {
			continue;
		}
		if (isnan(r) || r < TARGET_INERT_RATIO) {
			below++;
			len += (size_t)snprintf(misses + len, len < room ? room - len : 0, "%s%s %.3f", len ? "; " : "",
			                        loop_kinds[k].desc, r);
		}
		if (r < *worst) {
			*worst = r;
			*worst_name = loop_kinds[k].desc;
		}
	}
	return below;
}

/* Issue #11: reap.so against the empty preload, in the same run. */
static void issue11_targets(void)
{
	double worst;
	const char *worst_name;
	char misses[1024] = "";

	out("\n### Targets of issue #11 (this run; ratios reap.so / empty .so)\n\n");
	for (int k = 0; k < LK_COUNT; k++) {
		double r = results.loop_vs_empty[k][0], t = loop_kinds[k].target_pid1;

		if (t > 0) {
			out("- as PID 1, %s >= %.2f: %.3f (%+.2f us/op): %s; the floor of any in-process reaper "
			    "(floor.so, 3c) is %.3f\n",
			    loop_kinds[k].desc, t, r, results.loop_us_vs_empty[k][0], isnan(r) ? "not taken" : verdict(r >= t),
			    results.floor_vs_empty[k]);
		}
	}
	inert_below(results.loop_vs_empty, &worst, &worst_name, misses, sizeof misses);
	out("- inert, every loop >= %.2f: worst %.3f (%s): %s%s%s\n", TARGET_INERT_RATIO, worst, worst_name,
	    verdict(!misses[0]), misses[0] ? "; misses: " : "", misses);
	/* The control of 3e beside it: how often a copy of the empty preload, which costs nothing,
	 * misses the same target in the same rounds. */
	{
		char control_misses[1024] = "";
		int below = inert_below(results.control_vs_empty, &worst, &worst_name, control_misses, sizeof control_misses);

		out("  - the control (3e), a copy of the empty preload in the same rounds: worst %.3f (%s); below %.2f "
		    "in %d of %d loops\n",
		    worst, worst_name, TARGET_INERT_RATIO, below, LK_COUNT - 1);
	}
	if (results.have_execs) {
		out("- an exec'd inert program within %.0f us of the empty preload: %+.2f us exec by exec (3d; its "
		    "control, a copy of the empty preload: %+.2f us; the exec loop of 3: %+.2f us): %s\n",
		    TARGET_EXEC_US, results.exec_vs_empty_us, results.exec_control_us, results.loop_us_vs_empty[LK_EXEC][1],
		    verdict(results.exec_vs_empty_us <= TARGET_EXEC_US));
	} else {
		double us = results.loop_us_vs_empty[LK_EXEC][1];

		out("- an exec'd inert program within %.0f us of the empty preload: %+.2f us (ratio %.3f): %s\n",
		    TARGET_EXEC_US, us, results.loop_vs_empty[LK_EXEC][1],
		    isnan(us) ? "not taken" : verdict(us <= TARGET_EXEC_US));
	}
}

/* How a cost per event grows from the smallest size to the largest; "did not finish" as such. */
static void growth(char *b, size_t n, const double *first, const double *last, enum cand_id id, double limit_s)
{
	if (isinf(last[id])) {
		snprintf(b, n, "%s %.1f us, then did not finish in %.0f s", cands[id].name, first[id], limit_s);
	} else {
		snprintf(b, n, "%s %.1f -> %.1f us (x%.2f)", cands[id].name, first[id], last[id], last[id] / first[id]);
	}
}

/* Issue #9 item 12: a cost per event that does not grow with the number of own children. Met when
 * reap.so's cost grows by no more than half as much again as bare's (or tini's for orphans). */
static void scaling_line(const char *what, const double (*v)[C_COUNT], int n_sizes, const char *unit,
                         const char *var, int first, int last, enum cand_id ref)
{
	const double *a = v[0], *z = v[n_sizes - 1];
	char r[160], b[160], t[160];
	bool met;

	growth(r, sizeof r, a, z, C_REAP, results.scale_limit_s);
	growth(b, sizeof b, a, z, C_BARE, results.scale_limit_s);
	growth(t, sizeof t, a, z, C_TINI, results.scale_limit_s);
	met = !isinf(z[C_REAP]) && z[C_REAP] / a[C_REAP] <= 1.5 * (z[ref] / a[ref]);
	out("- %s, cost per %s from %s = %d to %s = %d: %s; %s; %s: %s\n", what, unit, var, first, var, last, r, b, t,
	    isnan(z[C_REAP]) || isnan(a[C_REAP]) ? "not taken" : verdict(met));
}

static void scaling_targets(void)
{
	out("\n### Scaling (issue #9 item 12: O(1) per event; met when reap.so's cost grows at most 1.5 times as\n"
	    "much as the reference's)\n\n");
	if (results.have_scale_children && results.n_scale_n > 1) {
		int n0 = results.scale_n[0], n1 = results.scale_n[results.n_scale_n - 1];

		scaling_line("N own children exiting at once, then waited (reference bare)", results.scale_exit_us,
		             results.n_scale_n, "child", "N", n0, n1, C_BARE);
		scaling_line("fork + wait with N own children alive (reference bare)", results.scale_alive_us,
		             results.n_scale_n, "op", "N", n0, n1, C_BARE);
	}
	if (results.have_scale_orphans && results.n_scale_k > 1) {
		scaling_line("orphans with K own zombies (reference tini, which reaps them too)", results.scale_orphan_us,
		             results.n_scale_k, "orphan", "K", results.scale_k[0], results.scale_k[results.n_scale_k - 1],
		             C_TINI);
	}
}

void summarize_targets(void)
{
	if (results.have_storm || results.have_loops || results.have_startup || results.have_signal) {
		out("\n### Targets of issue #5 (this run; ratios against no preload)\n\n");
	}
	if (results.have_storm) {
		storm_target("zombie high-water mark (median of per-round max)", results.storm_zmax, "zombies");
		storm_target("reap latency, median", results.storm_lat_med, "us");
		storm_target("reap latency, p99", results.storm_lat_p99, "us");
		for (int i = 0; i < 4; i++) {
			static const enum cand_id who[] = {C_REAP, C_TINI, C_DUMB, C_CATA};
			enum cand_id w = who[i];

			if (results.storm_ok[w] && results.storm_ok[C_LIMIT] && !isnan(results.storm_lat_med[w])) {
				out("- %s against the physical limit (one signal delivery): x%.2f at the median, x%.2f at p99\n",
				    cands[w].name, results.storm_lat_med[w] / results.storm_lat_med[C_LIMIT],
				    results.storm_lat_p99[w] / results.storm_lat_p99[C_LIMIT]);
			}
		}
	}
	if (results.have_loops) {
		out("- cost on the program's own loops within 3%% of no shim (ratio >= 0.970): worst as PID 1 %.3f (%s), "
		    "worst as a plain process %.3f (%s): %s%s%s\n",
		    results.loops_min_ratio_pid1, results.loops_worst_pid1 ? results.loops_worst_pid1 : "-",
		    results.loops_min_ratio_plain, results.loops_worst_plain ? results.loops_worst_plain : "-",
		    verdict(results.loops_misses[0] == '\0'), results.loops_misses[0] ? "; misses: " : "",
		    results.loops_misses);
	}
	if (results.have_startup) {
		enum cand_id b = best_wrapper(results.startup_added_ms, NULL);
		double added = results.startup_added_ms[C_REAP];

		if (b != C_COUNT) {
			double wadded = results.startup_added_ms[b];

			out("- start-up added over bare at most a tenth of the best wrapper's: reap.so %+.3f ms, best wrapper "
			    "%s %+.3f ms (limit %.3f ms; reap.so adds %.0f%% of it; an empty preloaded object adds "
			    "%+.3f ms): %s\n",
			    added, cands[b].name, wadded, wadded / 10, 100 * added / wadded,
			    results.startup_added_ms[C_EMPTY], verdict(added <= wadded / 10));
		}
	}
	if (results.have_signal) {
		enum cand_id b = best_wrapper(results.signal_ms, NULL);

		if (results.signal_ms[C_REAP] < 0) {
			out("- signal to exit (no target in the issue): reap.so did not exit on SIGTERM\n");
		} else if (b != C_COUNT) {
			out("- signal to exit (no target in the issue; reported): reap.so %.3f ms, best wrapper %s %.3f ms\n",
			    results.signal_ms[C_REAP], cands[b].name, results.signal_ms[b]);
		}
	}
	if (results.have_loops) {
		issue11_targets();
	}
	if (results.have_scale_children || results.have_scale_orphans) {
		scaling_targets();
	}
}
