/* sigchld.h: the shim's SIGCHLD handler and the policy that puts it in front of the program's own
 * SIGCHLD disposition. */
#ifndef REAP_SIGCHLD_H
#define REAP_SIGCHLD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* At start-up, in an active process. */
void sigchld_init(void);

/* Async-signal-safe: a sweep met a birth in flight; the end of the birth runs it again. */
void sigchld_defer_sweep(void);
/* After a birth or opaque window ended with nothing in flight: runs what was deferred. */
void sigchld_resume(void);

/* libc-like code of the shim (system, pclose) collected own child pid with wait status status (-1
 * when it could not): the program's SIGCHLD handler hears of that exit once, as with libc. If its
 * signal merged into a foreign one, it hears of it now, on this thread; if SIGCHLD is blocked, from
 * the pending signal once it is unblocked. mask is the calling thread's signal mask, NULL when the
 * caller does not know it. Forgets pid, as of mark (registry_forget). */
void sigchld_collected(pid_t pid, int status, const sigset_t *mask, unsigned mark);

/* A wait (or libc-like code of the shim, sigchld_collected) left an own exit the program's handler
 * has not heard of: it is carried by the next SIGCHLD; if none is pending, one is queued to this
 * thread. */
void sigchld_carry_unheard(void);

/* The program's SIGCHLD action is a handler with SA_NOCLDWAIT, in an active process. The kernel's
 * flag then stays off: under it, an own child's signal that merged into an orphan's would leave
 * the handler nothing to hear (the kernel discards the status at the exit). The shim instead reaps
 * each own child as it ends, as the kernel would have, before the handler hears of it; no wait,
 * system or pclose reports such an exit. Async-signal-safe. */
bool sigchld_emulates_nocldwait(void);

/* The program took a SIGCHLD itself (the sigwait family), with SIGCHLD blocked: the foreign
 * zombies are swept as the handler would have, and the unheard exits that signal stood for are
 * dropped (no handler runs for it). Returns true when the signal was the shim's own replay, which
 * the program must not see. Async-signal-safe. */
bool sigchld_taken(const siginfo_t *info);

#endif
