/* The test harness (see harness.h): starts a program as PID 1 of a fresh PID namespace through
 * `unshare --pid --fork --mount-proc`, or as a plain child, with build/reap.so preloaded into the
 * program only, and collects its output and status. Every wait is bounded by the run's deadline;
 * a run that overstays is killed with its whole process group and its namespace. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_TIMEOUT_S 30.0
/* After the program has exited, how long to wait for the last writers of its output to close it. */
#define DRAIN_S 2.0

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static void die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	abort();
}

/* The repository root: the test binary is ROOT/build/tests/test_x. */
static const char *root(void)
{
	static char dir[PATH_MAX];
	if (dir[0] != '\0') {
		return dir;
	}
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0) {
		die("readlink /proc/self/exe");
	}
	dir[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL) {
			errno = ENOENT;
			die("test binary is not under ROOT/build/tests");
		}
		*slash = '\0';
	}
	return dir;
}

/* ROOT/rel, in a small ring of buffers so that a few results can be used in one expression. */
static const char *root_path(const char *rel)
{
	static char ring[8][PATH_MAX];
	static unsigned next;
	char *buf = ring[next++ % 8];
	if (snprintf(buf, PATH_MAX, "%s/%s", root(), rel) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		die(rel);
	}
	return buf;
}

static const char *target_triple;          /* NULL: the native build */
static const char *const *target_runner;    /* NULL: programs run as they are */
static const char *target_shell;            /* NULL: the host's /bin/sh */

void harness_target(const char *triple, const char *const runner[], const char *shell)
{
	target_triple = triple;
	target_runner = runner;
	target_shell = shell;
}

const char *built(const char *rel)
{
	char path[PATH_MAX];
	int n = target_triple != NULL ? snprintf(path, sizeof path, "build/%s/%s", target_triple, rel)
	                              : snprintf(path, sizeof path, "build/%s", rel);
	if (n >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		die(rel);
	}
	return root_path(path);
}

const char *scenario(const char *name)
{
	char rel[PATH_MAX];
	if (snprintf(rel, sizeof rel, "scenarios/%s", name) >= (int)sizeof rel) {
		errno = ENAMETOOLONG;
		die(name);
	}
	return built(rel);
}

const char *shim_path(void)
{
	return built("reap.so");
}

/* --- the child side ------------------------------------------------------------------------- */

static bool is_ours(const char *entry)
{
	return strncmp(entry, "LD_PRELOAD=", 11) == 0 || strncmp(entry, "REAP_", 5) == 0;
}

/* The test's environment without anything that configures the shim: a run sees only what its
 * opts say. */
static char **base_env(void)
{
	size_t n = 0;
	while (environ[n] != NULL) {
		n++;
	}
	char **env = calloc(n + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_ours(environ[i])) {
			env[k++] = environ[i];
		}
	}
	env[k] = NULL;
	return env;
}

/* The assignments only the program gets: LD_PRELOAD and opts->env. */
static size_t program_env(const struct run_opts *opts, const char **out, size_t max)
{
	static char preload[PATH_MAX + 16];
	size_t k = 0;
	if (opts->preload && k < max) {
		snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_path());
		out[k++] = preload;
	}
	for (size_t i = 0; opts->env != NULL && opts->env[i] != NULL && k < max; i++) {
		out[k++] = opts->env[i];
	}
	return k;
}

/* A session of its own whose controlling terminal is the slave of the pseudo-terminal `slave`
 * names, on stdin. */
static bool take_terminal(const char *slave)
{
	if (setsid() < 0) {
		return false;
	}
	int fd = open(slave, O_RDWR);
	return fd >= 0 && ioctl(fd, TIOCSCTTY, 0) == 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO;
}

/* argv behind the target's runner, if it has one. */
static const char *const *with_runner(const char *const argv[])
{
	size_t n_runner = 0, argc = 0;
	while (target_runner != NULL && target_runner[n_runner] != NULL) {
		n_runner++;
	}
	if (n_runner == 0) {
		return argv;
	}
	while (argv[argc] != NULL) {
		argc++;
	}
	const char **full = calloc(n_runner + argc + 1, sizeof *full);
	memcpy(full, target_runner, n_runner * sizeof *full);
	memcpy(full + n_runner, argv, (argc + 1) * sizeof *full);
	return full;
}

