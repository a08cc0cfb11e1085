/* reaper.h: finding the foreign orphans that have exited, and reaping them. Every function here is
 * async-signal-safe. */
#ifndef REAP_REAPER_H
#define REAP_REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

/* The zombie child in front, as one SIGCHLD handling first saw it (waitid(P_ALL, WNOWAIT)). */
struct reaper_view {
	bool seen;
	bool childless;  /* the look found no child at all that it waits for (ECHILD) */
	unsigned mark;   /* registry_mark() from before the look */
	siginfo_t front; /* si_pid 0: no zombie child */
};

/* Where the exit that report (a SIGCHLD's siginfo) describes stands: still the zombie that holds
 * its pid (what the registry says of the pid now is said of that child), reaped with no child
 * holding the pid since, or reaped with the pid held by a child again. For the first two, *mark is
 * a registry_mark() from before the look that proved it. */
enum reaper_exit { EXIT_CURRENT, EXIT_GONE, EXIT_HELD };
enum reaper_exit reaper_exit_state(const siginfo_t *report, struct reaper_view *view, unsigned *mark);
/* From the SIGCHLD handler: reaps foreign zombies; fresh_own is the own child whose event this
 * signal reports (0 if none). Fills up to max reports of own exits the program's handler has not
 * heard of (their signals merged into others), marks them heard, and returns how many. Keeps
 * errno: it also runs where no handler saves it (the end of a wait or a birth, sigaction, the
 * sigwait family). */
size_t reaper_on_signal(pid_t fresh_own, struct reaper_view *view, siginfo_t *unheard, size_t max);
/* From a wait wrapper after the program's own wait: picks up what the handler could not (SIGCHLD
 * blocked everywhere, as with signalfd; or an orphan behind an own zombie). */
void reaper_after_wait(void);
/* A zombie child's exit report, left in place (si_pid 0: none); idtype P_ALL or P_PID. A tracer
 * gets its tracees' ptrace stops there too (the kernel reports them without WSTOPPED). False when
 * no child that the look waits for exists at all (ECHILD). */
bool reaper_look(idtype_t idtype, pid_t pid, siginfo_t *info);
/* Whether a reap of an own zombie, as the kernel would have reaped it, is under way (sigchld.h). */
bool reaper_own_reaps_under_way(void);
/* Reaps pid if it is a zombie and proven foreign; whether it did. */
bool reaper_collect(pid_t pid);
/* The split-mode init's reaping of pid, a zombie child: no proof of origin is needed (every child
 * but the program is an orphan) and no status is kept (nobody will ask for it). */
bool reaper_collect_unkept(pid_t pid);
/* Books a foreign child that a call begun after mark (registry_mark()) already reaped: stash for
 * its pid, verbose line. */
void reaper_record(pid_t pid, int status, const struct rusage *usage, const char *name, unsigned mark);

/* wait(2)-style status words and waitid reports, each from the other. */
int status_from_info(const siginfo_t *info);
void info_from_status(pid_t pid, int status, siginfo_t *info);
bool status_is_exit(int status);
bool info_is_exit(const siginfo_t *info);

#endif
