/* real.h: libc's own entry points, bound once with dlsym(RTLD_NEXT) so that every wrapper can reach
 * the next definition in the chain (libc itself, or another interposer such as ASan). */
#ifndef REAP_REAL_H
#define REAP_REAL_H

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <wordexp.h>

/* Marks the functions the shim exports; everything else is hidden. */
#define REAP_EXPORT __attribute__((visibility("default")))

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);
typedef void handler_fn(int);

struct real_libc {
	pid_t (*fork)(void);
	pid_t (*_Fork)(void);
	int (*clone)(int (*)(void *), void *, int, void *, ...);
	spawn_fn *posix_spawn, *posix_spawnp, *posix_spawn_compat, *posix_spawnp_compat;
	pid_t (*forkpty)(int *, char *, const struct termios *, const struct winsize *);
	int (*daemon)(int, int);
	long (*syscall)(long, ...);

	pid_t (*wait4)(pid_t, int *, int, struct rusage *);
	int (*waitid)(idtype_t, id_t, siginfo_t *, int);

	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	handler_fn *(*signal)(int, handler_fn *);
	handler_fn *(*bsd_signal)(int, handler_fn *);
	handler_fn *(*ssignal)(int, handler_fn *);
	handler_fn *(*sysv_signal)(int, handler_fn *);
	handler_fn *(*sigset)(int, handler_fn *);
	int (*sigignore)(int);
	int (*siginterrupt)(int, int);

	int (*system)(const char *);
	FILE *(*popen)(const char *, const char *);
	int (*pclose)(FILE *);
	int (*wordexp)(const char *, wordexp_t *, int);

	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*execveat)(int, const char *, char *const[], char *const[], int);

	void (*_exit)(int) __attribute__((noreturn));
	void (*_Exit)(int) __attribute__((noreturn));
};

/* Binds every pointer the first time it is needed (the constructor does it before any handler is
 * installed; a call from another library's constructor may come first). Not for signal handlers. */
void real_bind(void);

extern struct real_libc real_libc;
extern int real_bound;

static inline const struct real_libc *real(void)
{
	if (__builtin_expect(!__atomic_load_n(&real_bound, __ATOMIC_ACQUIRE), 0)) {
		real_bind();
	}
	return &real_libc;
}

#endif
