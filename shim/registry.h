/* registry.h: what the shim knows about the program's children. A child is the program's own when
 * this process image created it (a "birth", announced before and recorded after the creating call)
 * or already had it when the image started; every other child is a foreign orphan. Also keeps the
 * statuses of children the shim collected without proof of their origin, for a later wait on that
 * exact pid. Every function here is async-signal-safe. */
#ifndef REAP_REGISTRY_H
#define REAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A birth in flight makes every unknown child undecidable until it ends. */
void registry_birth_begin(void);
/* Records pid (when > 0) as own and ends the birth; returns true when no birth is in flight any
 * more. */
bool registry_birth_end(pid_t pid);
bool registry_births_in_flight(void);

/* A window in which libc itself makes and waits for children the shim cannot see (wordexp): no
 * unknown child is reaped meanwhile. */
void registry_opaque_begin(void);
bool registry_opaque_end(void);
bool registry_undecidable(void); /* a birth or an opaque window is in flight */

void registry_adopt(pid_t pid);  /* a child the image already had at start */
bool registry_is_own(pid_t pid);
/* The program consumed the child's exit (status: its wait status, or -1 where the shim's own code
 * collected it and already told the program's handler). */
void registry_forget(pid_t pid, int status);
void registry_forget_all(void);  /* the kernel said there are no children at all */
size_t registry_count(void);
/* Marks the exit of own child pid as handed to the program's SIGCHLD handler; false if it was. */
bool registry_announce(pid_t pid);
/* Whether pid is an own child the program collected before the shim's handler told it of the
 * exit; takes it, so that its late SIGCHLD is delivered once. */
bool registry_take_unheard(pid_t pid);
/* Takes any such exit, for a SIGCHLD that may have merged it away. */
bool registry_take_any_unheard(pid_t *pid, int *status);
/* Whether some own child is in process group pgid. */
bool registry_any_in_group(pid_t pgid);
/* Drops the entries of children that no longer exist (reaped behind the shim's back). */
void registry_prune(void);

/* Writes the own pids as "pid,pid,..." into buf (NUL-terminated, cut short at len). */
void registry_format(char *buf, size_t len);
/* Calls visit for each number in such a list. */
void registry_parse_list(const char *list, void (*visit)(pid_t, void *), void *ctx);

/* Statuses of children reaped without proof of origin (see docs/design.md). */
void stash_put(pid_t pid, int status, const struct rusage *usage);
bool stash_take(pid_t pid, int *status, struct rusage *usage);

/* Unlocks the registry in a fork child, where the thread that held it does not exist. */
void registry_reset_in_child(void);

#endif
