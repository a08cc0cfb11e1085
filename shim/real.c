/* real.c: owns the table of libc's own entry points (see real.h), each bound on first use through
 * symbols.c, which is async-signal-safe: a wrapper first reached from a signal handler or a vfork
 * child binds there as well as anywhere, so nothing is bound in advance. A symbol libc lacks stays NULL;
 * the wrappers that can meet one (_Fork, execveat, epoll_pwait2, sem_clockwait, thrd_sleep) fail
 * as libc would without it (ENOSYS), and REAP_VERBOSE=2 says which one was missing. */
#include "real.h"

#include "log.h"
#include "start.h"
#include "symbols.h"

/* Every program's start binds __libc_start_main here (start.h). */
struct real_libc real_libc START_STATE;

static spawn_fn *posix_spawn_compat, *posix_spawnp_compat;

START_PATH void *real_bind_one(void **slot, const char *name)
{
	void *fn = symbols_next(name);

	if (fn == NULL) {
		log_debug2("libc has no ", name);
	}
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

/* A fork child's copy of the table is its own: what it binds, each child binds again, with a lookup
 * and a copied page. So the calls a child most often makes through the shim before it execs or
 * exits are bound in the parent (by the fork wrapper: once bound, a check each). */
void real_bind_for_children(void)
{
	(void)LIBC(execve);
	(void)LIBC(execvpe);
	(void)LIBC(_exit);
	(void)LIBC(_Exit);
	(void)LIBC(exit);
	(void)LIBC(sigaction);
}

static spawn_fn *versioned(spawn_fn **slot, const char *name)
{
	spawn_fn *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

#if defined(__x86_64__) && defined(__GLIBC__)
	if (fn == NULL) {
		fn = (spawn_fn *)symbols_next_versioned(name, "GLIBC_2.2.5");
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
