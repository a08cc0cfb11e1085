/* real.c: owns the table of libc's own entry points (see real.h). A symbol libc lacks stays NULL;
 * the wrappers that need it then fail with ENOSYS, and REAP_VERBOSE=1 says which one was missing. */
#include "real.h"

#include <dlfcn.h>
#include <string.h>

#include "log.h"

struct real_libc real_libc;
int real_bound;

static void *next_symbol(const char *name, const char *version)
{
	void *sym = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
	if (sym == NULL) {
		log_debug2("libc has no ", name);
	}
	return sym;
}

#define BIND(field, name) (real_libc.field = next_symbol(name, NULL))

void real_bind(void)
{
	BIND(fork, "fork");
	BIND(_Fork, "_Fork");
	BIND(clone, "clone");
	BIND(posix_spawn, "posix_spawn");
	BIND(posix_spawnp, "posix_spawnp");
#if defined(__x86_64__) && defined(__GLIBC__)
	real_libc.posix_spawn_compat = next_symbol("posix_spawn", "GLIBC_2.2.5");
	real_libc.posix_spawnp_compat = next_symbol("posix_spawnp", "GLIBC_2.2.5");
#endif
	BIND(forkpty, "forkpty");
	BIND(daemon, "daemon");
	BIND(syscall, "syscall");
	BIND(wait4, "wait4");
	BIND(waitid, "waitid");
	BIND(sigaction, "sigaction");
	BIND(signal, "signal");
	BIND(bsd_signal, "bsd_signal");
	BIND(ssignal, "ssignal");
	BIND(sysv_signal, "sysv_signal");
	BIND(sigset, "sigset");
	BIND(sigignore, "sigignore");
	BIND(siginterrupt, "siginterrupt");
	BIND(system, "system");
	BIND(popen, "popen");
	BIND(pclose, "pclose");
	BIND(wordexp, "wordexp");
	BIND(execve, "execve");
	BIND(execvpe, "execvpe");
	BIND(fexecve, "fexecve");
	BIND(execveat, "execveat");
	BIND(_exit, "_exit");
	BIND(_Exit, "_Exit");
	__atomic_store_n(&real_bound, 1, __ATOMIC_RELEASE);
}
