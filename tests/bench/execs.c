/* Measurement 3d: an exec, timed exec by exec. The exec loop of measurement 3 (loops.c) runs each
 * configuration for a stretch of time in turn, and one exec on a VM varies between stretches by
 * more than issue #11's 5 us. Here the driver spawns /bin/true (a plain process: the shim is
 * inert) with each preload once per round, in an order shuffled every round, and takes reap.so's
 * difference to each of the others within the round: drift cancels, and no preload always runs
 * after the same one (a spawn right after one with the same preload is the cheaper, so a fixed
 * order favours whichever comes first or last).
 *
 * Two things that are not the preload's own cost are levelled first. How the page cache holds an
 * object depends on how it was written and read (an identical copy of the empty object measured
 * up to 15 us apart from it until both were dropped from the cache and read back by execs), so
 * every object is dropped from the cache and read back the same way before the rounds. And a copy
 * of the empty object runs as one more preload: its difference to the empty one is what the method
 * cannot tell apart from zero. */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NONE, EMPTY, EMPTY_COPY, REAP, N_PRELOADS };
static const enum preload preloads[N_PRELOADS] = {P_NONE, P_EMPTY, P_EMPTY_COPY, P_REAP};
static const char *const names[N_PRELOADS] = {"no preload", "empty .so", "a copy of empty .so", "reap.so"};

/* One spawn of /bin/true to its end, in microseconds; negative if it failed. */
static double exec_once(enum preload preload)
{
	char *const argv[] = {"/bin/true", NULL};
	int64_t start = now_ns();
	pid_t pid;
	int status;

	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, (char *const *)make_env(preload, NULL)) != 0 ||
	    waitpid(pid, &status, 0) != pid || status != 0) {
		return -1;
	}
	return (double)(now_ns() - start) / 1e3;
}

void measure_execs(void)
{
	static const char *const cols[] = {"preload", "/bin/true, spawn to exit (us): median", "quartiles",
	                                   "reap.so minus this, exec by exec (us): median", NULL};
	int n = cfg.quick ? 100 : 3000, warm = cfg.quick ? 5 : 50;
	double *us[N_PRELOADS], *diff = malloc((size_t)n * sizeof(double)), reap_minus[REAP];
	unsigned seed = 11; /* the same shuffles in every run */
	cpu_set_t all, one;

	drop_from_page_cache(cfg.empty);
	drop_from_page_cache(empty_copy_path());
	drop_from_page_cache(cfg.shim);
	for (int k = 0; k < N_PRELOADS; k++) {
		us[k] = malloc((size_t)n * sizeof(double));
	}
	CPU_ZERO(&one);
	CPU_SET((int)sysconf(_SC_NPROCESSORS_ONLN) - 1, &one);
	sched_getaffinity(0, sizeof all, &all);
	sched_setaffinity(0, sizeof one, &one); /* the spawned programs inherit it, as in measurement 3 */
	for (int i = -warm; i < n; i++) {
		int order[N_PRELOADS] = {NONE, EMPTY, EMPTY_COPY, REAP};

		for (int k = N_PRELOADS - 1; k > 0; k--) {
			int j = (int)(rand_r(&seed) % (unsigned)(k + 1)), t = order[k];

			order[k] = order[j];
			order[j] = t;
		}
		for (int step = 0; step < N_PRELOADS; step++) {
			int k = order[step];
			double t = exec_once(preloads[k]);

			if (t < 0) {
				failed("3d: /bin/true with %s did not run: %s", names[k], strerror(errno));
				goto done;
			}
			if (i >= 0) {
				us[k][i] = t;
			}
		}
	}
	out("\n### 3d. An exec, timed exec by exec\n\n");
	out("posix_spawn of /bin/true as a plain process (the shim inert), then waitpid, %d rounds of one\n"
	    "spawn with each preload in an order shuffled every round, pinned to the CPU of 3, after every\n"
	    "object was dropped from the page cache and %d rounds read it back. The difference is taken\n"
	    "within the round, then its median: what the exec loop of 3 measures, without the drift\n"
	    "between its stretches. A copy of the empty object is the control: its row is the method's\n"
	    "error.\n", n, warm);
	/* The differences first: quantile() sorts what it is given. */
	for (int k = 0; k < REAP; k++) {
		for (int i = 0; i < n; i++) {
			diff[i] = us[REAP][i] - us[k][i];
		}
		reap_minus[k] = quantile(diff, (size_t)n, 0.5);
	}
	for (int i = 0; i < n; i++) {
		diff[i] = us[EMPTY_COPY][i] - us[EMPTY][i];
	}
	results.exec_vs_empty_us = reap_minus[EMPTY];
	results.exec_control_us = quantile(diff, (size_t)n, 0.5);
	results.have_execs = true;
	table_head(cols);
	for (int k = 0; k < N_PRELOADS; k++) {
		char med[32], quart[64], d[32] = "-";

		raw_list(names[k], us[k], n);
		if (k != REAP) {
			snprintf(d, sizeof d, "%+.1f", reap_minus[k]);
		}
		fmt_num(med, sizeof med, quantile(us[k], (size_t)n, 0.5));
		snprintf(quart, sizeof quart, "%.1f .. %.1f", quantile(us[k], (size_t)n, 0.25), quantile(us[k], (size_t)n, 0.75));
		table_row((const char *const[]){names[k], med, quart, d, NULL});
	}
	out("\nThe control, a copy of empty .so minus empty .so, exec by exec: %+.1f us.\n", results.exec_control_us);
done:
	sched_setaffinity(0, sizeof all, &all);
	for (int k = 0; k < N_PRELOADS; k++) {
		free(us[k]);
	}
	free(diff);
}
