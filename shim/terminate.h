/* terminate.h: how PID 1 ends (terminate.c); its exit paths are caught in exit.c. */
#ifndef REAP_TERMINATE_H
#define REAP_TERMINATE_H

/* At start-up, in an active process. */
void terminate_init(void);

/* PID 1 is about to exit with status through a path that runs no exit handler (_exit, _Exit,
 * quick_exit, exit_group): unless PID 1 is ending already, what it wrote to its stdout and stderr
 * pipes is left to their readers, then the rest of the namespace gets SIGTERM and the grace period
 * (the program's own children that end meanwhile stay for its waits). Returns the status to exit
 * with (REAP_EXIT_ZERO applied). Async-signal-safe; a no-op returning status in any other process. */
int terminate_at_exit(int status);

/* The calling thread is about to end itself (syscall(SYS_exit)): when it is PID 1's last, PID 1
 * ends as with terminate_at_exit. Async-signal-safe. */
int terminate_at_thread_exit(int status);

/* PID 1 is about to run its exit handlers (exit, a return from main): the same, after fflush(NULL),
 * while the program is still whole. Its status is left alone (terminate_final_status, at the very
 * end). A no-op in any other process. */
void terminate_before_exit(void);

/* status with REAP_EXIT_ZERO applied, in PID 1; status elsewhere. Async-signal-safe. */
int terminate_final_status(int status);

/* Tells every other process of the namespace sig, then reaps every child that ends until no other
 * process of the namespace is alive (its descendants or not: one entered with docker exec counts)
 * or the grace period (REAP_GRACE) is over. The caller has SIGCHLD and the termination signals
 * blocked in its thread. Async-signal-safe. Used by PID 1 in-process and by the split-mode init
 * (split.c). */
void terminate_drain(int sig);

#endif
