/* Helpers shared by the core_* scenarios (issue 2): programs that run as PID 1 of a fresh PID
 * namespace, under a storm of foreign orphans, and check their own view of their children.
 *
 * A scenario prints its observations as lines on stdout (one write(2) per line). Lines are
 * deterministic: the same program prints the same transcript under plain libc without foreign
 * orphans, under the shim with a storm, and under the shim inert, so a test can compare them.
 * A check that does not hold prints `FAIL [stage] what: expected X, got Y`. The last line is
 * `RESULT ok` or `RESULT FAILED n`; the exit code is one of SCN_EXIT_*.
 *
 * Environment read by scn_init():
 *   SCN_STORM=0    the storm process exists (an own child) but makes no orphans (default 1)
 *   SCN_SETTLE=S   how long the final zombie check waits for zombies to go (default 2 s)
 *   STRESS=1       scale counts up (see scn_scale) and time limits with them */
#ifndef REAP_TESTS_SCN_H
#define REAP_TESTS_SCN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SCN_EXIT_OK 0
#define SCN_EXIT_FAILED 1  /* some check did not hold: see the FAIL lines */
#define SCN_EXIT_BROKEN 2  /* the scenario itself could not run (fork failed, ...) */
#define SCN_EXIT_TIMEOUT 3 /* a stage overran its watchdog: see the FAIL line */

/* ---- reporting (scn.c) ---------------------------------------------------------------------- */

/* Parse the environment, install the SIGALRM watchdog. Call first. */
void scn_init(void);
/* Name the current stage (it prefixes FAIL lines) and arm the watchdog: a stage that runs longer
 * than `seconds` (scaled under STRESS) prints a FAIL line and exits SCN_EXIT_TIMEOUT. */
void scn_stage(const char *name, double seconds);
/* One line on stdout; safe to call from several threads (one write per line). */
void scn_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A check that did not hold: `FAIL [stage] ...`, counted. */
void scn_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The scenario cannot go on: message, exit SCN_EXIT_BROKEN. */
void scn_broken(const char *what) __attribute__((noreturn));
/* Check helpers: print a FAIL line when expected != got; return whether it held. */
bool scn_expect_int(const char *what, long expected, long got);
bool scn_expect_status(const char *what, int expected, int got);
/* Number of FAIL lines so far. */
int scn_failures(void);
/* The last stage: stop and collect the storm, check that no child is left to wait for (ECHILD),
 * wait (bounded) until no child of ours is left at all, print RESULT. Returns the exit code.
 * SIGCHLD must be back at SIG_DFL when it is called. */
int scn_finish(void);

/* A scenario made of named variants, each a function of its own. */
struct scn_variant {
	const char *name;
	void (*run)(void);
};
/* Run the variant named `which`, or every one in order for "all", each followed by after_each (when
 * not NULL). Returns whether any ran. */
bool scn_run_variants(const struct scn_variant *variants, size_t n, const char *which, void (*after_each)(void));
/* The whole main of such a scenario: scn_init, storm_start, then the variant argv[1] names ("all" when
 * there is none) as scn_run_variants runs it; an unknown name prints `usage` and returns
 * SCN_EXIT_BROKEN. Returns scn_finish()'s exit code. */
int scn_variants_main(int argc, char **argv, const struct scn_variant *variants, size_t n,
                      void (*after_each)(void), const char *usage);

/* Where the orphans of our descendants go and are reaped: this process (it is PID 1, or a child
 * subreaper), or the shim's split-mode init when that is our parent (command name "reap-init");
 * 0 when they go to the machine's init (the scenarios then make none). scn_reaper() says whether
 * there is one. */
pid_t scn_orphan_reaper(void);
bool scn_reaper(void);
/* Zombies among the children of pid (every thread's list). */
int proc_zombie_children(pid_t pid);
/* Was SCN_STORM on (and do orphans come to us: a storm elsewhere only burdens the machine's init),
 * STRESS set; a count scaled for the stress tier. */
bool scn_storm_on(void);
bool scn_stress(void);
int scn_scale(int n);
/* Monotonic seconds; sleep for pacing in bounded polls only. */
double scn_now(void);
void scn_nap(double seconds);
/* What musl (and glibc before 2.34) has no wrapper for: pidfd_open(pid, 0), and close_range(first,
 * ~0U, 0) (or a loop of close where the kernel lacks it). */
int scn_pidfd(pid_t pid);
void scn_close_from(int first);

/* Wait statuses as the kernel builds them, and their text ("exited 3", "killed by signal 9",
 * "stopped by signal 19", "continued"). */
int st_exit(int code);
int st_signal(int sig);
int st_stopped(int sig);
int st_continued(void);
const char *st_text(int status, char buf[64]);
/* The wait status a siginfo_t from waitid describes (si_code CLD_*). */
int st_from_siginfo(const siginfo_t *si);

/* ---- own children (own.c) -------------------------------------------------------------------- */

#define OWN_ANY (-1) /* expected status: any (the child's end is not the point) */

/* Remember pid as an own child whose final wait status will be `expect`. */
void own_add(pid_t pid, int expect);
/* Whether pid is one of ours. Async-signal-safe. */
bool own_is(pid_t pid);
/* Whether pid's final status was already collected. */
bool own_collected_already(pid_t pid);
/* A wait call `via` returned (pid, status) as a child's end: FAIL if pid is not ours, if it was
 * collected before, or if status is not the expected one. Returns whether all held. */
bool own_collect(const char *via, pid_t pid, int status);
/* A wait call returned a stop/continue report: FAIL unless pid is ours and status == expect. */
bool own_report(const char *via, pid_t pid, int status, int expect);
/* Own children not collected yet. */
int own_pending(void);

