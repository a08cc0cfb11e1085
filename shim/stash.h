/* stash.h: the statuses of children the shim reaped without proof of their origin (a child made by
 * a raw clone instruction looks like a foreign orphan), kept for a later wait on that exact pid.
 * Every function here is async-signal-safe. */
#ifndef REAP_STASH_H
#define REAP_STASH_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Keeps the status of pid, reaped by a call that began after mark (registry_mark()); replaces an
 * earlier one. Not kept if an own birth recorded the pid since mark: a wait for that pid means the
 * new child. */
void stash_put(pid_t pid, int status, const struct rusage *usage, unsigned mark);
/* Takes the status of pid (and its usage, zero when no longer kept). */
bool stash_take(pid_t pid, int *status, struct rusage *usage);
/* The pid belongs to a new own child (registry_birth_end, after recording it). */
void stash_clear(pid_t pid);

#endif
