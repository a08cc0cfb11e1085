/* real.h: libc's own entry points, each bound once to the next definition after the shim (what
 * dlsym(RTLD_NEXT) would give: libc itself, or another interposer such as ASan), so that every
 * wrapper can reach it. */
#ifndef REAP_REAL_H
#define REAP_REAL_H

#include <aio.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <termios.h>
#include <time.h>
#include <wordexp.h>

#include "start.h"

/* Marks the functions the shim exports; everything else is hidden. */
#define REAP_EXPORT __attribute__((visibility("default")))

/* Marks the shim's code that every fork child of an acting process runs, from the fork's return to
 * its exec or exit. A child finds none of the library's code mapped: each run of pages it executes
 * costs it a page fault. GCC places these functions together (its subsection for hot code). */
#define FORK_CHILD_PATH __attribute__((hot))

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);
typedef void handler_fn(int);
typedef int main_fn(int, char **, char **);

struct real_libc {
	pid_t (*fork)(void);
	pid_t (*_Fork)(void);
	int (*clone)(int (*)(void *), void *, int, void *, ...);
	spawn_fn *posix_spawn, *posix_spawnp;
	pid_t (*forkpty)(int *, char *, const struct termios *, const struct winsize *);
	int (*daemon)(int, int);
	long (*syscall)(long, ...);
	long (*ptrace)(int, ...);

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

	int (*pipe2)(int[2], int);
	ssize_t (*getxattr)(const char *, const char *, void *, size_t);
	int (*system)(const char *);
	FILE *(*popen)(const char *, const char *);
	int (*pclose)(FILE *);
	int (*fclose)(FILE *);
	int (*wordexp)(const char *, wordexp_t *, int);

	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*execveat)(int, const char *, char *const[], char *const[], int);

	int (*poll)(struct pollfd *, nfds_t, int);
	int (*__poll_chk)(struct pollfd *, nfds_t, int, size_t);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*__ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *);
	int (*nanosleep)(const struct timespec *, struct timespec *);
	int (*clock_gettime)(clockid_t, struct timespec *);
	int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
	int (*thrd_sleep)(const struct timespec *, struct timespec *);
	int (*pause)(void);
	int (*sigsuspend)(const sigset_t *);
	int (*sigpause)(int);
	int (*__xpg_sigpause)(int);
	int (*__sigpause)(int, int);
	int (*sigtimedwait)(const sigset_t *, siginfo_t *, const struct timespec *);
	int (*sigwait)(const sigset_t *, int *);

	ssize_t (*msgrcv)(int, void *, size_t, long, int);
	int (*msgsnd)(int, const void *, size_t, int);
	int (*semop)(int, struct sembuf *, size_t);
	int (*semtimedop)(int, struct sembuf *, size_t, const struct timespec *);
	int (*sem_timedwait)(sem_t *, const struct timespec *);
	int (*sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
	int (*aio_suspend)(const struct aiocb *const[], int, const struct timespec *);

	int (*__libc_start_main)(main_fn *, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
	void (*exit)(int) __attribute__((noreturn));
	void (*quick_exit)(int) __attribute__((noreturn));
	void (*_exit)(int) __attribute__((noreturn));
	void (*_Exit)(int) __attribute__((noreturn));
	void (*verr)(int, const char *, va_list) __attribute__((noreturn));
	void (*verrx)(int, const char *, va_list) __attribute__((noreturn));
	void (*vwarn)(const char *, va_list);
	void (*vwarnx)(const char *, va_list);
};

extern struct real_libc real_libc;

/* The next definition of name after the shim, bound into *slot on first use. */
void *real_bind_one(void **slot, const char *name);

static inline __attribute__((always_inline)) void *real_lookup(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	return __builtin_expect(fn != NULL, 1) ? fn : real_bind_one(slot, name);
}

/* libc's name, e.g. LIBC(fork)(). Binding is lazy, so that an inert program pays only for what it
 * calls, and async-signal-safe (symbols.c), so that it may happen in a signal handler or a vfork
 * child. */
#define LIBC(name) REAL_LOOKUP(name, #name)

/* LIBC(name) in the start's section, whose code reads nothing from .rodata (start.h): the name is
 * kept in the segment too. */
#define LIBC_AT_START(name)                                                 \
	({                                                                  \
		static const char start_name_[] START_CONST = #name;        \
		REAL_LOOKUP(name, start_name_);                             \
	})

#define REAL_LOOKUP(name, text) ((__typeof__(real_libc.name))real_lookup((void **)&real_libc.name, text))

/* Binds what a fork child most often calls through the shim, in the parent: see real.c. */
void real_bind_for_children(void);

/* glibc's pre-2.15 posix_spawn and posix_spawnp (x86-64), NULL elsewhere. */
spawn_fn *real_posix_spawn_compat(void);
spawn_fn *real_posix_spawnp_compat(void);

/* CLOCK_MONOTONIC in nanoseconds. Bound at run time, as LIBC() binds, so that it adds no version
 * need (glibc-floor.h). Async-signal-safe. */
static inline long long real_now_ns(void)
{
	struct timespec t;

	LIBC(clock_gettime)(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* System calls made directly where glibc's function is younger than the oldest glibc the library
 * loads on (2.17, glibc-floor.h): gettid came with 2.30, and stat and fstat are functions of their
 * own only since 2.33 (before, inline wrappers of __xstat, which 2.33 hid). On x86-64 and arm64
 * the kernel's struct stat is libc's, glibc's and musl's alike. Async-signal-safe. */
static inline pid_t real_gettid(void)
{
	return (pid_t)LIBC(syscall)(SYS_gettid);
}

static inline int real_fstat(int fd, struct stat *st)
{
	return (int)LIBC(syscall)(SYS_fstat, fd, st);
}

static inline int real_stat(const char *path, struct stat *st)
{
	return (int)LIBC(syscall)(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

#endif
