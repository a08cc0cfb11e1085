/* reapbench, the driver of `make bench`: shared declarations. The driver runs outside the PID
 * namespaces it creates and measures everything from there. */
#ifndef REAP_BENCH_H
#define REAP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- configuration (main.c) ---- */
struct bench_cfg {
	const char *shim;        /* absolute path of build/reap.so */
	const char *work;        /* directory of the workload programs (build/bench) */
	const char *empty;       /* absolute path of build/bench/empty.so (a preload that does nothing) */
	bool quick;              /* BENCH_QUICK=1: smoke run of a few seconds */
};
extern struct bench_cfg cfg;

/* ---- the ways to run a program as PID 1 (cand.c) ---- */
enum cand_id { C_BARE, C_REAP, C_TINI, C_DUMB, C_CATA, C_PERIODIC, C_LIMIT, C_EMPTY, C_COUNT };
enum preload { P_NONE, P_REAP, P_EMPTY, P_FLOOR, P_EMPTY_COPY };
struct cand {
	const char *name;
	const char *const *wrapper;  /* argv prefix of a wrapper init, or NULL */
	enum preload preload;        /* what LD_PRELOAD holds in the program's environment */
	bool is_wrapper;
};
extern const struct cand cands[C_COUNT];
/* argv: the candidate's wrapper prefix followed by prog (NULL-terminated); returns a static array. */
const char *const *cand_argv(const struct cand *c, const char *const *prog);
/* envp: a fixed PATH, LD_PRELOAD as asked, then extra (NULL-terminated, may be NULL). */
const char *const *make_env(enum preload preload, const char *const *extra);
/* A copy of the empty preload in the work directory, made once before the measurements: the
 * control of measurements 3 and 3d (an object that differs from the empty one in nothing but its
 * file). empty_copy_path() is its path. */
bool make_empty_copy(void);
const char *empty_copy_path(void);
/* Written back and dropped from the page cache, so that the next exec that maps it reads it back as
 * any exec would: how the cache holds an object depends on how it was written and read, and two
 * identical copies of one object measured up to 15 us per exec apart until both were dropped. */
void drop_from_page_cache(const char *path);
/* Absolute path of a workload program in cfg.work; static buffer per call slot (0..3). */
const char *work_prog(const char *name, int slot);

/* ---- launching (launch.c) ---- */
struct launch {
	const char *const *argv;
	const char *const *envp;
	bool pid1;              /* program is PID 1; otherwise a stub PID 1 forks it and waits */
	int in_fd, out_fd;      /* become 0 and 1+2 in the program */
	int keep[4];            /* further fds the program inherits (-1 = none) */
	int cpu;                /* pin the namespace to this CPU; -1: no pinning */
};
struct ns_run {
	pid_t pid;              /* host pid of PID 1 of the namespace */
	int pidfd;              /* readable once PID 1 has exited, i.e. the namespace is empty */
	int64_t t_start_ns;     /* just before clone3 */
};
int ns_start(struct ns_run *r, const struct launch *l);
/* Wait up to timeout_s for the namespace to end. 0 and *code (exit code or 128+signal) and
 * *t_end_ns on success, -1 on timeout. */
int ns_wait(struct ns_run *r, double timeout_s, int *code, int64_t *t_end_ns);
/* SIGKILL PID 1 (so the whole namespace) and collect it. */
void ns_kill(struct ns_run *r);
int64_t now_ns(void);
/* Run argv in a fresh namespace (as PID 1, or under the stub PID 1), stdin /dev/null, stdout and
 * stderr into a memfd, pinned to cpu (-1: not), for at most timeout_s (then the namespace is
 * killed). Returns the output (malloc'ed) and *code: the exit code or 128+signal; -1 if it did not
 * finish in time; -2 if it could not be started (errno says why). */
char *ns_capture(const char *const *argv, const char *const *envp, bool pid1, int cpu, double timeout_s,
                 int *code);
/* Read everything written to a memfd; malloc'ed, NUL-terminated. */
char *fd_slurp(int fd);
/* The last `lines` lines of s (a pointer into s). */
const char *tail_lines(const char *s, int lines);

/* ---- the namespace from outside (nsproc.c) ---- */
struct ns_procs {
	int count;              /* processes in the namespace */
	int zombies;            /* of which in state Z */
	long rss_kb, pss_kb;    /* sums of VmRSS and Pss */
	char names[160];        /* "tini,idle" */
};
/* Look at the namespace whose PID 1 has host pid `init` through /proc/init/root/proc. */
int ns_procs_read(pid_t init, struct ns_procs *out, bool memory);

