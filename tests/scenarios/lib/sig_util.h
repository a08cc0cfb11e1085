/* Helpers shared by the sig_* scenarios (termination signals, issue 3): output that survives a death
 * by signal, bounded waits, the probe signal, and small /proc readers. Every wait is bounded. */
#ifndef REAP_TESTS_SIG_UTIL_H
#define REAP_TESTS_SIG_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The probe: the highest-numbered signal, so that any other signal sent before it has already been
 * delivered (or dropped) when its handler runs. Its handler prints "PROBE <n>". */
#define SIG_PROBE (SIGRTMAX)

/* Exit code of a scenario whose bounded wait ran out: nothing the test expected happened. */
#define SIG_EXIT_IDLE 99
/* Exit code of a scenario that hit an unexpected failure of its own (it says why on stderr). */
#define SIG_EXIT_BROKEN 98

/* printf to stdout through one write(2): no stdio buffer to lose when the process dies. */
void sig_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "scenario broken: <what>: <strerror(errno)>" on stderr and _exit(SIG_EXIT_BROKEN). */
void sig_die(const char *what) __attribute__((noreturn));

/* Async-signal-safe printf to fd with one write(2) of at most 255 bytes; knows only %d, %ld and %s. */
void sig_write_fmt(int fd, const char *fmt, ...);

/* Monotonic seconds. */
double sig_now(void);

/* sigaction(sig) with handler fn (sig_handle_info: an SA_SIGINFO one) and the given extra flags, an
 * empty sa_mask; dies on error. */
void sig_handle(int sig, void (*fn)(int), int flags);
void sig_handle_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags);
/* sigaction(sig) to SIG_DFL or SIG_IGN; dies on error. */
void sig_set_disp(int sig, void (*disp)(int));

/* Install the probe handler; the count of probes seen is returned by sig_probes(). */
void sig_install_probe(void);
int sig_probes(void);
/* Wait (bounded) until at least n probes have been handled; returns whether they were. */
bool sig_wait_probes(int n, double seconds);

/* Wait, with handlers running, until *flag >= target or `seconds` pass; returns whether it was reached.
 * `sigs` (terminated by 0) are the signals whose handlers change *flag: they are blocked while the flag
 * is checked and unblocked atomically for the wait (ppoll), so no wake-up is lost. */
bool sig_wait_flag(volatile sig_atomic_t *flag, int target, const int *sigs, double seconds);
/* Wait with handlers running for `seconds` (a death-by-signal scenario's idle time). */
void sig_idle(double seconds);

/* Wait (bounded) until fd is readable; returns whether it is. */
bool sig_wait_readable(int fd, double seconds);
/* Read exactly one byte from fd within `seconds`; returns the byte, or -1 on timeout or EOF. */
int sig_read_byte(int fd, double seconds);

/* Fork a child that reports its progress to PID 1 through a pipe, one byte per step (both ends
 * close-on-exec). In the parent: returns the child's pid, and *fd is the read end. In the child:
 * returns 0, and *fd is the write end. Dies if pipe or fork fails. */
pid_t sig_fork_reporting(int *fd);
/* In the parent: wait (10 s) for the byte `step` on fd; when it does not come, print
 * "scenario broken: <what>" and exit(SIG_EXIT_BROKEN). */
void sig_await_step(int fd, char step, const char *what);

/* The hex mask of field ("SigIgn", "SigCgt", "SigBlk", "SigPnd", "ShdPnd") in /proc/PID/status. */
unsigned long long sig_status_mask(pid_t pid, const char *field);

/* Async-signal-safe: create/truncate path and write text to it (the "mark" a test reads afterwards).
 * Returns whether it was written whole. */
bool sig_write_mark(const char *path, const char *text);

#endif
