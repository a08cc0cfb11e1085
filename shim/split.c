/* split.c: owns split mode. The constructor of the process the shim would act in forks before
 * main (and before the shim installs anything): the child runs the program, with the shim inert
 * since it is no longer PID 1, and the parent becomes a minimal init that never returns to the
 * program's code:
 *   - it reaps every child that ends (the orphans of the namespace come to it, not to the program);
 *   - it relays to the program the signals sent to it, as tini does;
 *   - when the program has ended, it gives the rest of the namespace SIGTERM and the grace period
 *     (terminate_drain) and exits with the program's status, 128+N for a death by signal N, after
 *     REAP_EXIT_ZERO.
 * It runs with every signal blocked and takes them with sigwaitinfo: no handler, no thread. It keeps
 * only file descriptors 0, 1 and 2, and leaves with libc's _exit: no atexit handler, destructor or
 * stdio flush of its copy of the program's state ever runs.
 *
 * Outside PID 1 (REAP_MODE=split, or a Go program with REAP_MODE=subreaper) the init is a child
 * subreaper, like tini -s, and ends with the program without signalling anybody: kill(-1) there
 * would reach every process of the user. */
#include "split.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "real.h"
#include "reaper.h"
#include "symbols.h"
#include "terminate.h"

#define INIT_NAME "reap-init"
/* Children reaped in one go before the signals waiting behind them get their turn. */
#define REAP_BATCH 4096

/* Go's runtime/cgo exports these to the dynamic symbol table of every cgo program (internally or
 * externally linked, stripped or not, PIE or not); nothing else defines them. */
static const char *const go_symbols[] = { "crosscall2", "_cgo_topofstack", "_cgo_panic" };

struct init {
	pid_t self;
	pid_t program;
	bool program_ended;
	int program_status;
};

const char *split_go_symbol(void)
{
	for (size_t i = 0; i < sizeof(go_symbols) / sizeof(go_symbols[0]); i++) {
		if (symbols_defined(go_symbols[i])) {
			return go_symbols[i];
		}
	}
	return NULL;
}

