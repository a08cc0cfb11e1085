/* perfcount: what the kernel saw a process and its descendants do, counted with perf counters:
 * system calls (tracepoints raw_syscalls:sys_enter and syscalls:sys_enter_*), signal deliveries
 * (signal:signal_deliver) and page faults (a software event). Unlike strace,
 * counting does not change what is counted: a traced process gets every SIGCHLD, even one the
 * kernel would discard at SIG_DFL, while a counter only sees the deliveries that really happen.
 *
 * The counters are attached to the calling process; "self" counts that process only, "all" that
 * process and every descendant created while counting (a descendant's count is added when it
 * exits). They stay attached across execve (their descriptors are not close-on-exec and sit at
 * fixed numbers from PC_FD_BASE), so an exec chain can be counted and reported by its last step.
 *
 * The kernel registers a tracepoint when its first counter opens and unregisters it, at the cost
 * of an RCU grace period, when its last one closes: counted runs are cheap only while another
 * process holds the same counters open (`loops hold`), and the release of that holder takes
 * seconds (without using a CPU). While the tracepoints are registered every system call of the
 * machine takes a slower path: time nothing meanwhile. */
#ifndef REAP_BENCH_PERFCOUNT_H
#define REAP_BENCH_PERFCOUNT_H

#include <stddef.h>

#define PC_FD_BASE 200

/* Open every counter, disabled. 0, or -1 with the reason in why. */
int pc_open(char *why, size_t size);
/* Start and stop every counter this process opened (one prctl each, valid across execve). */
void pc_enable(void);
void pc_disable(void);
/* Print one line per non-zero counter on stdout:
 *   COUNT sys_self N | sys_all N | sig_self N | sig_all N | flt_self N | flt_all N | sc_<syscall> N
 * (sc_: the system calls of a fixed list, see perfcount.c; sys_all counts them all)
 * The prctl that stopped the counters is taken off. 0, or -1 if the counters are not there. */
int pc_report(void);

#endif
