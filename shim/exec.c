/* exec.c: owns the exec family in an active process (execve, execv, execvp, execvpe, execl, execlp,
 * execle, fexecve, and glibc's execveat; neither libc builds them on the exported execve).
 *
 * The new image starts with the children of the old one, and must know which of them are the
 * program's own (a re-exec'ing master keeps its workers) and which are orphans that happened to be
 * alive (an entrypoint script that started a daemon, then exec'd the server). The old image passes
 * its list in the environment as REAP_OWN=pid,pid,... and the new image's constructor takes it
 * out again (init.c). Without the list every inherited child counts as own. The list is added only
 * where the new image will read it (LD_PRELOAD in its environment, or /etc/ld.so.preload) and
 * there are children at all; any other exec gets its environment untouched. A list longer than the
 * kernel takes in one string (MAX_ARG_STRLEN) comes in several REAP_OWN entries. It is built in
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
/* The kernel's limit on one string of the environment (MAX_ARG_STRLEN), its NUL included. */
#define ENTRY_MAX (32 * 4096)
/* Room for one pid and its comma. */
#define PID_ROOM 12

struct own_env {
	char **envp;
	void *memory;
	size_t size;
};

static bool is_own_entry(const char *entry)
{
	return strncmp(entry, OWN_PREFIX, sizeof(OWN_PREFIX) - 1) == 0;
}

/* Whether the image exec starts will load the shim, and so read the list. */
static bool loads_shim(char *const envp[])
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0 && envp[i][11] != '\0') {
			return true;
		}
	}
	return access("/etc/ld.so.preload", F_OK) == 0;
}

static bool has_children(void)
{
	siginfo_t info;

	return LIBC(waitid)(P_ALL, 0, &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) == 0 ||
	       errno != ECHILD;
}

/* The list being written: entries of at most ENTRY_MAX characters, each "REAP_OWN=pid,pid,...". */
struct writer {
	char **list;   /* where the next entry's pointer goes */
	char *entry;   /* the entry being written; NULL before the first pid */
	char *at, *end;
	size_t entries, max_entries;
};

static void start_entry(struct writer *w)
{
	if (w->entry != NULL) {
		*w->at++ = '\0';
	}
	w->entry = w->at;
	w->list[w->entries++] = w->entry;
	memcpy(w->at, OWN_PREFIX, sizeof(OWN_PREFIX) - 1);
	w->at += sizeof(OWN_PREFIX) - 1;
}

/* Under the registry's lock (registry_foreach): no registry call here. */
static void write_pid(pid_t pid, void *ctx)
{
	struct writer *w = ctx;
	char digits[PID_ROOM];
	size_t n = 0;
	unsigned v = (unsigned)pid;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (w->entry == NULL || (size_t)(w->at - w->entry) + n + 2 > ENTRY_MAX) {
		if (w->entries == w->max_entries || w->at + sizeof(OWN_PREFIX) + PID_ROOM > w->end) {
			return; /* children born since the list was sized */
		}
		start_entry(w);
	} else if (w->at + n + 2 > w->end) {
		return;
	} else {
		*w->at++ = ',';
	}
	while (n > 0) {
		*w->at++ = digits[--n];
	}
}

/* envp with the registry's list in place of any REAP_OWN; false if memory is short (exec goes
 * on without it). Built in memory from mmap: exec may be called in a signal handler. */
static bool build(char *const envp[], struct own_env *out)
{
	size_t entries = 0, own, text, max_entries, n = 0;
	struct writer w = {0};
	char **list;

	registry_prune(); /* entries of children the kernel reaped by itself */
	own = registry_count() + 16;
	text = own * PID_ROOM;
	max_entries = text / (ENTRY_MAX - sizeof(OWN_PREFIX) - PID_ROOM) + 1;
	while (envp != NULL && envp[entries] != NULL) {
		entries++;
	}
	out->size = (entries + max_entries + 1) * sizeof(char *) + text + max_entries * sizeof(OWN_PREFIX);
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
	w.list = list + n;
	w.at = (char *)(list + entries + max_entries + 1);
	w.end = (char *)out->memory + out->size;
	w.max_entries = max_entries;
	registry_foreach(write_pid, &w);
	if (w.entry == NULL) {
		start_entry(&w); /* no own child: an empty list says so */
	}
	*w.at = '\0';
	list[n + w.entries] = NULL;
	out->envp = list;
	return true;
}

static void release(struct own_env *env)
{
	int saved_errno = errno;

	munmap(env->memory, env->size);
	errno = saved_errno;
}

/* Runs exec with envp carrying the list, where the new image will read it; returns only if exec
 * failed, with its errno. A list too long for the kernel (E2BIG) is left out rather than fail the
 * exec: the new image then adopts every child it has. */
#define WITH_OWN_LIST(envp, call_with_env)                                                  \
	do {                                                                                \
		struct own_env own_env_;                                                    \
		int saved_errno_ = errno;                                                   \
		if (reap_active() && loads_shim(envp) && has_children() &&                  \
		    (errno = saved_errno_, build((envp), &own_env_))) {                     \
			char *const *env_ = own_env_.envp;                                  \
			int rc_ = (call_with_env);                                          \
			release(&own_env_);                                                 \
			if (rc_ < 0 && errno == E2BIG) {                                    \
				env_ = (envp);                                              \
				rc_ = (call_with_env);                                      \
			}                                                                   \
			return rc_;                                                         \
		}                                                                           \
		errno = saved_errno_;                                                       \
	} while (0)

FORK_CHILD_PATH REAP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
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

/* A long list comes in several REAP_OWN entries; unsetenv removes them all. */
bool exec_adopt_listed(void)
{
	bool listed = false;

	for (size_t i = 0; environ != NULL && environ[i] != NULL; i++) {
		if (is_own_entry(environ[i])) {
			registry_parse_list(environ[i] + sizeof(OWN_PREFIX) - 1, adopt_number, NULL);
			listed = true;
		}
	}
	if (!listed) {
		return false;
	}
	/* A listed child may have ended and been reaped in between. */
	registry_prune();
	unsetenv(EXEC_OWN_VARIABLE);
	return true;
}
