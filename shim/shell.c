/* shell.c: owns system, popen (and glibc's alias _IO_popen), pclose, fclose (and _IO_fclose) of a
 * popen stream, and wordexp in an active process.
 *
 * glibc's and musl's versions create their children with internal calls the shim cannot interpose
 * and wait for them the same way (musl's pclose with a raw system call), so a child of theirs
 * would look foreign and be reaped behind their back (system() and pclose() would then fail with
 * ECHILD). system and popen are therefore done here, with the contract of the libc the shim is
 * built for (glibc 2.36's or musl 1.2's: same argv, signal handling and error codes) and children
 * the registry knows; wordexp stays libc's, inside an "opaque window" during which no unknown
 * child is reaped. An inert process uses libc's own functions throughout, apart from closing a
 * stream an active image opened.
 *
 * The shim's streams are plain fdopen streams (fileno() works on them), so fclose is wrapped too:
 * glibc's fclose of a popen stream is its pclose, musl's only closes it; either way the shim
 * forgets the stream. While any of them is open fclose looks the stream up, and costs one atomic
 * load otherwise. glibc's fcloseall and exit only flush popen streams, and its freopen crashes on
 * one; neither needs the shim. */
#include "shell.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "active.h"
#include "exports.h"
#include "lock.h"
#include "real.h"
#include "registry.h"
#include "sigchld.h"
#include "signals.h"
#include "spawn.h"

#define SHELL_PATH "/bin/sh"

/* What system() returns when the shell cannot be started (errno says why): glibc reports the status
 * of a shell that could not run the command, musl -1. */
#if defined(__GLIBC__)
#define SHELL_FAILED_STATUS (127 << 8)
#else
#define SHELL_FAILED_STATUS (-1)
#endif

extern char **environ;

/* --- system -------------------------------------------------------------------------------- */

/* SIGINT and SIGQUIT stay ignored while any thread is inside system(). */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_callers;
static struct sigaction saved_int, saved_quit;

static void ignore_interrupts(void)
{
	struct sigaction ignore;

	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	pthread_mutex_lock(&system_lock);
	if (system_callers++ == 0) {
		signals_action(SIGINT, &ignore, &saved_int);
		signals_action(SIGQUIT, &ignore, &saved_quit);
	}
	pthread_mutex_unlock(&system_lock);
}

static void restore_interrupts(void)
{
	pthread_mutex_lock(&system_lock);
	if (--system_callers == 0) {
		signals_action(SIGINT, &saved_int, NULL);
		signals_action(SIGQUIT, &saved_quit, NULL);
	}
	pthread_mutex_unlock(&system_lock);
}

/* *mark: a mark taken once the shell is recorded, which a child that gets its pid after it is
 * reaped is recorded after (registry_forget). */
static pid_t spawn_shell(const char *command, const posix_spawn_file_actions_t *actions,
			 const posix_spawnattr_t *attr, int *rc, unsigned *mark)
{
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	pid_t pid = 0;

	registry_birth_begin();
	*rc = LIBC(posix_spawn)(&pid, SHELL_PATH, actions, attr, argv, environ);
	spawn_birth_end(*rc == 0 ? pid : 0);
	*mark = registry_mark();
	return *rc == 0 ? pid : -1;
}

/* What system and pclose return for the shell they collected with status: under SA_NOCLDWAIT,
 * which the shim emulates (sigchld.h), libc's wait finds the shell reaped already and fails. The
 * program's handler still hears of the status (sigchld_collected). */
static int status_returned(int status)
{
	if (status != -1 && sigchld_emulates_nocldwait()) {
		errno = ECHILD;
		return -1;
	}
	return status;
}

/* Made again after EINTR, as glibc does; an EINTR that only the shim caused leaves no errno. */
static pid_t wait_for(pid_t pid, int *status)
{
	int saved_errno = errno;

	for (;;) {
		unsigned runs = signals_handler_runs();
		pid_t r = LIBC(wait4)(pid, status, 0, NULL);

		if (r >= 0 || errno != EINTR) {
			return r;
		}
		if (signals_eintr_is_shims(runs)) {
			errno = saved_errno;
		}
	}
}

struct system_call {
	pid_t pid;
	unsigned mark;
	sigset_t mask;
	int status;
};

#if defined(__GLIBC__)
/* Before glibc 2.34, pthread_cleanup_push's functions are libpthread's, which a program without
 * threads does not load, and the library does not load it (glibc-floor.h): then they are NULL,
 * and there is no other thread to cancel this one. */
static bool cancellation_possible(void)
{
	return __pthread_register_cancel != NULL;
}
#else
static bool cancellation_possible(void)
{
	return true;
}
#endif

/* work(arg), with cleanup(arg) run if the calling thread is cancelled inside it. */
static void cancellable(void (*work)(void *), void (*cleanup)(void *), void *arg)
{
	if (!cancellation_possible()) {
		work(arg);
		return;
	}
	pthread_cleanup_push(cleanup, arg);
	work(arg);
	pthread_cleanup_pop(0);
}

