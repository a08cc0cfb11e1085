/* reapbench: the driver of `make bench` (issue #5). Runs every measurement, each run in a fresh
 * PID namespace, prints one Markdown table per measurement on stdout and into the results file
 * (with the raw per-run figures there too), then the targets of the issue, met or not. Exits 0
 * unless a measurement could not be taken; the numbers never fail it.
 *
 * usage: reapbench --shim ABS/reap.so --empty ABS/empty.so --work ABS/build/bench [--out FILE] [--quick]
 *                  [--only storm,loops,execs,attrib,scale,startup,idle] [--no-rt] */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

struct bench_cfg cfg;
struct results results;

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, size, "unknown");
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(buf, size, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f) {
		fclose(f);
	}
}

static int host_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL) {
		n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	}
	if (d) {
		closedir(d);
	}
	return n;
}

static void header(int argc, char **argv)
{
	char cpu[256], date[64], cmd[1024] = "";
	struct utsname u;
	struct stat sb;
	time_t t = time(NULL);
	double load[3] = {0, 0, 0};

	cpu_model(cpu, sizeof cpu);
	uname(&u);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(cmd);

		snprintf(cmd + len, sizeof cmd - len, "%s%s", i ? " " : "", argv[i]);
	}
	getloadavg(load, 3);
	out("## reap benchmark%s\n\n", cfg.quick ? " (BENCH_QUICK: smoke run, figures not meaningful)" : "");
	out("- machine: %ld CPUs (nproc), kernel %s (%s), CPU %s\n", sysconf(_SC_NPROCESSORS_ONLN), u.release,
	    u.version, cpu);
	out("- date: %s; load average at start %.2f %.2f %.2f; %d processes on the host\n", date, load[0], load[1],
	    load[2], host_processes());
	out("- command: `make bench%s` -> `%s`\n", cfg.quick ? " BENCH_QUICK=1" : "", cmd);
	if (stat(cfg.shim, &sb) == 0) {
		char mt[64];

		strftime(mt, sizeof mt, "%Y-%m-%d %H:%M:%S UTC", gmtime(&sb.st_mtime));
		out("- reap.so: %s, %lld bytes, built %s\n", cfg.shim, (long long)sb.st_size, mt);
	}
	out("- each run: clone3(CLONE_NEWPID|CLONE_NEWNS), private mounts, fresh /proc (what `unshare --pid\n"
	    "  --fork --mount-proc` does), environment PATH, LC_ALL=C, and LD_PRELOAD for reap.so only\n");
}

static void progress(const char *what, int full_s)
{
	if (cfg.quick) {
		fprintf(stderr, "reapbench: measuring %s (quick)\n", what);
	} else {
		fprintf(stderr, "reapbench: measuring %s (about %d s)\n", what, full_s);
	}
}

static bool want(const char *only, const char *name)
{
	const char *p = only;
	size_t len = strlen(name);

	if (!only) {
		return true;
	}
	while ((p = strstr(p, name)) != NULL) {
		if ((p == only || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')) {
			return true;
		}
		p += len;
	}
	return false;
}

static bool check_tools(void)
{
	static const char *const tools[] = {"/usr/bin/tini", "/usr/bin/dumb-init", "/usr/bin/catatonit", "/bin/true",
	                                    NULL};
	static const char *const progs[] = {"storm", "loops", "idle", "scale", NULL};
	bool ok = true;

	if (access(cfg.shim, R_OK) != 0 || access(cfg.empty, R_OK) != 0) {
		failed("%s or %s not found", cfg.shim, cfg.empty);
		ok = false;
	}
	for (int i = 0; tools[i]; i++) {
		if (access(tools[i], X_OK) != 0) {
			failed("%s is missing (tests/bench/install-deps.sh installs it)", tools[i]);
			ok = false;
		}
	}
	for (int i = 0; progs[i]; i++) {
		if (access(work_prog(progs[i], 0), X_OK) != 0) {
			failed("%s is missing", work_prog(progs[i], 0));
			ok = false;
		}
	}
	if (geteuid() != 0) {
		failed("must run as root (PID namespaces, /proc of other namespaces)");
		ok = false;
	}
	return ok;
}

static void setup_process(bool rt)
{
	struct sched_param sp = {.sched_priority = 10};
	struct rlimit rl;

	/* Many pidfds at once during the storm. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The observer must wake at once when the kernel reports something, whatever load the
	 * workload puts on the CPUs; children go back to SCHED_OTHER. */
	if (!rt) {
		out("- observer: SCHED_OTHER (--no-rt)\n");
	} else if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
		out("- note: SCHED_FIFO refused (%s); the observer runs SCHED_OTHER\n", strerror(errno));
	} else {
		out("- observer: SCHED_FIFO priority 10 (children reset to SCHED_OTHER)\n");
	}
}

