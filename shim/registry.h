/* registry.h: what the shim knows about the program's children. A child is the program's own when
 * this process image created it (a "birth", announced before and recorded after the creating call)
 * or already had it when the image started; every other child is a foreign orphan. Every function
 * here is async-signal-safe. */
#ifndef REAP_REGISTRY_H
#define REAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
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
/* A birth whose child ends with another signal than SIGCHLD (a clone child: only waits with
 * __WALL or __WCLONE see it) is about to be recorded. */
void registry_expect_clone_kind(void);
/* Whether the registry may list such a child: one born so, or one adopted at start (of any kind). */
bool registry_may_list_clone_kind(void);
bool registry_is_own(pid_t pid);
/* A process the program traces and the registry does not list: own from now on, for as long as it
 * is traced (ptrace.c). Forgetting it as a tracee leaves an entry the program's own birth made. */
void registry_adopt_tracee(pid_t pid);
void registry_forget_tracee(pid_t pid);

/* A point in the order of recorded births, taken before a call that may free a pid. */
unsigned registry_mark(void);
/* A call that began after mark reaped a process with this pid (the pid is free since): whether
 * that process was the own child the registry lists under pid. An entry recorded after mark may
 * be a new child that got the pid after the reap; it is told apart by asking the kernel whether a
 * child with that pid still exists. Call once no birth that could record pid is in flight. */
bool registry_reaped_own(pid_t pid, unsigned mark);
/* Whether an own child with this pid was recorded after mark. */
bool registry_recorded_since(pid_t pid, unsigned mark);

/* The program consumed the exit of a child with this pid, reaped by a call that began after mark
 * (status: its wait status, or -1 where the shim's own code collected it and already told the
 * program's handler). An entry recorded after mark is that child only if no child holds the pid
 * now; otherwise it is a new child that got the pid after the reap, and it stays. */
void registry_forget(pid_t pid, int status, unsigned mark);
void registry_forget_all(void);  /* the kernel said there are no children at all */
/* Returns once no other thread is removing an entry: an own exit a wait reaped and is forgetting
 * is then either still listed or remembered as unheard (unheard.h). */
void registry_settle_forgets(void);
size_t registry_count(void);
/* Marks the exit of own child pid as handed to the program's SIGCHLD handler; false if it was.
 * mark: taken before the look that saw the exit, either the zombie itself or no child holding the
 * pid (a wait reaped it and has not forgotten it yet, or the kernel reaped it: SIGCHLD ignored,
 * SA_NOCLDWAIT). False also when the entry was recorded after mark: it may be a new child that got
 * the pid after the look. */
bool registry_announce_as_of(pid_t pid, unsigned mark);
/* Records that the program's SIGCHLD handler is handed a stop (stopped) or a continue report of
 * own child pid; false if its last such report said the same, or pid is not listed. */
bool registry_tell_stopped(pid_t pid, bool stopped);
/* Whether pid is own and its exit was handed to the program's handler already. */
bool registry_announced(pid_t pid);
/* Whether some own child is in process group pgid. */
bool registry_any_in_group(pid_t pgid);

/* While the program ignores SIGCHLD (or sets SA_NOCLDWAIT) the kernel reaps every child itself and
 * no wait reports them: the registry then drops the entries of children that no longer exist, at
 * the latest when its entries have doubled since it last looked (sigchld.c says which it is). */
void registry_set_kernel_reaps(bool kernel_reaps);
/* Whether some own child still exists; drops the entries of those that do not. */
bool registry_any_alive(void);
/* Drops the entries of children that no longer exist (reaped behind the shim's back). */
void registry_prune(void);

/* Calls visit for each own pid, and for each number in a "pid,pid,..." list. */
void registry_foreach(void (*visit)(pid_t, void *), void *ctx);
void registry_parse_list(const char *list, void (*visit)(pid_t, void *), void *ctx);

/* Unlocks the registry in a fork child, where the thread that held it does not exist. */
void registry_reset_in_child(void);

#endif
