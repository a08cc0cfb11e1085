/* The targets of issue #5, checked against this run's medians. Printed, never enforced: numbers
 * do not fail the benchmark. */
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

void summarize_targets(void)
{
	out("\n### Targets of issue #5 (this run)\n\n");
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
}
