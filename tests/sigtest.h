/* What the signal tests (test_signals.c, test_signals_family.c) share: the configurations a run is
 * made under (the shim and its negative controls), starting a scenario and waiting for its ready
 * line, proving with the probe that PID 1 survived a signal, ending a run that is still going, and
 * reading lines out of a run's output. */
#ifndef REAP_TESTS_SIGTEST_H
#define REAP_TESTS_SIGTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* The probe: SIGRTMAX, the highest-numbered signal, so the kernel delivers anything sent before it
 * first; the sig_* scenarios answer the nth with a "PROBE n" line. */
#define PROBE SIGRTMAX
/* The timeout of a run that ends at once when all is well (the runs take milliseconds). */
#define RUN_S 8.0

/* The configurations a test runs under: the shim, and the negative controls where the kernel's rule
 * for a namespace's init holds (no preload, or the shim switched off); and the shim in split mode
 * (REAP_MODE=split: the program runs as PID 2 under the shim's init). */
enum cfg { SHIM, NO_PRELOAD, SIGNALS_OFF, MODE_OFF, SPLIT_MODE };

const char *cfg_name(enum cfg c);
/* Run options for c: as PID 1, with extra_env (NULL for none; SIGNALS_OFF and MODE_OFF put their own
 * switch in its place, SPLIT_MODE adds its own to it) and the run's timeout. */
struct run_opts cfg_opts(enum cfg c, const char *const *extra_env, double timeout_s);

/* Start argv under o and wait (10 s) for its line starting with `ready`; the test stops when it does
 * not come. */
void start_until(struct proc *p, const char *const argv[], const struct run_opts *o, const char *ready);
/* Under SPLIT_MODE: the run's PID 1 is the shim's init ("reap-init"), the program its child. */
void assert_split_init(const struct proc *p);
/* Send sig, then the nth probe; true when PID 1 answered it, i.e. is alive after sig was handled. */
bool survives(struct proc *p, int sig, int nth);
/* End a run that is expected to be still going (the kernel lets SIGKILL from outside through; unshare
 * 2.38 then fails to re-raise SIGKILL on itself and exits 1, so the status says nothing useful). */
void finish_by_sigkill(struct proc *p, struct run_result *r);

/* REAP_EXIT_ZERO=143 with PID 1 ending by itself through `how` (scenario end_exit code HOW CODE:
 * "exit", or "return" from main): 143 becomes 0 after the program's exit handler ran, 130 stays;
 * without the preload 143 stays. */
void expect_exit_zero_applies(const char *how);

/* Whether out has a line that is exactly `line`. */
bool has_line(const char *out, const char *line);
/* The lines of out that start with prefix, in order, each ended by '\n'; the caller frees it. */
char *lines_with(const char *out, const char *prefix);

#endif
