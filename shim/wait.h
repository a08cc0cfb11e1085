/* wait.h: the wait family with foreign children taken out (wait.c). */
#ifndef REAP_WAIT_H
#define REAP_WAIT_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

pid_t wait_wait4(pid_t pid, int *status, int options, struct rusage *usage);
/* usage != NULL is the raw system call's fifth argument, as syscall(SYS_waitid, ...) passes it. */
int wait_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options, struct rusage *usage);
/* Whether a wait for several children is in flight in any thread. Async-signal-safe. */
bool wait_any_in_flight(void);

#endif