/* Threads of this process, from /proc/self/status; 1 when it cannot be read. */
static long thread_count(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	const char *line;

	if (fd < 0) {
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	line = strstr(buf, "\nThreads:");
	return line != NULL ? strtol(line + strlen("\nThreads:"), NULL, 10) : 1;
}

/* ---- the program's side ----------------------------------------------------------------------- */

/* Its own process group, which takes over the terminal when the init's group had it (as tini does):
 * a terminal's Ctrl-C then reaches the program once, from the kernel, and a signal the program sends
 * to its group does not come back through the init. Then the signal state it started with, once the
 * init is in place (it closes its end of `ready`): from main on, ps shows the init by its name. */
static void become_program(bool foreground, const struct sigaction *sigchld, const sigset_t *mask, int ready[2])
{
	char byte;

	setpgid(0, 0);
	if (foreground) {
		tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is still blocked */
	}
	if (ready[0] >= 0) {
		close(ready[1]);
		while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {
		}
		close(ready[0]);
	}
	LIBC(sigaction)(SIGCHLD, sigchld, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* ---- the init's side -------------------------------------------------------------------------- */

/* Its own name for ps: the command name, and the memory of the argument list (/proc/PID/cmdline). */
static void name_for_ps(char **argv)
{
	char *end;
	size_t room;

	prctl(PR_SET_NAME, INIT_NAME);
	if (argv == NULL || argv[0] == NULL) {
		return;
	}
	end = argv[0];
	for (size_t i = 0; argv[i] == end; i++) {
		end += strlen(argv[i]) + 1;
	}
	room = (size_t)(end - argv[0]);
	memset(argv[0], 0, room);
	memcpy(argv[0], INIT_NAME, room - 1 < sizeof(INIT_NAME) - 1 ? room - 1 : sizeof(INIT_NAME) - 1);
}

/* Keep no file of the program open: a reader waiting for the end of a pipe would wait for the init. */
static void close_inherited_files(void)
{
	DIR *dir;
	struct dirent *entry;

#ifdef SYS_close_range
	if (LIBC(syscall)(SYS_close_range, 3, ~0U, 0) == 0) {
		return;
	}
#endif
	dir = opendir("/proc/self/fd");
	if (dir == NULL) {
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		int fd = atoi(entry->d_name);

		if (fd > STDERR_FILENO && fd != dirfd(dir)) {
			close(fd);
		}
	}
	closedir(dir);
}

/* Reaps the children that have ended, keeping the program's status. Returns whether it stopped at
 * the batch bound with more possibly left. */
static bool reap_ended(struct init *init)
{
	for (int n = 0; n < REAP_BATCH; n++) {
		siginfo_t info;

		memset(&info, 0, sizeof(info));
		if (LIBC(waitid)(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
			return false;
		}
		if (info.si_pid == init->program) {
			LIBC(wait4)(init->program, &init->program_status, WNOHANG, NULL);
			init->program_ended = true;
		} else if (!reaper_collect_unkept(info.si_pid)) {
			return false;
		}
	}
	return true;
}

static bool relayed(int sig)
{
	switch (sig) {
	case SIGCHLD: /* reaped, not passed on */
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP: case SIGSYS: case SIGABRT:
	case SIGTSTP: case SIGTTIN: case SIGTTOU: /* an init does not stop, nor stops its program */
		return false;
	default:
		return true;
	}
}

static void relay(const struct init *init, const siginfo_t *info)
{
	int sig = info->si_signo;
	struct log_line line;

	if (!relayed(sig)) {
		return;
	}
	/* The init's own doing (SIGPIPE on a closed stderr, ...) is not a request to the program. */
	if (info->si_code == SI_USER && info->si_pid == init->self) {
		return;
	}
	/* A terminal sent it to its foreground group: if the program is still in the init's group, the
	 * kernel gave it to the program as well. */
	if (info->si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH) &&
	    getpgid(init->program) == getpgrp()) {
		return;
	}
	kill(init->program, sig);
	if (config.verbose >= 1) {
		log_begin(&line);
		log_str(&line, "passed signal ");
		log_int(&line, sig);
		log_str(&line, " on to the program (pid ");
		log_int(&line, init->program);
		log_str(&line, ")");
		log_end(&line);
	}
}

static void __attribute__((noreturn)) finish(const struct init *init)
{
	int status = init->program_status;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	struct log_line line;

	if (config.verbose >= 1) {
		log_begin(&line);
		log_str(&line, WIFEXITED(status) ? "the program exited " : "the program was killed by signal ");
		log_int(&line, WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		log_str(&line, "; exit status ");
		log_int(&line, config_maps_to_zero(code) ? 0 : code);
		log_end(&line);
	}
	if (init->self == 1) {
		terminate_drain(SIGTERM);
	}
	LIBC(_exit)(config_maps_to_zero(code) ? 0 : code);
}

static void __attribute__((noreturn)) run_init(struct init *init, char **argv, int ready_write)
{
	static const struct timespec at_once = { 0, 0 };
	sigset_t all;
	bool more;

	name_for_ps(argv);
	close_inherited_files();
	close(ready_write); /* the program waits for this (already done above, where /proc or close_range works) */
	sigfillset(&all);
	more = reap_ended(init);
	for (;;) {
		siginfo_t info;

		if (init->program_ended) {
			finish(init);
		}
		memset(&info, 0, sizeof(info));
		if (LIBC(sigtimedwait)(&all, &info, more ? &at_once : NULL) > 0) {
			relay(init, &info);
		}
		more = reap_ended(init);
	}
}

bool split_start(pid_t self, char **argv)
{
	struct init init = { .self = self };
	struct sigaction dfl, sigchld;
	sigset_t all, mask;
	bool foreground = tcgetpgrp(STDIN_FILENO) == getpgrp();
	int ready[2] = { -1, -1 };

	/* A fork takes only this thread along: one that a library's constructor started would be lost. */
	if (thread_count() > 1) {
		log_verbose2("a thread runs before main (started by a library's constructor): ",
			     "no split mode, which would leave it behind");
		return false;
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &mask);
	/* The program's end must leave a status to collect, whatever SIGCHLD action was inherited. */
	LIBC(sigaction)(SIGCHLD, &dfl, &sigchld);
	if (self != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		log_verbose2("cannot become a child subreaper: orphans go past the init", "");
	}
	if (LIBC(pipe2)(ready, O_CLOEXEC) != 0) {
		ready[0] = ready[1] = -1;
	}
	init.program = LIBC(fork)();
	if (init.program == 0) {
		become_program(foreground, &sigchld, &mask, ready);
		return true;
	}
	if (init.program < 0) {
		log_verbose2("cannot fork for split mode: ", strerror(errno));
		if (ready[0] >= 0) {
			close(ready[0]);
			close(ready[1]);
		}
		if (self != 1) {
			prctl(PR_SET_CHILD_SUBREAPER, 0);
		}
		LIBC(sigaction)(SIGCHLD, &sigchld, NULL);
		sigprocmask(SIG_SETMASK, &mask, NULL);
		return false;
	}
	run_init(&init, argv, ready[1]);
}
