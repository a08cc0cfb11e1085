/* terminate.h: how PID 1 ends (terminate.c). */
#ifndef REAP_TERMINATE_H
#define REAP_TERMINATE_H

/* At start-up, in an active process. */
void terminate_init(void);

/* PID 1 is about to exit with status: the rest of the namespace gets SIGTERM and the grace period.
 * Returns the status to exit with (REAP_EXIT_ZERO applied). Async-signal-safe; a no-op returning
 * status in any other process. */
int terminate_at_exit(int status);

/* Tells every other process of the namespace sig, then reaps every child that ends until no other
 * process is left or the grace period (REAP_GRACE) is over. The caller has SIGCHLD and the
 * termination signals blocked in its thread. Async-signal-safe. Used by PID 1 in-process and by
 * the split-mode init (split.c). */
void terminate_drain(int sig);

#endif