/* ---- statistics and output (report.c) ---- */
struct spread { double med, min, max; int n; };
struct spread spread_of(const double *v, int n);
/* q-quantile (0..1) of v; sorts v in place; linear interpolation between closest ranks. */
double quantile(double *v, size_t n, double q);
void fmt_num(char *b, size_t n, double v);
/* "med [min .. max]" */
void fmt_spread(char *b, size_t n, struct spread s);
int report_open(const char *path);
void report_close(void);
/* To stdout and the results file. */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* To the results file only (raw per-run figures). */
void raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void raw_list(const char *label, const double *v, int n);
void table_head(const char *const *cols);
void table_row(const char *const *cells);
/* Record that a measurement could not be taken (the driver then exits 1). */
void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int failures(void);

/* ---- the program's own loops (loops.c; attrib.c counts what they do) ---- */
enum loop_kind_id { LK_FORK, LK_VFORK, LK_SPAWN, LK_SYSTEM, LK_POPEN, LK_POLL, LK_EXEC, LK_COUNT };
struct loop_kind {
	const char *arg;        /* work/loops KIND */
	const char *desc;
	bool as_pid1;           /* measured as PID 1 too, not only inert */
	double target_pid1;     /* issue #11: reap.so / empty .so as PID 1 at least this; 0: none stated */
	long count_ops;         /* operations of a counted run (attrib.c) */
};
extern const struct loop_kind loop_kinds[LK_COUNT];
/* Issue #11: inert, every loop at least this fraction of the empty preload's speed, and an exec'd
 * inert program at most this many microseconds slower than with the empty preload. */
#define TARGET_INERT_RATIO 0.99
#define TARGET_EXEC_US 5.0
/* The configurations of a loop: as PID 1 (reap.so active) or as a plain process under a stub
 * PID 1 (reap.so inert), each with no preload, the empty preload and reap.so; as PID 1 with
 * floor.so, the least an in-process reaper does (a SIGCHLD handler that looks once); and in both
 * roles with the copy of the empty preload, the control (timed only, never counted). */
enum { CFG_PID1_NONE, CFG_PID1_EMPTY, CFG_PID1_REAP, CFG_PLAIN_NONE, CFG_PLAIN_EMPTY, CFG_PLAIN_REAP, CFG_PID1_FLOOR,
       CFG_PID1_COPY, CFG_PLAIN_COPY, N_LOOP_CFG };
struct loop_cfg {
	bool pid1;
	enum preload preload;
	const char *name;
};
extern const struct loop_cfg loop_cfgs[N_LOOP_CFG];
/* Medians over the timed rounds, per operation. */
struct loop_stat {
	bool ok;
	double us, user_us, sys_us, child_us;   /* wall; CPU of the loop's process; of its children */
};

/* ---- the measurements; each fills `results` for the target summary ---- */
#define SCALE_MAX 3
struct results {
	bool have_startup, have_loops, have_storm, have_signal;
	double startup_added_ms[C_COUNT];    /* median over rounds of (candidate - bare), /bin/true */
	double loops_min_ratio_pid1, loops_min_ratio_plain;
	const char *loops_worst_pid1, *loops_worst_plain;
	char loops_misses[1024];
	bool storm_ok[C_COUNT];
	double storm_zmax[C_COUNT], storm_lat_med[C_COUNT], storm_lat_p99[C_COUNT];
	double signal_ms[C_COUNT];
	/* loops.c, against the empty preload: [kind][0 as PID 1, 1 inert]; NAN if not taken */
	struct loop_stat loop[LK_COUNT][N_LOOP_CFG];
	double loop_vs_empty[LK_COUNT][2];      /* median per-round ratio of ops/s, reap.so / empty .so */
	double loop_us_vs_empty[LK_COUNT][2];   /* median per-round difference, us per operation */
	double floor_vs_empty[LK_COUNT];        /* as PID 1: floor.so / empty .so, median per-round ratio */
	double control_vs_empty[LK_COUNT][2];   /* the copy of the empty preload / empty .so, as loop_vs_empty */
	/* execs.c: reap.so minus the empty preload per exec of /bin/true, median of neighbouring pairs */
	bool have_execs;
	double exec_vs_empty_us;
	double exec_control_us; /* the copy of the empty object minus the empty object: the method's error */
	/* scale.c: median cost per event in us; NAN not taken, INFINITY did not finish in time */
	bool have_scale_children, have_scale_orphans;
	int scale_n[SCALE_MAX], scale_k[SCALE_MAX], n_scale_n, n_scale_k;
	double scale_limit_s;
	double scale_exit_us[SCALE_MAX][C_COUNT], scale_alive_us[SCALE_MAX][C_COUNT];
	double scale_orphan_us[SCALE_MAX][C_COUNT];
};
extern struct results results;
void measure_startup(void);
void measure_idle(void);     /* memory, processes, signal to exit */
void measure_loops(void);
void measure_execs(void);   /* 3d */
void measure_attribution(void);  /* after measure_loops: its CPU times */
void measure_scale(void);
void measure_storm(void);
void summarize_targets(void);

#endif