/* fork() with SIGCHLD blocked until the child is registered, so that no handler or other thread
 * can meet it before own_is() knows it. Returns as fork() does. */
pid_t own_fork(int expect);

/* ---- children to wait for (kids.c) ------------------------------------------------------------ */

/* A gate: children block on it until the parent lets n of them go (one byte each). */
struct gate {
	int r, w;
};
void gate_make(struct gate *g);
void gate_release(struct gate *g, int n);
void gate_close(struct gate *g);

/* A child that exits with `code` as soon as it starts. */
pid_t kid_exit(int code);
/* A child that waits at the gate, then exits with `code`; with code < 0, kills itself with
 * signal -code instead. */
pid_t kid_gated(struct gate *g, int code);

/* Stop (SIGSTOP) or continue (SIGCONT) own child k and wait (5 s) until /proc shows it; the
 * scenario is broken if it does not. */
void kid_stop(pid_t k, bool stop);

/* A foreign orphan: made through a middle child (collected here) that exits and leaves it to us.
 * It waits at its own gate and then exits with `code` (or dies of signal -code). `comm`, if not
 * NULL, becomes its command name. */
struct foreign {
	pid_t pid;
	struct gate gate;
};
void foreign_make(struct foreign *f, int code, const char *comm);
void foreign_release(struct foreign *f);

/* A helper child for "while the program is blocked" checks: it waits until this process sleeps
 * (in a wait call if in_wait, see proc_wait_in_wait; else in any call), runs act(ctx), and then
 * waits at its own gate, so that its own end interrupts nothing; helper_end() lets it go and
 * collects it. */
struct helper {
	pid_t pid;
	struct gate hold;
};
void helper_start(struct helper *h, bool in_wait, void (*act)(void *ctx), void *ctx);
void helper_end(struct helper *h);

/* ---- /proc views (procfs.c) ------------------------------------------------------------------- */

/* State letter of pid from /proc/pid/stat ('R', 'S', 'Z', 'T', ...), or 0 if it is gone. */
char proc_state(pid_t pid);
/* Poll (bounded) until pid's state is `state` (or gone, when state is 0). */
bool proc_wait_state(pid_t pid, char state, double seconds);
/* Poll (bounded) until pid is asleep (state S): e.g. blocked in a wait call. */
bool proc_wait_asleep(pid_t pid, double seconds);
/* Poll (bounded) until pid sleeps in wait4 or waitid (/proc/pid/syscall); falls back to
 * proc_wait_asleep where that file is missing. */
bool proc_wait_in_wait(pid_t pid, double seconds);
/* The state letter from a /proc/PID/stat path, 0 if gone. Async-signal-safe. */
char proc_state_at(const char *stat_path);
/* Children of this process (every thread's): how many are zombies, how many are not. */
void kids_count(int *zombies, int *live);
/* The same, counting only children that are not our own (own_is). */
void kids_count_foreign(int *zombies, int *live);
/* Threads of this process. */
int self_threads(void);
/* A "SigBlk"/"SigIgn"/"SigCgt" mask of /proc/pid/status. */
unsigned long long proc_sigmask(pid_t pid, const char *field);

/* ---- the storm of foreign orphans (storm.c) ---------------------------------------------------- */

#define STORM_EXIT 77 /* the storm process's exit code when stopped */

/* Start the storm process, an own child that keeps making orphans: per batch it forks a middle
 * process that forks grandchildren and exits; the grandchildren, now foreign orphans of PID 1 (or
 * of the subreaper), exit with various codes, die of a signal, or are stopped and continued. With
 * SCN_STORM=0 the storm process only waits to be stopped. */
void storm_start(void);
/* The same for a program that knows where its orphans go (orphans_to; 0: make none). */
void storm_start_for(pid_t orphans_to);
/* Wait (bounded) until n more batches have ended (all their grandchildren exited). */
void storm_batches(int n);
/* Grandchildren of later batches join process group pgid (0: they stay in ours). */
void storm_pgid(pid_t pgid);
/* Stop making orphans after the current batch (all its grandchildren exited), and go on. */
void storm_pause(void);
void storm_resume(void);
/* One last batch, then the storm process exits STORM_EXIT and is collected (waitpid). */
void storm_stop(void);
pid_t storm_pid(void);

/* ---- a record of SIGCHLD deliveries (sigrec.c) ------------------------------------------------ */

struct sigrec_entry {
	pid_t pid;
	int code;   /* si_code, or 0 for a handler without SA_SIGINFO */
	int status; /* si_status */
};
/* Handlers that record what they were handed. Async-signal-safe. */
void sigrec_info(int sig, siginfo_t *si, void *ctx);
void sigrec_plain(int sig);
/* Make sigrec_info the SIGCHLD handler: SA_SIGINFO | flags, an empty sa_mask; the action it replaces
 * goes to *old (when not NULL). The scenario is broken if sigaction fails. */
void sigrec_catch_sigchld(int flags, struct sigaction *old);
/* Count of calls so far; entry i. */
int sigrec_count(void);
struct sigrec_entry sigrec_get(int i);
/* Wait (bounded, handlers running) until the record holds an entry for pid with si_code code
 * at index `from` or later; returns whether it came, and the entry in *out if out is not NULL. */
bool sigrec_wait(pid_t pid, int code, int from, double seconds, struct sigrec_entry *out);
/* Whether an entry at index `from` or later names one of our own children. */
bool sigrec_own_since(int from);
/* FAIL for every entry from index `from` on that names a pid that is not ours. */
void sigrec_check_own(int from);

#endif
