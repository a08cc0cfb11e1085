/* namespace.h: the other processes of PID 1's namespace, all of them (not only its descendants:
 * a process entered with `docker exec` or `nsenter` has a parent outside), read from the
 * namespace's own /proc; and the caller's own thread count. Every function here is
 * async-signal-safe. */
#ifndef REAP_NAMESPACE_H
#define REAP_NAMESPACE_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether a process other than the caller is still alive in the namespace: running, or a zombie
 * whose other threads still run. Zombies do not count, nor do processes the caller may not signal
 * (they never got its signal). Without the namespace's /proc it answers whether any other process
 * exists at all, zombies included. */
bool namespace_others_alive(void);

/* Sends sig to every live process of the namespace, other than the caller, whose process group is
 * not pgrp. Returns false, having sent nothing, when /proc is not the namespace's. */
bool namespace_signal_outside_group(int sig, pid_t pgrp);

/* Whether the caller's process has one thread left (false when /proc cannot tell). */
bool namespace_caller_is_last_thread(void);

#endif
