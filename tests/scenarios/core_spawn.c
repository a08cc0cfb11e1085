/* core_spawn: every way a program makes a child through libc counts as its own (issue 2,
 * property 3). Per path, under a storm of foreign orphans: a child that ends while the program is
 * busy elsewhere stays a zombie until the program waits for it (nobody reaps it behind the
 * program's back) and its status is exact; a second one is returned by wait() for any child.
 * daemon() is called by a child: its daemon is handed to PID 1 (foreign there) and must be reaped.
 * Children made by a raw syscall instruction (raw_fork, raw_vfork, raw_clone; x86-64) are out of
 * any wrapper's sight: only a wait for their exact pid is promised their status.
 * Usage: core_spawn PATH|all, PATH one of the names in `paths` and `raw_paths` below, or daemon. */
#include <errno.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "scn.h"

extern char **environ;

/* glibc's exported aliases, each an entry point of its own. */
extern pid_t __fork(void);
extern pid_t __vfork(void) __attribute__((returns_twice));
extern int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);

#if defined(__x86_64__)
/* The first versions of posix_spawn and posix_spawnp, still exported for old binaries. */
__asm__(".symver posix_spawn_225, posix_spawn@GLIBC_2.2.5");
__asm__(".symver posix_spawnp_225, posix_spawnp@GLIBC_2.2.5");
extern int posix_spawn_225(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
extern int posix_spawnp_225(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
#endif

/* ---- the paths: each makes a child that exits with `code` ------------------------------------ */

static pid_t by_fork(int code)
{
	pid_t pid = fork();
	if (pid == 0) {
		_exit(code);
	}
	return pid;
}

static pid_t by___fork(int code)
{
	pid_t pid = __fork();
	if (pid == 0) {
		_exit(code);
	}
	return pid;
}

static pid_t by_vfork(int code)
{
	pid_t pid = vfork();
	if (pid == 0) {
		_exit(code);
	}
	return pid;
}

static pid_t by___vfork(int code)
{
	pid_t pid = __vfork();
	if (pid == 0) {
		_exit(code);
	}
	return pid;
}

static pid_t by__Fork(int code)
{
	pid_t pid = _Fork();
	if (pid == 0) {
		_exit(code);
	}
	return pid;
}

static char clone_stack[256 * 1024] __attribute__((aligned(16)));

static int clone_body(void *arg)
{
	_exit((int)(intptr_t)arg);
}

static pid_t by_clone(int code)
{
	return clone(clone_body, clone_stack + sizeof clone_stack, SIGCHLD, (void *)(intptr_t)code);
}

static pid_t by_clone_vfork(int code)
{
	return clone(clone_body, clone_stack + sizeof clone_stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
	             (void *)(intptr_t)code);
}

static pid_t by___clone(int code)
{
	return __clone(clone_body, clone_stack + sizeof clone_stack, SIGCHLD, (void *)(intptr_t)code);
}

#if defined(SYS_fork) /* arm64 has no fork system call */
static pid_t by_sys_fork(int code)
{
	pid_t pid = (pid_t)syscall(SYS_fork);
	if (pid == 0) {
		syscall(SYS_exit_group, code);
	}
	return pid;
}
#endif

static pid_t by_sys_clone(int code)
{
	/* x86-64 and most others: flags, stack, parent_tid, child_tid, tls */
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0) {
		syscall(SYS_exit_group, code);
	}
	return pid;
}

static pid_t by_sys_clone3(int code)
{
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0) {
		syscall(SYS_exit_group, code);
	}
	return pid;
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                     char *const[], char *const[]);

static pid_t spawn_sh(spawn_fn *spawn, const char *sh, int code)
{
	char cmd[32];
	snprintf(cmd, sizeof cmd, "exit %d", code);
	char *argv[] = { (char *)"sh", (char *)"-c", cmd, NULL };
	pid_t pid = -1;
	int err = spawn(&pid, sh, NULL, NULL, argv, environ);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return pid;
}

static pid_t by_posix_spawn(int code)
{
	return spawn_sh(posix_spawn, "/bin/sh", code);
}

static pid_t by_posix_spawnp(int code)
{
	return spawn_sh(posix_spawnp, "sh", code);
}

#if defined(__x86_64__)
static pid_t by_posix_spawn_225(int code)
{
	return spawn_sh(posix_spawn_225, "/bin/sh", code);
}

