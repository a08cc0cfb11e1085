/* ptrace.h: the processes the program traces. Every wait event the kernel reports to a tracer
 * (ptrace stops, group stops, PTRACE_EVENT stops, the tracee's exit) is the program's business, as
 * its own children's are: a tracee counts as own, in the registry, from the moment the shim learns
 * of it. Every function here is async-signal-safe. */
#ifndef REAP_PTRACE_H
#define REAP_PTRACE_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether this process image has ever asked the kernel to trace (a single atomic load). */
bool ptrace_used(void);
/* A child event names pid, which the registry does not know: whether pid is a tracee of this
 * process, which it then records as own. Only asks /proc when the image has used ptrace, and only
 * while pid names the process the event is about (it is stopped, or its zombie is still there). */
bool ptrace_claims(pid_t pid);
/* Whether some tracee of this process that the registry does not know may exist: called when no
 * own child is listed, before a wait for any child fails with ECHILD. Records those it finds. */
bool ptrace_unclaimed_tracees(void);
/* syscall(SYS_ptrace, request, pid, addr, data) through spawn.c: the request made, and noted. */
long ptrace_raw(const long args[6]);

#endif
