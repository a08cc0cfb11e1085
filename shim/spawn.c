/* spawn.c: owns every libc entry point that creates a child: fork, __fork, _Fork, vfork and
 * __vfork (vfork-x86_64.S, vfork-aarch64.S), clone, __clone, posix_spawn and posix_spawnp in all
 * their symbol versions, forkpty, daemon, and syscall() for SYS_fork, SYS_vfork, SYS_clone and
 * SYS_clone3; the "__" names are glibc's only. syscall() also routes its waits for children, its
 * waits that are never restarted (ipcwaits.c), ptrace (ptrace.c) and exit_group to their owners.
 *
 * Each creation is a "birth": announced before the call, so that the SIGCHLD handler leaves every
 * unknown child alone while it is in flight (a child that dies before it is recorded is parked
 * and replayed), and ended with the new pid recorded as own. A fork changes no signal mask: the
 * registry records a birth without its lock, and a fork child is inert from its first instruction
 * (active.h), so a handler may run on either side at any point. */
#include "spawn.h"

#include <errno.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "exports.h"
#include "ipcwaits.h"
#include "kernel.h"
#include "lock.h"
#include "ptrace.h"
#include "real.h"
#include "registry.h"
#include "shell.h"
#include "sigchld.h"
#include "signals.h"
#include "terminate.h"
#include "unshared.h"
#include "wait.h"

void spawn_birth_end(pid_t pid)
{
	if (registry_birth_end(pid)) {
		sigchld_resume();
	}
}

__thread int signals_held __attribute__((tls_model("initial-exec")));
/* Set while tracked() creates a child: that child was forked by the process the shim acts in, whose
 * table of signal actions is in step with the kernel's (signals.c). */
static __thread int forking_tracked __attribute__((tls_model("initial-exec")));

/* Also the child side of _Fork, of a fork-like clone() and of syscall()'s forks: glibc's fork runs
 * it as an at-fork handler (init.c). */
FORK_CHILD_PATH void spawn_reset_in_child(void)
{
	inert_thread = 1;
	if (!unshared_wiped) {
		registry_reset_in_child();
	}
	signals_reset_in_child(forking_tracked != 0);
	shell_reset_in_child();
}

/* The end of a vfork-like birth, whose window blocks every signal in the parent (the child, which
 * shares the thread-local flag, has set its own mask meanwhile): recording needs no change of the
 * mask. */
static void birth_end_blocked(pid_t pid)
{
	signals_held = 1;
	spawn_birth_end(pid);
	signals_held = 0;
}

/* One fork-like creation; create() returns 0 in the child, like fork. */
FORK_CHILD_PATH static long tracked(long (*create)(void *), void *arg, bool unlock_in_child)
{
	long pid;
	int saved_errno;

	forking_tracked = 1;
	registry_birth_begin();
	pid = create(arg);
	if (pid == 0 && unlock_in_child) {
		spawn_reset_in_child();
	}
	forking_tracked = 0;
	if (pid == 0) {
		return 0;
	}
	saved_errno = errno;
	spawn_birth_end(pid > 0 ? (pid_t)pid : 0);
	errno = saved_errno;
	return pid;
}

/* glibc's fork runs the pthread_atfork child handlers, among them the shim's reset (init.c). */
FORK_CHILD_PATH static long call_fork(void *arg)
{
	(void)arg;
	return LIBC(fork)();
}

static long call_Fork(void *arg)
{
	(void)arg;
	return LIBC(_Fork)();
}

FORK_CHILD_PATH REAP_EXPORT pid_t fork(void)
{
	real_bind_for_children();
	return reap_active() ? (pid_t)tracked(call_fork, NULL, false) : LIBC(fork)();
}

#if defined(__GLIBC__)
REAP_EXPORT pid_t __fork(void)
{
	return fork();
}
#endif

