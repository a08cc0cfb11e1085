/* reaper.h: finding the foreign orphans that have exited, and reaping them. Every function here is
 * async-signal-safe. */
#ifndef REAP_REAPER_H
#define REAP_REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

enum sweep_result {
	SWEEP_CLEAR,       /* no zombie child is left */
	SWEEP_OWN_HEAD,    /* the next zombie is the program's own: the view past it is blocked */
	SWEEP_UNDECIDABLE, /* a birth is in flight: nothing unknown may be touched (sweep deferred) */
};

/* From the SIGCHLD handler: reaps foreign zombies; fresh_own is the own child whose event this
 * signal reports (0 if none). Fills up to max reports of own exits the program's handler has not
 * heard of (their signals merged into others), marks them heard, and returns how many. */
size_t reaper_on_signal(pid_t fresh_own, siginfo_t *unheard, size_t max);
/* From a wait wrapper after the program's own wait: picks up what the handler could not (SIGCHLD
 * blocked everywhere, as with signalfd; or an orphan behind an own zombie). */
void reaper_after_wait(void);
/* Reaps pid if it is a zombie, as a foreign orphan; whether it did. */
bool reaper_collect(pid_t pid);
/* Books a foreign child that a wait call already reaped: stash for its pid, verbose line. */
void reaper_record(pid_t pid, int status, const struct rusage *usage, const char *name);

/* wait(2)-style status words and waitid reports, each from the other. */
int status_from_info(const siginfo_t *info);
void info_from_status(pid_t pid, int status, siginfo_t *info);
bool status_is_exit(int status);
bool info_is_exit(const siginfo_t *info);

#endif
