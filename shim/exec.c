/* exec.c: owns the exec family in an active process (execve, execv, execvp, execvpe, execl, execlp,
 * execle, fexecve, and glibc's execveat; neither libc builds them on the exported execve).
 *
 * The new image starts with the children of the old one, and must know which of them are the
 * program's own (a re-exec'ing master keeps its workers) and which are orphans that happened to be
 * alive (an entrypoint script that started a daemon, then exec'd the server). The old image passes
 * its list in the environment as REAP_OWN=pid,pid,... and the new image's constructor takes it
 * out again (init.c). Without the list every inherited child counts as own. The list is built in
 * memory from mmap, since execve may be called from a signal handler. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "active.h"
#include "exec.h"
#include "exports.h"
#include "log.h"
#include "real.h"
#include "registry.h"

extern char **environ;

#define OWN_PREFIX EXEC_OWN_VARIABLE "="

struct own_env {
	char **envp;
	void *memory;
	size_t size;
};

static bool is_own_entry(const char *entry)
{
	return strncmp(entry, OWN_PREFIX, sizeof(OWN_PREFIX) - 1) == 0;
}

/* envp with REAP_OWN replaced by the registry's list; NULL if memory is short (exec goes on). */
static bool build(char *const envp[], struct own_env *out)
{
	size_t entries = 0, own = registry_count() + 16;
	char **list;
	char *text;
	size_t n = 0;

	while (envp != NULL && envp[entries] != NULL) {
		entries++;
	}
	out->size = (entries + 2) * sizeof(char *) + sizeof(OWN_PREFIX) + own * 12;
	out->memory = mmap(NULL, out->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (out->memory == MAP_FAILED) {
		return false;
	}
	list = out->memory;
	for (size_t i = 0; i < entries; i++) {
		if (!is_own_entry(envp[i])) {
			list[n++] = envp[i];
		}
	}
	text = (char *)(list + entries + 2);
	list[n++] = text;
	list[n] = NULL;
	memcpy(text, OWN_PREFIX, sizeof(OWN_PREFIX) - 1);
	registry_format(text + sizeof(OWN_PREFIX) - 1, own * 12);
	out->envp = list;
	return true;
}

static void release(struct own_env *env)
{
	int saved_errno = errno;

	munmap(env->memory, env->size);
	errno = saved_errno;
}

/* Runs exec with envp carrying the list; returns only if exec failed, with its errno. */
#define WITH_OWN_LIST(envp, call_with_env)                         \
	do {                                                       \
		struct own_env own_env_;                           \
		if (reap_active() && build((envp), &own_env_)) {   \
			char *const *env_ = own_env_.envp;         \
			int rc_ = (call_with_env);                 \
			release(&own_env_);                        \
			return rc_;                                \
		}                                                  \
	} while (0)

REAP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	WITH_OWN_LIST(envp, LIBC(execve)(path, argv, env_));
	return LIBC(execve)(path, argv, envp);
}

REAP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	WITH_OWN_LIST(envp, LIBC(execvpe)(file, argv, env_));
	return LIBC(execvpe)(file, argv, envp);
}

REAP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	WITH_OWN_LIST(envp, LIBC(fexecve)(fd, argv, env_));
	return LIBC(fexecve)(fd, argv, envp);
}

#if defined(__GLIBC__)
/* glibc 2.34 and later; musl has no execveat. */
REAP_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	if (LIBC(execveat) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	WITH_OWN_LIST(envp, LIBC(execveat)(dirfd, path, argv, env_, flags));
	return LIBC(execveat)(dirfd, path, argv, envp, flags);
}
#endif

REAP_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

REAP_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl and friends: the variadic list becomes an argv on the stack, as in glibc. */
static size_t count_args(va_list ap)
{
	va_list copy;
	size_t argc = 1;

	va_copy(copy, ap);
	while (va_arg(copy, const char *) != NULL) {
		argc++;
	}
	va_end(copy);
	return argc;
}

/* argv has room for argc + 1; returns the envp that follows the list, for execle. */
static char *const *read_args(char **argv, const char *arg0, size_t argc, va_list ap, bool with_envp)
{
	argv[0] = (char *)arg0;
	for (size_t i = 1; i <= argc; i++) {
		argv[i] = va_arg(ap, char *);
	}
	return with_envp ? va_arg(ap, char *const *) : environ;
}

#define EXECL_WRAPPER(name, exec_with_env, with_envp)                          \
	REAP_EXPORT int name(const char *target, const char *arg, ...)         \
	{                                                                      \
		va_list ap;                                                    \
		char *const *envp;                                             \
		va_start(ap, arg);                                             \
		size_t argc = count_args(ap);                                  \
		char *argv[argc + 1];                                          \
		envp = read_args(argv, arg, argc, ap, with_envp);              \
		va_end(ap);                                                    \
		return exec_with_env(target, argv, envp);                      \
	}

EXECL_WRAPPER(execl, execve, false)
EXECL_WRAPPER(execlp, execvpe, false)
EXECL_WRAPPER(execle, execve, true)

static void adopt_number(pid_t pid, void *ctx)
{
	(void)ctx;
	registry_adopt(pid);
}

bool exec_adopt_listed(void)
{
	const char *list = getenv(EXEC_OWN_VARIABLE);

	if (list == NULL) {
		return false;
	}
	registry_parse_list(list, adopt_number, NULL);
	/* A listed child may have ended and been reaped in between. */
	registry_prune();
	unsetenv(EXEC_OWN_VARIABLE);
	return true;
}
