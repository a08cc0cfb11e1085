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

/* Whether the shim reaps own children as they end, as the kernel would have, before a handler of
 * the program hears of them: no wait, system or pclose then reports such an exit. In an active
 * process, while the program's SIGCHLD action is a handler with SA_NOCLDWAIT, the kernel's flag
 * stays off: under it, an own child's signal that merged into an orphan's would leave the handler
 * nothing to hear (the kernel discards the status at the exit). And while a blocking wait borrows
 * the kernel's action (sigchld_lend_begin). Async-signal-safe. */
bool sigchld_emulates_nocldwait(void);

/* Whether the kernel reaps every child as it ends: the program ignores SIGCHLD, or sets
 * SA_NOCLDWAIT without a handler. */
bool sigchld_kernel_reaps(void);
/* A wait for several children is about to block while the kernel reaps: it would sleep on until
 * no child at all is left, foreign orphans included (an orphan that lives on keeps it asleep for
 * ever). Until sigchld_lend_end, unless this says the kernel does not reap, the kernel's action is
 * the shim's handler without SA_NOCLDWAIT, so that each end wakes the wait as a zombie; own ones
 * are taken as the kernel would have (sigchld_emulates_nocldwait). The end, called once the wait
 * has left the count of waits for several children (wait.c), takes the zombies no wait took. */
bool sigchld_lend_begin(void);
void sigchld_lend_end(void);

/* The program took a SIGCHLD itself (the sigwait family), with SIGCHLD blocked: the foreign
 * zombies are swept as the handler would have, and the unheard exits that signal stood for are
 * dropped (no handler runs for it). Returns true when the signal was the shim's own replay, which
 * the program must not see. Async-signal-safe. */
bool sigchld_taken(const siginfo_t *info);

#endif