static pid_t by_posix_spawnp_225(int code)
{
	return spawn_sh(posix_spawnp_225, "sh", code);
}
#endif

static int pty_master = -1;

static pid_t by_forkpty(int code)
{
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == 0) {
		_exit(code);
	}
	if (pid > 0) {
		if (pty_master >= 0) {
			close(pty_master);
		}
		pty_master = master; /* kept open until the next one, so the child sees no hangup */
	}
	return pid;
}

#if defined(__x86_64__)
/* A child made by a raw system call instruction, as the Go runtime does: no libc function sees it.
 * The child exits at once, touching no memory (a vfork child shares the parent's). */
static pid_t raw_child(long nr, long flags, int code)
{
	long ret;
	__asm__ volatile("syscall\n\t"
	                 "test %%rax, %%rax\n\t"
	                 "jnz 1f\n\t"
	                 "mov %[code], %%edi\n\t"
	                 "mov $231, %%eax\n\t" /* exit_group */
	                 "syscall\n\t"
	                 "1:\n\t"
	                 : "=a"(ret)
	                 : "0"(nr), "D"(flags), "S"(0L), "d"(0L), [code] "r"(code)
	                 : "rcx", "r11", "r8", "r10", "memory");
	return (pid_t)ret;
}

static pid_t by_raw_fork(int code)
{
	return raw_child(SYS_fork, 0, code);
}

static pid_t by_raw_vfork(int code)
{
	return raw_child(SYS_vfork, 0, code);
}

static pid_t by_raw_clone(int code)
{
	return raw_child(SYS_clone, SIGCHLD, code);
}
#endif

static const struct path {
	const char *name;
	pid_t (*make)(int code);
} paths[] = {
	{ "fork", by_fork },
	{ "__fork", by___fork },
	{ "vfork", by_vfork },
	{ "__vfork", by___vfork },
	{ "_Fork", by__Fork },
	{ "clone", by_clone },
	{ "clone_vfork", by_clone_vfork },
	{ "__clone", by___clone },
#if defined(SYS_fork)
	{ "sys_fork", by_sys_fork },
#endif
	{ "sys_clone", by_sys_clone },
	{ "sys_clone3", by_sys_clone3 },
	{ "posix_spawn", by_posix_spawn },
	{ "posix_spawnp", by_posix_spawnp },
#if defined(__x86_64__)
	{ "posix_spawn@2.2.5", by_posix_spawn_225 },
	{ "posix_spawnp@2.2.5", by_posix_spawnp_225 },
#endif
	{ "forkpty", by_forkpty },
};
#define N_PATHS ((int)(sizeof paths / sizeof paths[0]))

/* Paths no libc function sees: only a wait for that exact pid is promised the status. */
static const struct path raw_paths[] = {
#if defined(__x86_64__)
	{ "raw_fork", by_raw_fork },
	{ "raw_vfork", by_raw_vfork },
	{ "raw_clone", by_raw_clone },
#endif
	{ NULL, NULL },
};

/* ---- the checks ------------------------------------------------------------------------------ */

static void check_path(const struct path *p, int code)
{
	scn_stage(p->name, 15);
	char t[64];

	/* ends while the program is busy elsewhere: it must still be there to wait for */
	pid_t a = p->make(code);
	if (a < 0) {
		scn_fail("%s: could not make a child: %s", p->name, strerror(errno));
		return;
	}
	own_add(a, st_exit(code));
	if (!proc_wait_state(a, 'Z', 10)) {
		scn_fail("%s: own child %d: expected a zombie waiting for the program, state is '%c'", p->name,
		         (int)a, proc_state(a) ? proc_state(a) : '-');
	}
	storm_batches(1);
	int status = 0;
	errno = 0;
	pid_t got = waitpid(a, &status, 0);
	if (got == a) {
		own_collect(p->name, got, status);
	} else {
		scn_fail("%s: waitpid(%d): expected it, got %d (%s)", p->name, (int)a, (int)got, strerror(errno));
	}
	scn_say("%s: waitpid(pid) -> %s", p->name, st_text(status, t));

	/* and wait() for any child returns it */
	pid_t b = p->make(code + 1);
	if (b < 0) {
		scn_fail("%s: could not make a child: %s", p->name, strerror(errno));
		return;
	}
	own_add(b, st_exit(code + 1));
	storm_batches(1);
	for (int calls = 0; calls < 50; calls++) {
		errno = 0;
		got = wait(&status);
		if (got < 0) {
			scn_fail("%s: wait(): expected own child %d, got -1 (%s)", p->name, (int)b, strerror(errno));
			break;
		}
		own_collect("wait()", got, status);
		if (got == b) {
			break;
		}
	}
	scn_say("%s: wait() -> %s", p->name, st_text(status, t));
}