REAP_EXPORT pid_t _Fork(void)
{
	if (LIBC(_Fork) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return reap_active() ? (pid_t)tracked(call_Fork, NULL, true) : LIBC(_Fork)();
}

/* The trampoline of vfork-ARCH.S calls these three (a wrapper in C could not survive the child
 * borrowing its stack frame). While the child borrows the parent's memory it is marked inert in
 * the thread-local flag it shares with the parent thread; the parent blocks every signal for the
 * window (the kernel holds them back from a vfork parent anyway), so that no handler of its own
 * runs while the flag is set. */
__attribute__((visibility("hidden"))) int reap_vfork_begin(void);
__attribute__((visibility("hidden"))) void reap_vfork_child(void);
__attribute__((visibility("hidden"))) pid_t reap_vfork_end(long raw, int tracking);

static __thread sigset_t vfork_mask __attribute__((tls_model("initial-exec")));

int reap_vfork_begin(void)
{
	sigset_t all;

	if (!reap_active()) {
		return 0;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &vfork_mask);
	registry_birth_begin();
	return 1;
}

void reap_vfork_child(void)
{
	inert_thread = 1;
	sigprocmask(SIG_SETMASK, &vfork_mask, NULL);
}

/* In the parent, once the child has exec'd or exited: raw is the system call's result. */
pid_t reap_vfork_end(long raw, int tracking)
{
	pid_t pid = raw < 0 ? -1 : (pid_t)raw;

	if (tracking) {
		inert_thread = 0;
		birth_end_blocked(pid > 0 ? pid : 0);
		sigprocmask(SIG_SETMASK, &vfork_mask, NULL);
	}
	if (raw < 0) {
		errno = (int)-raw;
	}
	return pid;
}

static bool fork_like(uint64_t flags)
{
	return !(flags & (CLONE_VM | CLONE_THREAD | CLONE_PARENT));
}

/* A clone child starts here and is set up as a fork child would be before fn runs. A copy of the
 * parent's memory (no CLONE_VM) gets the full reset. A CLONE_VM|CLONE_VFORK child runs in the
 * parent's memory, thread-local flag included, while the parent is suspended: it is marked inert,
 * and given back the program's SIGCHLD action unless it shares the parent's (CLONE_SIGHAND). */
struct clone_child {
	int (*fn)(void *);
	void *arg;
	int flags;
	sigset_t mask;
};

static int start_clone_child(void *arg)
{
	struct clone_child *child = arg;

	if (!(child->flags & CLONE_VM)) {
		spawn_reset_in_child();
		return child->fn(child->arg);
	}
	inert_thread = 1;
	if (!(child->flags & CLONE_SIGHAND)) {
		signals_release_sigchld(false);
	}
	sigprocmask(SIG_SETMASK, &child->mask, NULL);
	return child->fn(child->arg);
}

/* A CLONE_VM child without CLONE_VFORK runs beside its parent, in the same memory and (without
 * CLONE_SETTLS) the same thread-local storage: nothing can be set up for it (docs/design.md). */
static int tracked_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls, pid_t *ctid)
{
	struct clone_child child = {.fn = fn, .arg = arg, .flags = flags};
	bool shares_memory = (flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK);
	sigset_t all;
	int pid, saved_errno;

	/* A thread or a sibling is not a child. */
	if (!reap_active() || (flags & (CLONE_THREAD | CLONE_PARENT))) {
		return LIBC(clone)(fn, stack, flags, arg, ptid, tls, ctid);
	}
	if (shares_memory) {
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &child.mask);
	}
	if (shares_memory || !(flags & CLONE_VM)) {
		fn = start_clone_child;
		arg = &child;
	}
	if ((flags & CSIGNAL) != SIGCHLD) {
		registry_expect_clone_kind();
	}
	registry_birth_begin();
	pid = LIBC(clone)(fn, stack, flags, arg, ptid, tls, ctid);
	saved_errno = errno;
	if (shares_memory) {
		inert_thread = 0;
		birth_end_blocked(pid > 0 ? pid : 0);
		sigprocmask(SIG_SETMASK, &child.mask, NULL);
	} else {
		spawn_birth_end(pid > 0 ? pid : 0);
	}
	errno = saved_errno;
	return pid;
}

/* The three trailing arguments are read whether or not they were passed, as glibc's clone does;
 * the kernel only looks at them when flags ask for them. */
#define CLONE_WRAPPER(name)                                                                  \
	REAP_EXPORT int name(int (*fn)(void *), void *stack, int flags, void *arg, ...)      \
	{                                                                                    \
		va_list ap;                                                                  \
		pid_t *ptid;                                                                 \
		void *tls;                                                                   \
		pid_t *ctid;                                                                 \
		va_start(ap, arg);                                                           \
		ptid = va_arg(ap, pid_t *);                                                  \
		tls = va_arg(ap, void *);                                                    \
		ctid = va_arg(ap, pid_t *);                                                  \
		va_end(ap);                                                                  \
		return tracked_clone(fn, stack, flags, arg, ptid, tls, ctid);                \
	}

CLONE_WRAPPER(clone)
#if defined(__GLIBC__)
CLONE_WRAPPER(__clone)
#endif

static int tracked_spawn(spawn_fn *spawn, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	pid_t child = 0;
	int rc;

	if (spawn == NULL) {
		return ENOSYS;
	}
	if (!reap_active()) {
		return spawn(pid, path, actions, attr, argv, envp);
	}
	registry_birth_begin();
	rc = spawn(&child, path, actions, attr, argv, envp);
	spawn_birth_end(rc == 0 ? child : 0);
	if (rc == 0 && pid != NULL) {
		*pid = child;
	}
	return rc;
}

