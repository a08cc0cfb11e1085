/* real.c: owns the table of libc's own entry points (see real.h). A symbol libc lacks stays NULL;
 * the wrappers that can meet one (_Fork, execveat, epoll_pwait2, sem_clockwait, thrd_sleep) fail
 * as libc would without it (ENOSYS), and REAP_VERBOSE=2 says which one was missing. */
#include "real.h"

#include <dlfcn.h>

#include "log.h"

struct real_libc real_libc;

static spawn_fn *posix_spawn_compat, *posix_spawnp_compat;

void *real_bind_one(void **slot, const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (fn == NULL) {
		log_debug2("libc has no ", name);
	}
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

#define BIND(name) ((void)LIBC(name))

void real_bind_async_safe(void)
{
	BIND(fork);
	BIND(_Fork);
	BIND(wait4);
	BIND(waitid);
	BIND(sigaction);
	BIND(syscall);
	BIND(execve);
	BIND(execvpe);
	BIND(fexecve);
	BIND(quick_exit);
	BIND(_exit);
	BIND(_Exit);
	BIND(poll);
	BIND(ppoll);
	BIND(select);
	BIND(pselect);
	BIND(epoll_wait);
	BIND(epoll_pwait);
	BIND(nanosleep);
	BIND(clock_nanosleep);
	BIND(pause);
	BIND(sigsuspend);
	BIND(sigpause);
	BIND(sigtimedwait);
#if defined(__GLIBC__)
	/* glibc's own names, which musl does not have (and whose wrappers only glibc builds export). */
	BIND(execveat);
	BIND(__poll_chk);
	BIND(__ppoll_chk);
	BIND(__xpg_sigpause);
	BIND(__sigpause);
#endif
}

static spawn_fn *versioned(spawn_fn **slot, const char *name)
{
	spawn_fn *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

#if defined(__x86_64__) && defined(__GLIBC__)
	if (fn == NULL) {
		fn = (spawn_fn *)dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
#else
	(void)name;
#endif
	return fn;
}

spawn_fn *real_posix_spawn_compat(void)
{
	return versioned(&posix_spawn_compat, "posix_spawn");
}

spawn_fn *real_posix_spawnp_compat(void)
{
	return versioned(&posix_spawnp_compat, "posix_spawnp");
}
