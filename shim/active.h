/* active.h: whether the shim acts in this process. The constructor decides once per process image
 * and records the pid it decided for; a child made in any way (fork, vfork, raw clone) has another
 * pid and so is inert from its first instruction, without any code having to run in it. */
#ifndef REAP_ACTIVE_H
#define REAP_ACTIVE_H

#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

extern pid_t active_pid;

/* Async-signal-safe. */
static inline bool reap_active(void)
{
	pid_t pid = __atomic_load_n(&active_pid, __ATOMIC_ACQUIRE);
	return pid != 0 && pid == getpid();
}

/* True in the init process of a PID namespace that the shim acts in. Async-signal-safe. */
static inline bool reap_is_init(void)
{
	return __atomic_load_n(&active_pid, __ATOMIC_ACQUIRE) == 1 && getpid() == 1;
}

#endif