#define SPAWN_WRAPPER(name, next)                                                                         \
	REAP_EXPORT int name(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,    \
			     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])        \
	{                                                                                                 \
		return tracked_spawn(next, pid, path, actions, attr, argv, envp);                         \
	}

SPAWN_WRAPPER(posix_spawn, LIBC(posix_spawn))
SPAWN_WRAPPER(posix_spawnp, LIBC(posix_spawnp))
#if defined(__x86_64__) && defined(__GLIBC__)
/* Binaries linked before glibc 2.15 call these (shim/versions-x86_64.map); they keep their
 * old semantics (a script without #! is run by /bin/sh). */
SPAWN_WRAPPER(reap_posix_spawn_compat, real_posix_spawn_compat())
SPAWN_WRAPPER(reap_posix_spawnp_compat, real_posix_spawnp_compat())
__asm__(".symver reap_posix_spawn_compat, posix_spawn@GLIBC_2.2.5");
__asm__(".symver reap_posix_spawnp_compat, posix_spawnp@GLIBC_2.2.5");
#endif

REAP_EXPORT pid_t forkpty(int *amaster, char *name, const struct termios *termp, const struct winsize *winp)
{
	pid_t pid;

	if (!reap_active()) {
		return LIBC(forkpty)(amaster, name, termp, winp);
	}
	registry_birth_begin();
	pid = LIBC(forkpty)(amaster, name, termp, winp);
	if (pid != 0) {
		spawn_birth_end(pid > 0 ? pid : 0);
	}
	return pid;
}

/* glibc's daemon forks and ends the parent with _exit: only the child, or a failure, returns. */
REAP_EXPORT int daemon(int nochdir, int noclose)
{
	bool was_active = reap_active();
	int rc;

	if (was_active) {
		registry_birth_begin();
	}
	rc = LIBC(daemon)(nochdir, noclose);
	if (was_active && reap_active()) {
		spawn_birth_end(0);
	}
	return rc;
}

struct raw_call {
	long nr;
	long args[6];
};

static long call_raw(void *arg)
{
	const struct raw_call *c = arg;

	return LIBC(syscall)(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5]);
}

/* The exit signal of a raw clone's child: in clone's flags, or the fifth field of clone3's struct
 * clone_args. */
static uint64_t raw_exit_signal(const struct raw_call *c)
{
	switch (c->nr) {
	case SYS_clone:
		return (uint64_t)c->args[0] & CSIGNAL;
#ifdef SYS_clone3
	case SYS_clone3:
		return ((const uint64_t *)c->args[0])[4];
#endif
	default:
		return SIGCHLD;
	}
}

static bool raw_creates_child(const struct raw_call *c)
{
	switch (c->nr) {
#ifdef SYS_fork
	case SYS_fork:
#endif
#ifdef SYS_vfork
	case SYS_vfork:
#endif
		return true;
	case SYS_clone:
		return fork_like((uint64_t)c->args[0]);
#ifdef SYS_clone3
	case SYS_clone3:
		/* flags is the first field of the kernel's struct clone_args (<linux/sched.h>, which
		 * musl's toolchains do not carry). */
		return c->args[0] != 0 && fork_like(*(const uint64_t *)c->args[0]);
#endif
	default:
		return false;
	}
}

REAP_EXPORT long syscall(long nr, ...)
{
	struct raw_call c = {.nr = nr};
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++) {
		c.args[i] = va_arg(ap, long);
	}
	va_end(ap);
	if (!reap_active()) {
		return call_raw(&c);
	}
	if (raw_creates_child(&c)) {
#if defined(SYS_vfork) && defined(SYS_fork)
		/* The child would return through this frame on the parent's stack: make it a fork. */
		if (c.nr == SYS_vfork) {
			c.nr = SYS_fork;
		}
#endif
		if (raw_exit_signal(&c) != SIGCHLD) {
			registry_expect_clone_kind();
		}
		return tracked(call_raw, &c, true);
	}
	if (ipcwaits_is_raw_wait(nr)) {
		return ipcwaits_raw_wait(nr, c.args);
	}
	switch (nr) {
	case SYS_ptrace:
		return ptrace_raw(c.args);
	case SYS_wait4:
		return wait_wait4((pid_t)c.args[0], (int *)c.args[1], (int)c.args[2], (struct rusage *)c.args[3]);
	case SYS_waitid:
		return wait_waitid((idtype_t)c.args[0], (id_t)c.args[1], (siginfo_t *)c.args[2], (int)c.args[3],
				   (struct rusage *)c.args[4]);
	case SYS_exit_group:
		c.args[0] = terminate_at_exit((int)c.args[0]);
		break;
	case SYS_exit:
		c.args[0] = terminate_at_thread_exit((int)c.args[0]);
		break;
	default:
		break;
	}
	return call_raw(&c);
}
