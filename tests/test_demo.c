/* The demo's own machinery, so that a broken `make demo` cannot land:
 *  - selftest: the driver counts exactly the zombies of a namespace it made (and none outside it),
 *    SIGKILLs a PID 1 that ignores SIGTERM after the stop timeout, reports 128+N, renders tables;
 *  - quick: `demo/reapdemo.py --quick` (wsgiref only) produces the CSV and Markdown; its bare
 *    column is the negative control (every request leaves a zombie, SIGTERM is dropped, 137),
 *    its reap.so column must pass (no zombie, every answer, stopped by SIGTERM with 143);
 *  - without root the entry point says what it needs and fails.
 * Each run is a child of this test with a hard deadline; nothing sleeps to synchronise. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

struct outcome {
	int code;             /* exit code, 128+N if killed, -1 on timeout */
	char out[65536];      /* stdout+stderr, truncated */
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The repository root: this binary is <root>/build/tests/test_demo. */
static const char *repo_root(void)
{
	static char root[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", root, sizeof root - 1);
	cr_assert(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	root[n] = '\0';
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(root, '/');
		cr_assert(slash != NULL);
		*slash = '\0';
	}
	return root;
}

/* Run argv with stdin from in_path (or /dev/null), output captured, killed after timeout_s. */
static void run_bounded(const char *const argv[], const char *in_path, double timeout_s,
			struct outcome *o)
{
	int fds[2];
	cr_assert(pipe2(fds, O_CLOEXEC) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0) {
			_exit(126);
		}
		setpgid(0, 0);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	double deadline = mono() + timeout_s;
	bool timed_out = false;
	for (;;) {
		double left = deadline - mono();
		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			continue;
		}
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n <= 0) {
			break;
		}
		size_t room = sizeof o->out - 1 - len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(o->out + len, buf, take);
		len += take;
	}
	o->out[len] = '\0';
	close(fds[0]);
	int status;
	/* The pipe closed (or we killed it): the child ends promptly; bound the reap anyway. */
	double reap_deadline = mono() + 10;
	pid_t w;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && mono() < reap_deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (w != pid) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		timed_out = true;
	}
	if (timed_out) {
		o->code = -1;
	} else if (WIFEXITED(status)) {
		o->code = WEXITSTATUS(status);
	} else {
		o->code = 128 + WTERMSIG(status);
	}
}

/* --- a minimal CSV reader for the demo's results file --- */

#define MAX_FIELDS 24
#define MAX_ROWS 16

struct table {
	int nrows;            /* data rows (header excluded) */
	int ncols;
	char header[MAX_FIELDS][256];
	char cell[MAX_ROWS][MAX_FIELDS][256];
};

/* Split one CSV line (RFC 4180 quoting, no embedded newlines) into fields. */
static int split_csv(const char *line, char out[][256], int max)
{
	int n = 0;
	const char *p = line;
	while (n < max) {
		size_t k = 0;
		if (*p == '"') {
			p++;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"') {
					p++;
				}
				if (k < 255) {
					out[n][k++] = *p;
				}
				p++;
			}
			if (*p == '"') {
				p++;
			}
		} else {
			while (*p && *p != ',' && *p != '\n' && *p != '\r') {
				if (k < 255) {
					out[n][k++] = *p;
				}
				p++;
			}
		}
		out[n++][k] = '\0';
		if (*p != ',') {
			break;
		}
		p++;
	}
	return n;
}

static void read_csv(const char *path, struct table *t)
{
	FILE *f = fopen(path, "r");
	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	char line[4096];
	memset(t, 0, sizeof *t);
	cr_assert(fgets(line, sizeof line, f) != NULL, "%s is empty", path);
	t->ncols = split_csv(line, t->header, MAX_FIELDS);
	while (t->nrows < MAX_ROWS && fgets(line, sizeof line, f) != NULL) {
		split_csv(line, t->cell[t->nrows], MAX_FIELDS);
		t->nrows++;
	}
	fclose(f);
}

static const char *field(const struct table *t, int row, const char *name)
{
	for (int i = 0; i < t->ncols; i++) {
		if (strcmp(t->header[i], name) == 0) {
			return t->cell[row][i];
		}
	}
	cr_assert_fail("no column %s in the CSV", name);
	return NULL;
}