/* Runs in the forked child: never returns. */
static void exec_run(const char *const argv[], const struct run_opts *opts, int out_fd, const char *slave)
{
	if (slave != NULL) {
		if (!take_terminal(slave)) {
			_exit(126);
		}
	} else {
		setpgid(0, 0);
	}
	/* Whatever the test worker did to its signals is not the program's business. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP) {
			signal(sig, SIG_DFL);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || (slave == NULL && dup2(null, STDIN_FILENO) < 0) || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0) {
		_exit(126);
	}
	close_range(3, ~0U, 0);

	char **env = base_env();
	const char *extra[64];
	size_t n_extra = program_env(opts, extra, 64);
	argv = with_runner(argv);
	size_t argc = 0;
	while (argv[argc] != NULL) {
		argc++;
	}

	if (!opts->pid1 && target_shell == NULL) {
		size_t n_env = 0;
		while (env[n_env] != NULL) {
			n_env++;
		}
		char **full = calloc(n_env + n_extra + 1, sizeof *full);
		memcpy(full, env, n_env * sizeof *full);
		memcpy(full + n_env, extra, n_extra * sizeof *full);
		execvpe(argv[0], (char *const *)argv, full);
		dprintf(STDERR_FILENO, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}

	/* unshare gets the test's environment; `env` hands the program its own assignments, so the
	 * preload never lands in unshare itself. If the test worker dies, unshare dies with it and
	 * takes the namespace along (--kill-child). Not as PID 1, unshare makes only a mount namespace
	 * and runs the program in its own place. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	const char **full = calloc(argc + n_extra + 16, sizeof *full);
	size_t k = 0;
	full[k++] = "unshare";
	if (opts->pid1) {
		full[k++] = "--pid";
		full[k++] = "--fork";
		full[k++] = "--mount-proc";
		full[k++] = "--kill-child";
	} else {
		full[k++] = "--mount";
	}
	full[k++] = "--";
	if (target_shell != NULL) {
		/* The run's own mount namespace (private: unshare's default) gets the target's shell. */
		full[k++] = "/bin/sh";
		full[k++] = "-c";
		full[k++] = "mount --bind \"$0\" /bin/sh && exec \"$@\"";
		full[k++] = target_shell;
	}
	full[k++] = "/usr/bin/env";
	full[k++] = "--";
	for (size_t i = 0; i < n_extra; i++) {
		full[k++] = extra[i];
	}
	for (size_t i = 0; i < argc; i++) {
		full[k++] = argv[i];
	}
	full[k] = NULL;
	execvpe(full[0], (char *const *)full, env);
	dprintf(STDERR_FILENO, "harness: exec unshare: %s\n", strerror(errno));
	_exit(127);
}

/* --- the test side -------------------------------------------------------------------------- */

/* The host pid of unshare's child (PID 1 of the namespace); 0 if it did not appear in time. */
static pid_t find_init(pid_t unshare_pid, double deadline)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)unshare_pid, (int)unshare_pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			return 0; /* unshare is gone already */
		}
		int child = 0;
		int got = fscanf(f, "%d", &child);
		fclose(f);
		if (got == 1 && child > 0) {
			return child;
		}
		if (now_s() > deadline) {
			return 0;
		}
		sleep_s(0.001);
	}
}

void proc_start(struct proc *p, const char *const argv[], const struct run_opts *opts)
{
	memset(p, 0, sizeof *p);
	double timeout = opts->timeout_s > 0 ? opts->timeout_s : DEFAULT_TIMEOUT_S;
	p->deadline = now_s() + timeout;
	p->out = calloc(1, 1);

	/* Our own waitpid must see the run: a worker that ignores SIGCHLD would lose it. */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		die("pipe2");
	}
	const char *slave = NULL;
	p->tty_fd = -1;
	if (opts->tty) {
		p->tty_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (p->tty_fd < 0 || grantpt(p->tty_fd) != 0 || unlockpt(p->tty_fd) != 0 ||
		    (slave = ptsname(p->tty_fd)) == NULL) {
			die("a pseudo-terminal");
		}
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		die("fork");
	}
	if (pid == 0) {
		exec_run(argv, opts, fds[1], slave);
	}
	if (!opts->tty) {
		setpgid(pid, pid); /* also done by the child; whichever runs first wins the race */
	} /* else the child's setsid makes the group, and would fail in a group made here first */
	close(fds[1]);
	p->pid = pid;
	p->out_fd = fds[0];
	p->init_pid = opts->pid1 ? find_init(pid, now_s() + (timeout < 10 ? timeout : 10)) : pid;
}