static void wait_system(void *arg)
{
	struct system_call *call = arg;

	if (wait_for(call->pid, &call->status) != call->pid) {
		call->status = -1;
	}
}

/* Cancellation of the waiting thread: the child must not outlive the call. */
static void cancel_system(void *arg)
{
	struct system_call *call = arg;
	int status;

	kill(call->pid, SIGKILL);
	wait_for(call->pid, &status);
	restore_interrupts();
	sigprocmask(SIG_SETMASK, &call->mask, NULL);
	sigchld_collected(call->pid, -1, &call->mask, call->mark);
}

static int run_system(const char *command)
{
	struct system_call call;
	posix_spawnattr_t attr;
	sigset_t waiting, defaults;
	int status = 0, rc;

	/* Every signal is blocked while the dispositions change and the shell is recorded, so that the
	 * locks taken on the way need no change of the mask; the wait has only SIGCHLD blocked, as in
	 * libc's system. */
	hold_signals(&call.mask);
	ignore_interrupts();
	sigemptyset(&defaults);
	if (saved_int.sa_handler != SIG_IGN) {
		sigaddset(&defaults, SIGINT);
	}
	if (saved_quit.sa_handler != SIG_IGN) {
		sigaddset(&defaults, SIGQUIT);
	}
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setsigmask(&attr, &call.mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	call.pid = spawn_shell(command, NULL, &attr, &rc, &call.mark);
	posix_spawnattr_destroy(&attr);
	waiting = call.mask;
	sigaddset(&waiting, SIGCHLD);
	release_signals(&waiting);

	if (rc == 0) {
		cancellable(wait_system, cancel_system, &call);
		status = call.status;
	} else {
		status = SHELL_FAILED_STATUS;
	}
	hold_signals(NULL);
	restore_interrupts();
	/* The SIGCHLD held back during the call arrives here (unless the caller blocks it too), and
	 * the program's handler must still hear of the shell, as it does with glibc: the pid is
	 * forgotten only after that. */
	release_signals(&call.mask);
	if (rc != 0) {
		errno = rc;
		return status;
	}
	sigchld_collected(call.pid, status, &call.mask, call.mark);
	return status_returned(status);
}

REAP_EXPORT int system(const char *command)
{
	if (!reap_active()) {
		return LIBC(system)(command);
	}
	if (command == NULL) {
#if defined(__GLIBC__)
		return run_system("exit 0") == 0; /* whether a shell runs */
#else
		return 1; /* musl takes it for granted */
#endif
	}
	return run_system(command);
}

/* --- popen and pclose ------------------------------------------------------------------------ */

struct pipe_stream {
	FILE *file;
	pid_t pid;
	unsigned mark;
	struct pipe_stream *next;
};

static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pipe_stream *streams;
static int streams_open; /* read without the lock: fclose's fast path */

#if defined(__GLIBC__)
/* glibc: 'r' or 'w', and 'e', in any order. */
static bool parse_mode(const char *mode, bool *reading, bool *cloexec)
{
	bool r = false, w = false;

	*cloexec = false;
	for (const char *p = mode; *p != '\0'; p++) {
		switch (*p) {
		case 'r':
			r = true;
			break;
		case 'w':
			w = true;
			break;
		case 'e':
			*cloexec = true;
			break;
		default:
			return false;
		}
	}
	*reading = r;
	return r != w;
}
#else
/* musl: the first letter is 'r' or 'w'; an 'e' anywhere after it. */
static bool parse_mode(const char *mode, bool *reading, bool *cloexec)
{
	*reading = mode[0] == 'r';
	*cloexec = mode[0] != '\0' && strchr(mode + 1, 'e') != NULL;
	return mode[0] == 'r' || mode[0] == 'w';
}
#endif

/* POSIX: streams from earlier popen calls still open in the parent are closed in the new child. */
static void close_other_streams(posix_spawn_file_actions_t *actions, int keep)
{
	for (struct pipe_stream *s = streams; s != NULL; s = s->next) {
		int fd = fileno(s->file);
		if (fd >= 0 && fd != keep) {
			posix_spawn_file_actions_addclose(actions, fd);
		}
	}
}

static FILE *open_stream(const char *command, bool reading, bool cloexec)
{
	posix_spawn_file_actions_t actions;
	struct pipe_stream *stream;
	int fds[2], rc;
	int target = reading ? STDOUT_FILENO : STDIN_FILENO;

	stream = malloc(sizeof(*stream));
	if (stream == NULL) {
		return NULL;
	}
	if (LIBC(pipe2)(fds, O_CLOEXEC) != 0) {
		free(stream);
		return NULL;
	}
	int ours = reading ? fds[0] : fds[1];
	int theirs = reading ? fds[1] : fds[0];

	posix_spawn_file_actions_init(&actions);
	/* dup2 onto the same descriptor also clears its close-on-exec flag. */
	posix_spawn_file_actions_adddup2(&actions, theirs, target);
	pthread_mutex_lock(&streams_lock);
	close_other_streams(&actions, target);
	stream->pid = spawn_shell(command, &actions, NULL, &rc, &stream->mark);
	posix_spawn_file_actions_destroy(&actions);
	close(theirs);
	if (rc == 0 && (cloexec || fcntl(ours, F_SETFD, 0) == 0)) {
		stream->file = fdopen(ours, reading ? "r" : "w");
	} else {
		stream->file = NULL;
	}
	if (stream->file != NULL) {
		stream->next = streams;
		streams = stream;
		__atomic_add_fetch(&streams_open, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&streams_lock);
	if (stream->file == NULL) {
		int saved_errno = rc != 0 ? rc : errno;
		int status;

		close(ours);
		if (rc == 0) {
			wait_for(stream->pid, &status);
			sigchld_collected(stream->pid, -1, NULL, stream->mark);
		}
		free(stream);
		errno = saved_errno;
		return NULL;
	}
	return stream->file;
}

static FILE *open_pipe(const char *command, const char *mode)
{
	bool reading, cloexec;

	if (!reap_active()) {
		return LIBC(popen)(command, mode);
	}
	if (!parse_mode(mode, &reading, &cloexec)) {
		errno = EINVAL;
		return NULL;
	}
	return open_stream(command, reading, cloexec);
}

REAP_EXPORT FILE *popen(const char *command, const char *mode)
{
	return open_pipe(command, mode);
}

#if defined(__GLIBC__)
REAP_EXPORT FILE *_IO_popen(const char *command, const char *mode)
{
	return open_pipe(command, mode);
}
#endif

/* Unlinks the shim's stream of file; NULL if file is not one. */
static struct pipe_stream *take_stream(FILE *file)
{
	struct pipe_stream **link, *stream = NULL;

	if (__atomic_load_n(&streams_open, __ATOMIC_ACQUIRE) == 0) {
		return NULL;
	}
	pthread_mutex_lock(&streams_lock);
	for (link = &streams; *link != NULL; link = &(*link)->next) {
		if ((*link)->file == file) {
			stream = *link;
			*link = stream->next;
			__atomic_sub_fetch(&streams_open, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&streams_lock);
	return stream;
}

/* pclose: the stream closed, then the child's wait status (-1 if the wait failed); glibc's also
 * reports a failed flush when the child exited 0, musl's does not. Not a cancellation point while
 * it waits. */
static int close_stream(struct pipe_stream *stream)
{
	int flushed = LIBC(fclose)(stream->file);
	int status, state;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	if (wait_for(stream->pid, &status) < 0) {
		status = -1;
	}
	pthread_setcancelstate(state, NULL);
	sigchld_collected(stream->pid, status, NULL, stream->mark);
	free(stream);
	status = status_returned(status);
#if defined(__GLIBC__)
	return status != 0 ? status : flushed;
#else
	(void)flushed;
	return status;
#endif
}

REAP_EXPORT int pclose(FILE *file)
{
	struct pipe_stream *stream = take_stream(file);

	/* A stream opened before the shim was active is glibc's own. */
	return stream != NULL ? close_stream(stream) : LIBC(pclose)(file);
}

#if defined(__GLIBC__)
/* glibc's fclose of a popen stream is its pclose. */
static int close_file(FILE *file)
{
	struct pipe_stream *stream = take_stream(file);

	return stream != NULL ? close_stream(stream) : LIBC(fclose)(file);
}

REAP_EXPORT int _IO_fclose(FILE *file)
{
	return close_file(file);
}
#else
/* musl's fclose of a popen stream only closes it: the child is left for the program's own wait. */
static int close_file(FILE *file)
{
	free(take_stream(file));
	return LIBC(fclose)(file);
}
#endif

REAP_EXPORT int fclose(FILE *file)
{
	return close_file(file);
}

/* --- wordexp ------------------------------------------------------------------------------- */

/* Also when the calling thread is cancelled inside wordexp: the window must not stay open. */
static void end_opaque_window(void *arg)
{
	(void)arg;
	if (registry_opaque_end()) {
		sigchld_resume();
	}
}

struct wordexp_call {
	const char *words;
	wordexp_t *result;
	int flags;
	int rc;
};

static void call_wordexp(void *arg)
{
	struct wordexp_call *call = arg;

	call->rc = LIBC(wordexp)(call->words, call->result, call->flags);
}

REAP_EXPORT int wordexp(const char *words, wordexp_t *result, int flags)
{
	struct wordexp_call call = { words, result, flags, 0 };

	if (!reap_active()) {
		return LIBC(wordexp)(words, result, flags);
	}
	registry_opaque_begin();
	cancellable(call_wordexp, end_opaque_window, &call);
	end_opaque_window(NULL);
	return call.rc;
}

/* Only a mutex that is not in its initial state is written: each page the child writes is a copy. */
static void unlock_in_child(pthread_mutex_t *mutex)
{
	static const pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;

	if (memcmp(mutex, &unlocked, sizeof(unlocked)) != 0) {
		memcpy(mutex, &unlocked, sizeof(unlocked));
	}
}

FORK_CHILD_PATH void shell_reset_in_child(void)
{
	unlock_in_child(&system_lock);
	unlock_in_child(&streams_lock);
}
