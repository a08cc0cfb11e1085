/* The test harness: runs a program as PID 1 of a fresh PID namespace (unshare --pid --fork
 * --mount-proc), with or without build/reap.so preloaded, and lets a test talk to it from outside.
 * Every wait here is bounded in time; nothing sleeps to synchronise. */
#ifndef REAP_TESTS_HARNESS_H
#define REAP_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run_opts {
	bool pid1;                /* run as PID 1 of a new PID namespace (else a plain child of the test) */
	bool preload;             /* LD_PRELOAD=<abs path of build/reap.so> in the program's environment */
	const char *const *env;   /* extra "NAME=value" entries, NULL-terminated; may be NULL */
	double timeout_s;         /* SIGKILL the whole run after this long (0 means 30 s) */
	bool tty;                 /* stdin is a new pseudo-terminal, the controlling terminal of the run's own
	                             session (p->tty_fd is its master); stdout and stderr stay the pipe */
};

struct proc {
	pid_t pid;                /* the process the harness forked (unshare, or the program itself) */
	pid_t init_pid;           /* host pid of the program: PID 1 of the namespace, or == pid */
	int out_fd;               /* read end of the program's stdout+stderr */
	int tty_fd;               /* master of the run's terminal (opts.tty), else -1: writing "\003"
	                             there is a Ctrl-C, the kernel's SIGINT to the foreground group */
	char *out;                /* everything read so far, NUL-terminated */
	size_t out_len;
	double deadline;          /* monotonic seconds */
	size_t mark;              /* harness-private: proc_wait_line searches from here */
	char *line;               /* harness-private: the line proc_wait_line returned last */
};

struct run_result {
	int status;               /* raw wait status of the process the harness forked */
	int exit_code;            /* WEXITSTATUS, or 128+signal when killed, or -1 on timeout */
	bool timed_out;
	char *out;                /* stdout+stderr, NUL-terminated; owned by the result */
};

/* Absolute path of build/scenarios/NAME, of build/REL and of build/reap.so. */
const char *scenario(const char *name);
const char *built(const char *rel);
const char *shim_path(void);

/* Runs use another target's build from here on (in this process; call it in a constructor so that
 * every Criterion worker does): build/TRIPLE/ instead of build/ for scenario(), shim_path() and
 * built(), every program is started through `runner` when it is not NULL (an emulator's command
 * line, which passes its environment on to the program it runs: the arm64 tier's qemu-user is
 * then PID 1 of the namespace), and every run gets `shell` as its /bin/sh when it is not NULL: a
 * statically linked program, bind-mounted over /bin/sh in a mount namespace of the run's own, for
 * the programs the scenarios start through the shell cannot be the host's (a glibc program cannot
 * load a musl build of the library). */
void harness_target(const char *triple, const char *const runner[], const char *shell);

/* Start argv under opts; the program's stdout and stderr both go to p->out_fd. */
void proc_start(struct proc *p, const char *const argv[], const struct run_opts *opts);
/* Read output until a line starting with `prefix` appears; returns that line (owned by p, valid
 * until the next call) or NULL at the deadline or at end of output. The search starts after the
 * line returned last, so waiting twice for the same prefix finds two different lines. */
const char *proc_wait_line(struct proc *p, const char *prefix, double timeout_s);
/* Send sig from outside the namespace to the program (PID 1 of its namespace). */
void proc_signal(struct proc *p, int sig);
/* Wait for the run to end (bounded by the run's timeout), read the rest of the output. */
void proc_finish(struct proc *p, struct run_result *r);

/* Start and finish in one call. */
void run(const char *const argv[], const struct run_opts *opts, struct run_result *r);

/* Runs program (argv, at most 12 words) as PID 1 of a new namespace with the shim preloaded, under
 * strace -f -c counting the system calls `trace` names (strace's -e trace= list) over the whole
 * run; strace's summary goes to a new file whose path is written into summary (at least 32 bytes;
 * the caller unlinks it). Counts, never times. Needs /usr/bin/strace (tests/install-deps.sh). */
void run_counted(const char *trace, const char *const program[], double timeout_s, char *summary,
                 struct run_result *r);
void run_result_free(struct run_result *r);

/* Monotonic clock in seconds. */
double now_s(void);

#endif