/* Read what is available within `wait_s`; returns false at end of output. */
static bool read_some(struct proc *p, double wait_s)
{
	if (p->out_fd < 0) {
		return false;
	}
	struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
	int ms = wait_s <= 0 ? 0 : (int)(wait_s * 1000) + 1;
	int r = poll(&pfd, 1, ms);
	if (r <= 0) {
		return true;
	}
	char buf[4096];
	ssize_t n = read(p->out_fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		return true;
	}
	if (n <= 0) {
		close(p->out_fd);
		p->out_fd = -1;
		return false;
	}
	p->out = realloc(p->out, p->out_len + (size_t)n + 1);
	memcpy(p->out + p->out_len, buf, (size_t)n);
	p->out_len += (size_t)n;
	p->out[p->out_len] = '\0';
	return true;
}

/* The first line at or after p->mark that starts with prefix; complete lines only, unless the
 * output has ended. */
static const char *find_line(struct proc *p, const char *prefix)
{
	size_t pos = p->mark;
	size_t plen = strlen(prefix);
	while (pos < p->out_len) {
		char *nl = memchr(p->out + pos, '\n', p->out_len - pos);
		if (nl == NULL && p->out_fd >= 0) {
			return NULL;
		}
		size_t end = nl != NULL ? (size_t)(nl - p->out) : p->out_len;
		if (end - pos >= plen && memcmp(p->out + pos, prefix, plen) == 0) {
			free(p->line);
			p->line = strndup(p->out + pos, end - pos);
			p->mark = nl != NULL ? end + 1 : end;
			return p->line;
		}
		pos = nl != NULL ? end + 1 : end;
	}
	return NULL;
}

const char *proc_wait_line(struct proc *p, const char *prefix, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	if (deadline > p->deadline) {
		deadline = p->deadline;
	}
	for (;;) {
		const char *line = find_line(p, prefix);
		if (line != NULL) {
			return line;
		}
		double left = deadline - now_s();
		if (left <= 0 || !read_some(p, left)) {
			return find_line(p, prefix);
		}
	}
}

void proc_signal(struct proc *p, int sig)
{
	if (p->init_pid > 0) {
		kill(p->init_pid, sig);
	}
}

static void kill_run(struct proc *p)
{
	kill(-p->pid, SIGKILL);
	if (p->init_pid > 0 && p->init_pid != p->pid) {
		kill(p->init_pid, SIGKILL); /* PID 1 gone: the kernel empties its namespace */
	}
}

void proc_finish(struct proc *p, struct run_result *r)
{
	memset(r, 0, sizeof *r);
	int status = 0;
	for (;;) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);
		if (w == p->pid || (w < 0 && errno != EINTR)) {
			break;
		}
		double left = p->deadline - now_s();
		if (left <= 0) {
			r->timed_out = true;
			kill_run(p);
			while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
			}
			break;
		}
		if (!read_some(p, left < 0.05 ? left : 0.05)) {
			/* output closed: only the exit is left to wait for */
			sleep_s(0.001);
		}
	}
	/* Whatever is left of a plain run's process group outlived the program: end it. */
	kill(-p->pid, SIGKILL);
	double drain_end = now_s() + DRAIN_S;
	while (p->out_fd >= 0 && now_s() < drain_end) {
		read_some(p, drain_end - now_s());
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	r->status = status;
	if (r->timed_out) {
		r->exit_code = -1;
	} else if (WIFEXITED(status)) {
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->exit_code = 128 + WTERMSIG(status);
	} else {
		r->exit_code = -1;
	}
	if (p->tty_fd >= 0) {
		close(p->tty_fd);
		p->tty_fd = -1;
	}
	r->out = p->out;
	p->out = NULL;
	p->out_len = 0;
	free(p->line);
	p->line = NULL;
}

void run(const char *const argv[], const struct run_opts *opts, struct run_result *r)
{
	struct proc p;
	proc_start(&p, argv, opts);
	proc_finish(&p, r);
}

void run_counted(const char *trace, const char *const program[], double timeout_s, char *summary,
                 struct run_result *r)
{
	char filter[256], preload[4200];
	const char *argv[32] = {"/usr/bin/strace", "-f", "-qq", "-c", "--seccomp-bpf", "-e", filter, "-o", summary,
	                        "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--",
	                        "/usr/bin/env", preload};
	size_t n = 17;
	int fd;

	if (access(argv[0], X_OK) != 0) {
		die("run_counted needs /usr/bin/strace (tests/install-deps.sh)");
	}
	strcpy(summary, "/tmp/reap-counted-XXXXXX");
	if ((fd = mkstemp(summary)) < 0) {
		die("mkstemp");
	}
	close(fd);
	snprintf(filter, sizeof(filter), "trace=%s", trace);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim_path());
	for (size_t i = 0; program[i] != NULL && n < 31; i++) {
		argv[n++] = program[i];
	}
	argv[n] = NULL;
	run(argv, &(struct run_opts){.timeout_s = timeout_s}, r);
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	r->out = NULL;
}
