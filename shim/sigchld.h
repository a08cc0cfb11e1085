/* sigchld.h: the shim's SIGCHLD handler and the policy that puts it in front of the program's own
 * SIGCHLD disposition. */
#ifndef REAP_SIGCHLD_H
#define REAP_SIGCHLD_H

#include <sys/types.h>

/* At start-up, in an active process. */
void sigchld_init(void);

/* Async-signal-safe: a sweep met a birth in flight; the end of the birth runs it again. */
void sigchld_defer_sweep(void);
/* After a birth or opaque window ended with nothing in flight: runs what was deferred. */
void sigchld_resume(void);

/* libc-like code of the shim (system, pclose) collected own child pid: if the program's SIGCHLD
 * handler has not heard of that exit (its signal merged into a foreign one), it hears of it now,
 * on this thread. Call before forgetting pid. */
void sigchld_announce_collected(pid_t pid, int status);


#endif
