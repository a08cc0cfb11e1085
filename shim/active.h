/* active.h: whether the shim acts in this process. The constructor decides once per process image
 * and writes the decision into memory the kernel wipes in every child made without CLONE_VM (fork,
 * and raw clones such as the Go runtime's: unshared.h), so such a child is inert from its first
 * instruction without any code running in it and without a system call per check. A vfork child
 * shares that memory; the vfork wrapper marks it in a thread-local flag instead, which a fork child
 * of the shim's sets too (spawn_reset_in_child), so that its checks read no wiped page: each such
 * read would cost it a fault. Where the kernel lacks MADV_WIPEONFORK, the decision is the pid,
 * compared with getpid(). */
#ifndef REAP_ACTIVE_H
#define REAP_ACTIVE_H

#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

struct active_page {
	pid_t pid; /* the process the shim acts in; 0 in any child */
};

extern struct active_page *active_page;
extern pid_t active_pid;
/* Set in a thread known to be inert: a vfork child borrowing its parent's thread (until the parent
 * resumes), a fork child. */
extern __thread int inert_thread __attribute__((tls_model("initial-exec")));

/* Where the kernel lacks MADV_WIPEONFORK: whether this process is the one the shim acts in. Out of
 * line, so that the check below makes no call where the shim never acted. */
bool reap_active_by_pid(void);

/* An image in which the shim never acted: every process the container starts besides PID 1 (and
 * those REAP_MODE opts in), as opposed to a fork child of one that acts. Nothing of the shim's is
 * in its signal dispositions, children or exits, so its wrappers are libc's functions. One load, of
 * the start's state (start.h). Async-signal-safe. */
static inline bool reap_never_acted(void)
{
	return __atomic_load_n(&active_pid, __ATOMIC_ACQUIRE) == 0;
}

/* Async-signal-safe. An image in which the shim never acted (every process the container starts
 * besides PID 1) answers from one load. */
static inline bool reap_active(void)
{
	const struct active_page *page;

	if (reap_never_acted() || inert_thread) {
		return false;
	}
	page = __atomic_load_n(&active_page, __ATOMIC_ACQUIRE);
	if (__builtin_expect(page != NULL, 1)) {
		return __atomic_load_n(&page->pid, __ATOMIC_RELAXED) != 0;
	}
	return reap_active_by_pid();
}

/* A fork child of the process the shim acts in, before its reset (spawn.c): it forked with no
 * signal blocked, so a handler may run here already. A write another thread of the parent had
 * begun at the fork never ends in this copy, and nothing else writes it: a reader must not wait
 * for it. Async-signal-safe. */
static inline bool reap_fork_child_before_reset(void)
{
	return !reap_never_acted() && !inert_thread && !reap_active();
}

/* Marks the part of a wrapper that runs only where the shim acts, so that the compiler keeps it
 * out of line: the wrapper's inert path is then a check and a jump to libc, with no stack frame of
 * the active path's size to build and take down on every call. */
#define ACTIVE_PATH __attribute__((noinline))

/* True in the init process of a PID namespace that the shim acts in. It guards what only an init
 * may do (signal the whole namespace), so it also asks the kernel. Async-signal-safe. */
static inline bool reap_is_init(void)
{
	return reap_active() && __atomic_load_n(&active_pid, __ATOMIC_ACQUIRE) == 1 && getpid() == 1;
}

#endif