static int find_row(const struct table *t, const char *server, const char *column)
{
	for (int r = 0; r < t->nrows; r++) {
		if (strcmp(field(t, r, "server"), server) == 0 &&
		    strcmp(field(t, r, "column"), column) == 0) {
			return r;
		}
	}
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void remove_tree(const char *dir)
{
	const char *argv[] = { "/bin/rm", "-rf", dir, NULL };
	struct outcome *o = malloc(sizeof *o);
	run_bounded(argv, NULL, 30, o);
	free(o);
}

Test(demo, selftest, .timeout = 60)
{
	char script[PATH_MAX];
	snprintf(script, sizeof script, "%s/demo/reapdemo.py", repo_root());
	const char *argv[] = { PY, script, "selftest", NULL };
	struct outcome *o = malloc(sizeof *o);
	run_bounded(argv, NULL, 50, o);
	cr_expect_eq(o->code, 0, "selftest exit %d:\n%s", o->code, o->out);
	cr_expect(strstr(o->out, " 0 failed") != NULL, "selftest output:\n%s", o->out);
	free(o);
}

Test(demo, quick_run_bare_fails_and_reap_passes, .timeout = 90)
{
	const char *root = repo_root();
	char script[PATH_MAX], shim[PATH_MAX], dir[] = "/tmp/reap-test-demo-XXXXXX";
	snprintf(script, sizeof script, "%s/demo/reapdemo.py", root);
	snprintf(shim, sizeof shim, "%s/build/reap.so", root);
	cr_assert(access(shim, R_OK) == 0, "%s missing: run make", shim);
	cr_assert(mkdtemp(dir) != NULL);
	const char *argv[] = { PY, script, "--quick", "--no-install", "--shim", shim,
			       "--out", dir, NULL };
	struct outcome *o = malloc(sizeof *o);
	double t0 = mono();
	run_bounded(argv, NULL, 80, o);
	double took = mono() - t0;
	cr_assert_eq(o->code, 0, "demo --quick exit %d:\n%s", o->code, o->out);
	cr_expect_lt(took, 30.0, "the quick demo took %.1f s", took);

	char path[PATH_MAX + 64];
	struct table *t = malloc(sizeof *t);
	snprintf(path, sizeof path, "%s/unshare-quick.csv", dir);
	read_csv(path, t);

	/* Negative control: bare wsgiref as PID 1 keeps every orphan as a zombie and drops SIGTERM. */
	int bare = find_row(t, "wsgiref", "bare");
	cr_assert_geq(bare, 0, "no bare row:\n%s", o->out);
	const char *n = field(t, bare, "requests");
	cr_expect_str_eq(field(t, bare, "answered"), n, "%s", o->out);
	cr_expect_str_eq(field(t, bare, "zombies"), n, "bare wsgiref: one zombie per request\n%s",
			 o->out);
	cr_expect_str_eq(field(t, bare, "pass"), "FAIL");
	cr_expect_str_eq(field(t, bare, "stopped_by_sigterm"), "no");
	cr_expect_str_eq(field(t, bare, "exit_code"), "137");

	/* The shim, preloaded and nothing else: no zombie, every answer, prompt stop with 143. */
	int reap = find_row(t, "wsgiref", "reap");
	cr_assert_geq(reap, 0, "no reap.so row:\n%s", o->out);
	cr_expect_str_eq(field(t, reap, "error"), "", "%s", o->out);
	cr_expect_str_eq(field(t, reap, "answered"), n, "%s", o->out);
	cr_expect_str_eq(field(t, reap, "zombies"), "0", "reap.so left zombies\n%s", o->out);
	cr_expect_str_eq(field(t, reap, "pass"), "PASS");
	cr_expect_str_eq(field(t, reap, "stopped_by_sigterm"), "yes", "%s", o->out);
	cr_expect_str_eq(field(t, reap, "exit_code"), "143", "%s", o->out);
	cr_expect_lt(atof(field(t, reap, "stop_s")), 2.0, "reap.so took %s s to stop",
		     field(t, reap, "stop_s"));

	/* The wrapper columns that ran (installed ones only) are the reference: they pass. */
	const char *wrappers[] = { "tini", "dumb-init", "catatonit" };
	for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++) {
		int r = find_row(t, "wsgiref", wrappers[i]);
		if (r < 0) {
			cr_expect(strstr(o->out, "column skipped") != NULL,
				  "%s neither ran nor was reported skipped", wrappers[i]);
			continue;
		}
		cr_expect_str_eq(field(t, r, "pass"), "PASS", "%s: %s", wrappers[i], o->out);
		cr_expect_str_eq(field(t, r, "exit_code"), "143", "%s", wrappers[i]);
	}

	/* The Markdown has the tables and the verdict; the terminal got them too. */
	snprintf(path, sizeof path, "%s/unshare-quick.md", dir);
	const char *md = slurp(path);
	cr_expect(strstr(md, "| server | seed | bare | reap.so") != NULL, "markdown:\n%s", md);
	cr_expect(strstr(md, "**Verdict.**") != NULL, "markdown:\n%s", md);
	cr_expect(strstr(o->out, "Verdict: ") != NULL, "%s", o->out);
	cr_expect(strstr(o->out, "] wsgiref") != NULL, "no progress lines:\n%s", o->out);

	free(t);
	free(o);
	remove_tree(dir);
}

Test(demo, refuses_without_root_and_says_why, .timeout = 30)
{
	char script[PATH_MAX];
	snprintf(script, sizeof script, "%s/demo/run.sh", repo_root());
	/* The script comes in on stdin: the checkout may not be readable by nobody. */
	const char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
			       "--clear-groups", "/bin/sh", "-s", NULL };
	struct outcome *o = malloc(sizeof *o);
	run_bounded(argv, script, 20, o);
	cr_expect_eq(o->code, 2, "exit %d:\n%s", o->code, o->out);
	cr_expect(strstr(o->out, "needs root") != NULL, "%s", o->out);
	cr_expect(strstr(o->out, "CAP_SYS_ADMIN") != NULL, "%s", o->out);
	free(o);
}
