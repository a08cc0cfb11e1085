/* How the core tests (test_core_*.c) run a scenario program of build/scenarios/, and what they
 * expect of it. A scenario prints a deterministic transcript, FAIL lines for checks that did not
 * hold, and exits 0 when all held (see tests/scenarios/lib/scn.h). The expectations below end the
 * test with a Criterion failure that quotes the program's output. */
#ifndef REAP_TESTS_MODES_H
#define REAP_TESTS_MODES_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

enum mode {
	ACTIVE,    /* PID 1 of a new PID namespace, shim loaded (REAP_MODE unset: auto) */
	PLAIN1,    /* PID 1, no shim: the negative control */
	OFF1,      /* PID 1, shim loaded, REAP_MODE=off */
	PLAIN,     /* a plain child of the test, no shim */
	INERT,     /* a plain child of the test, shim loaded (auto: inert, not PID 1) */
	SUBREAPER, /* a plain child of the test, shim loaded, REAP_MODE=subreaper */
	SPLIT1,    /* PID 1, shim loaded, REAP_MODE=split: the program runs as PID 2 under the shim's init */
	SPLIT,     /* a plain child of the test, shim loaded, REAP_MODE=split: under a subreaper init */
};

/* Argument and environment lists: ARGS("any"), ENV("REAP_VERBOSE=1"), or NONE. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

/* Start build/scenarios/NAME with args in `mode`; storm on or off (SCN_STORM); env adds to the
 * program's environment. */
void scn_start(enum mode mode, const char *name, const char *const args[], bool storm, const char *const env[],
               struct proc *p);
/* Start and finish in one; the test fails at once if the run timed out. */
void scn_run(enum mode mode, const char *name, const char *const args[], bool storm, const char *const env[],
             struct run_result *r);

/* The shim under a storm of foreign orphans: the run passes (exit 0, no FAIL line) and its transcript
 * equals the one plain libc prints where no foreign orphan comes (not PID 1, no storm), which must
 * pass too. */
void expect_like_libc(const char *name, const char *const args[]);
/* The negative control: plain libc as PID 1 under the storm fails, with `symptom` in a FAIL line. */
void expect_problem(const char *name, const char *const args[], const char *symptom);
/* The shim loaded but not PID 1: same transcript and exit code as plain libc (outside PID 1 no
 * orphans come, so no storm). */
void expect_inert(const char *name, const char *const args[]);
/* REAP_MODE=off as PID 1: same transcript and exit code as plain libc without a storm, and under a
 * storm the same problem as plain libc (`symptom`). */
void expect_off(const char *name, const char *const args[], const char *symptom);
/* REAP_MODE=subreaper outside PID 1 under a storm: passes, with plain libc's transcript (no storm). */
void expect_subreaper(const char *name, const char *const args[]);

/* REAP_MODE=split as PID 1 under a storm: passes, with plain libc's transcript (no storm). */
void expect_split(const char *name, const char *const args[]);

/* Assertions on results. */
void assert_passed(const char *what, const struct run_result *r);
void assert_same(const char *what_a, const struct run_result *a, const char *what_b, const struct run_result *b);
/* The number of lines of r->out that start with `prefix`. */
int count_lines(const struct run_result *r, const char *prefix);

/* Outside views of a process, by host pid: its children (zombies and others), its threads. */
void host_children(pid_t pid, int *zombies, int *live);
int host_threads(pid_t pid);

/* Scale for the stress tier (STRESS=1). */
bool stress(void);

#endif