/* A child nobody saw being made: after it has ended and foreign orphans were reaped around it,
 * waitpid and waitid for its exact pid still get its status. */
static void check_raw(const struct path *p, int code)
{
	scn_stage(p->name, 15);
	char t[64];
	for (int i = 0; i < 2; i++) {
		pid_t k = p->make(code + i);
		if (k < 0) {
			scn_fail("%s: could not make a child: %s", p->name, strerror(errno));
			return;
		}
		own_add(k, st_exit(code + i));
		double end = scn_now() + 5;
		while (proc_state(k) != 'Z' && proc_state(k) != 0 && scn_now() < end) {
			scn_nap(0.0005);
		}
		storm_batches(1);
		int status = 0;
		pid_t got;
		errno = 0;
		if (i == 0) {
			got = waitpid(k, &status, 0);
		} else {
			siginfo_t si;
			memset(&si, 0, sizeof si);
			got = waitid(P_PID, (id_t)k, &si, WEXITED) == 0 ? si.si_pid : -1;
			status = st_from_siginfo(&si);
		}
		const char *via = i == 0 ? "waitpid(pid)" : "waitid(P_PID)";
		if (got == k) {
			own_collect(via, got, status);
		} else {
			scn_fail("%s: %s for %d: got %d (%s)", p->name, via, (int)k, (int)got, strerror(errno));
		}
		scn_say("%s: %s -> %s", p->name, via, got == k ? st_text(status, t) : "nothing");
	}
}

/* daemon(): a child calls it; its first half exits 0 (an own end), the daemon that goes on is a
 * grandchild handed to PID 1, foreign there, and must be reaped when it ends. */
static void check_daemon(void)
{
	scn_stage("daemon", 15);
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	pid_t x = own_fork(st_exit(0));
	if (x == 0) {
		close(fds[0]);
		if (daemon(1, 1) != 0) {
			_exit(1);
		}
		pid_t me = getpid();
		_exit(write(fds[1], &me, sizeof me) == (ssize_t)sizeof me ? 7 : 8);
	}
	close(fds[1]);
	int status;
	pid_t got = waitpid(x, &status, 0);
	if (scn_expect_int("waitpid(child calling daemon)", x, got)) {
		own_collect("waitpid(child calling daemon)", got, status);
	}
	pid_t d = 0;
	if (read(fds[0], &d, sizeof d) != (ssize_t)sizeof d) {
		scn_fail("daemon: no pid from the daemon");
	}
	close(fds[0]);
	/* where orphans come to us, the daemon is gone, not left as a zombie */
	if (d > 0 && scn_reaper() && !proc_wait_state(d, 0, 2)) {
		scn_fail("daemon: the daemon %d ended and was not reaped: state '%c'", (int)d, proc_state(d));
	}
	char t[64];
	scn_say("daemon: first half %s", st_text(status, t));
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	bool all = strcmp(which, "all") == 0;
	bool found = false;
	scn_init();
	storm_start();
	for (int i = 0; i < N_PATHS; i++) {
		if (all || strcmp(which, paths[i].name) == 0) {
			check_path(&paths[i], 20 + 2 * i);
			found = true;
		}
	}
	for (int i = 0; raw_paths[i].name != NULL; i++) {
		if (all || strcmp(which, raw_paths[i].name) == 0) {
			check_raw(&raw_paths[i], 60 + 2 * i);
			found = true;
		}
	}
	if (all || strcmp(which, "daemon") == 0) {
		check_daemon();
		found = true;
	}
	if (!found) {
		scn_say("usage: core_spawn PATH|daemon|all");
		return SCN_EXIT_BROKEN;
	}
	if (pty_master >= 0) {
		close(pty_master);
	}
	return scn_finish();
}