int main(int argc, char **argv)
{
	const char *outfile = NULL, *only = NULL;
	bool rt = true;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shim") && i + 1 < argc) {
			cfg.shim = argv[++i];
		} else if (!strcmp(argv[i], "--empty") && i + 1 < argc) {
			cfg.empty = argv[++i];
		} else if (!strcmp(argv[i], "--work") && i + 1 < argc) {
			cfg.work = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			outfile = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--no-rt")) {
			rt = false;
		} else if (!strcmp(argv[i], "--quick")) {
			cfg.quick = true;
		} else {
			fprintf(stderr, "usage: reapbench --shim ABS/reap.so --empty ABS/empty.so --work DIR [--out FILE] [--quick] "
			                "[--only storm,loops,execs,attrib,scale,startup,idle] [--no-rt]\n");
			return 2;
		}
	}
	if (!cfg.shim || !cfg.work || !cfg.empty || cfg.shim[0] != '/' || cfg.work[0] != '/' || cfg.empty[0] != '/') {
		fprintf(stderr, "reapbench: --shim, --empty and --work need absolute paths\n");
		return 2;
	}
	if (outfile && report_open(outfile) != 0) {
		fprintf(stderr, "reapbench: cannot write %s: %s\n", outfile, strerror(errno));
		return 2;
	}
	header(argc, argv);
	setup_process(rt);
	if (check_tools()) {
		if (!make_empty_copy()) {
			failed("cannot copy %s to %s: %s", cfg.empty, empty_copy_path(), strerror(errno));
		}
		drop_from_page_cache(cfg.shim);
		drop_from_page_cache(cfg.empty);
		drop_from_page_cache(empty_copy_path());
		drop_from_page_cache(work_prog("floor.so", 0));
		if (want(only, "storm")) {
			progress("orphan storm", 80);
			measure_storm();
		}
		if (want(only, "loops")) {
			progress("cost to the program's own work", 100);
			measure_loops();
		}
		if (want(only, "execs")) {
			progress("an exec, timed exec by exec", 10);
			measure_execs();
		}
		if (want(only, "scale")) {
			progress("scaling with many own children", 120);
			measure_scale();
		}
		if (want(only, "startup")) {
			progress("start-up", 3);
			measure_startup();
		}
		if (want(only, "idle")) {
			progress("memory, processes, signal to exit", 5);
			measure_idle();
		}
		/* Last: while the kernel counters are registered every system call is slower. */
		if (want(only, "attrib")) {
			progress("where the cost goes (kernel counters)", 25);
			measure_attribution();
		}
		{
			double load[3] = {0, 0, 0};

			getloadavg(load, 3);
			out("\nLoad average at the end: %.2f %.2f %.2f; %d processes on the host.\n", load[0], load[1],
			    load[2], host_processes());
		}
		summarize_targets();
	}
	if (failures()) {
		out("\n%d measurement(s) could not be taken (see NOT TAKEN above): exit 1.\n", failures());
	}
	if (outfile) {
		out("\nResults and raw per-run figures: %s\n", outfile);
	}
	report_close();
	return failures() ? 1 : 0;
}
