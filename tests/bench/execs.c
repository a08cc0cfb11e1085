/* Measurement 3d: an exec, timed exec by exec. The exec loop of measurement 3 (loops.c) runs each
 * configuration for a stretch of time in turn, and one exec on a VM varies between stretches by
 * more than issue #11's 5 us. Here the driver spawns /bin/true (a plain process: the shim is
 * inert) with no preload, the empty preload and reap.so in turn, the order reversed every other
 * time, and takes reap.so's difference to each of the others against the neighbouring exec: drift
 * cancels, and the median of thousands of such differences moves by about a microsecond between
 * runs. */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const enum preload order[] = {P_NONE, P_EMPTY, P_REAP};
static const char *const names[] = {"no preload", "empty .so", "reap.so"};
#define N_PRELOADS 3
#define REAP 2 /* its index in order[] */

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
	int n = cfg.quick ? 100 : 3000;
	double *us[N_PRELOADS], *diff = malloc((size_t)n * sizeof(double)), reap_minus[REAP];
	cpu_set_t all, one;

	CPU_ZERO(&one);
	CPU_SET((int)sysconf(_SC_NPROCESSORS_ONLN) - 1, &one);
	sched_getaffinity(0, sizeof all, &all);
	sched_setaffinity(0, sizeof one, &one); /* the spawned programs inherit it, as in measurement 3 */
	for (int k = 0; k < N_PRELOADS; k++) {
		us[k] = malloc((size_t)n * sizeof(double));
	}
	for (int i = 0; i < n; i++) {
		for (int step = 0; step < N_PRELOADS; step++) {
			int k = i % 2 ? N_PRELOADS - 1 - step : step;

			us[k][i] = exec_once(order[k]);
			if (us[k][i] < 0) {
				failed("3d: /bin/true with %s did not run: %s", names[k], strerror(errno));
				goto done;
			}
		}
	}
	out("\n### 3d. An exec, timed exec by exec\n\n");
	out("posix_spawn of /bin/true as a plain process (the shim inert), then waitpid, %d times with each\n"
	    "preload, the three in turn (order reversed every other time), pinned to the CPU of 3. The\n"
	    "difference is taken between neighbouring execs, then its median: what the exec loop of 3\n"
	    "measures, without the drift between its stretches.\n", n);
	/* The differences first: quantile() sorts what it is given. */
	for (int k = 0; k < REAP; k++) {
		for (int i = 0; i < n; i++) {
			diff[i] = us[REAP][i] - us[k][i];
		}
		reap_minus[k] = quantile(diff, (size_t)n, 0.5);
	}
	results.exec_vs_empty_us = reap_minus[1];
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
done:
	sched_setaffinity(0, sizeof all, &all);
	for (int k = 0; k < N_PRELOADS; k++) {
		free(us[k]);
	}
	free(diff);
}
