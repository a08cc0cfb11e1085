/* Reaping (issue 2, properties 4 and 8): the seed's experiment and its negative controls, reaping
 * driven by SIGCHLD while the program waits for nothing, and programs that block SIGCHLD.
 * Run one: build/tests/test_core_reaping --filter 'reaping/seed' */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "modes.h"

TestSuite(reaping, .timeout = 900);

/* ---- the seed: per request a child forks a grandchild and exits --------------------------------- */

#define REQUESTS 6 /* "half a dozen requests" */

/* GET path from the seed server; returns the body (static buffer). */
static const char *http_get(int port, const char *path)
{
	static char buf[1024];
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s >= 0, "socket");
	struct timeval tv = { 10, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert(connect(s, (struct sockaddr *)&addr, sizeof addr) == 0, "connect to 127.0.0.1:%d", port);
	char req[128];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
	cr_assert(write(s, req, (size_t)n) == n, "send request");
	size_t len = 0;
	ssize_t got;
	while (len < sizeof buf - 1 && (got = read(s, buf + len, sizeof buf - 1 - len)) > 0) {
		len += (size_t)got;
	}
	buf[len] = '\0';
	close(s);
	char *body = strstr(buf, "\r\n\r\n");
	cr_assert(body != NULL, "no answer from the seed server for %s: '%s'", path, buf);
	return body + 4;
}

/* One request; returns the orphan's pid (as PID 1 sees it). */
static int request(int port, const char *path)
{
	const char *body = http_get(port, path);
	int orphan = 0;
	cr_assert(sscanf(body, "Hello World! orphan=%d", &orphan) == 1 && orphan > 0,
	          "unexpected answer to %s: '%s'", path, body);
	return orphan;
}

static int start_seed(enum mode mode, const char *const env[], struct proc *p)
{
	scn_start(mode, "core_seed", NONE, false, env, p);
	const char *ready = proc_wait_line(p, "READY port=", 10);
	cr_assert(ready != NULL, "the seed server did not get ready; output:\n%s", p->out);
	return atoi(ready + strlen("READY port="));
}

/* Poll (bounded) the children of PID 1, seen from outside, until they are `zombies` zombies and
 * `live` others; returns whether they got there. */
static bool children_become(pid_t init, int zombies, int live, double seconds, int *z, int *l)
{
	double end = now_s() + seconds;
	for (;;) {
		host_children(init, z, l);
		if ((*z == zombies && *l == live) || now_s() > end) {
			return *z == zombies && *l == live;
		}
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

static void finish_seed(struct proc *p, int port, struct run_result *r)
{
	const char *bye = http_get(port, "/quit");
	cr_assert(strcmp(bye, "bye\n") == 0, "unexpected answer to /quit: '%s'", bye);
	proc_finish(p, r);
}

Test(reaping, seed)
{
	struct proc p;
	int port = start_seed(ACTIVE, NONE, &p);
	for (int i = 0; i < REQUESTS; i++) {
		request(port, "/");
	}
	int z, l;
	bool clean = children_become(p.init_pid, 0, 0, 5, &z, &l);
	int threads = host_threads(p.init_pid);
	struct run_result r;
	finish_seed(&p, port, &r);
	cr_assert(clean, "after %d requests, PID 1 with the shim has %d zombie and %d other children, expected none;"
	          " output:\n%s", REQUESTS, z, l, r.out);
	cr_assert(threads == 1, "PID 1 with the shim runs %d threads, expected 1 (no reaper thread)", threads);
	assert_passed("the seed server with the shim", &r);
	run_result_free(&r);
}

static void seed_problem(enum mode mode)
{
	struct proc p;
	int port = start_seed(mode, NONE, &p);
	for (int i = 0; i < REQUESTS; i++) {
		request(port, "/");
	}
	int z, l;
	bool zombies = children_become(p.init_pid, REQUESTS, 0, 5, &z, &l);
	struct run_result r;
	finish_seed(&p, port, &r);
	cr_assert(zombies, "the negative control must leave %d zombies, got %d zombie and %d other children; "
	          "output:\n%s", REQUESTS, z, l, r.out);
	cr_assert(r.exit_code != 0 && strstr(r.out, "FAIL [finish] zombies left") != NULL,
	          "the server itself must see the zombies at its end; exit %d, output:\n%s", r.exit_code, r.out);
	run_result_free(&r);
}

Test(reaping, seed_without_shim) { seed_problem(PLAIN1); }
Test(reaping, seed_reap_mode_off) { seed_problem(OFF1); }

/* REAP_VERBOSE=1: one line per foreign orphan reaped, with its pid, command name and end */
Test(reaping, seed_verbose)
{
	struct proc p;
	int port = start_seed(ACTIVE, ENV("REAP_VERBOSE=1"), &p);
	const char *paths[] = { "/", "/exit/7", "/kill" };
	const char *ends[] = { "exited 0", "exited 7", "killed by signal 9" };
	char expect[3][128];
	for (int i = 0; i < 3; i++) {
		snprintf(expect[i], sizeof expect[i], "reap: reaped orphan %d (core_seed): %s", request(port, paths[i]),
		         ends[i]);
	}
	for (int i = 0; i < 3; i++) {
		proc_wait_line(&p, "reap: reaped orphan", 5);
	}
	struct run_result r;
	finish_seed(&p, port, &r);
	for (int i = 0; i < 3; i++) {
		const char *at = strstr(r.out, expect[i]);
		cr_assert(at != NULL && at[strlen(expect[i])] == '\n', "expected the line '%s'; output:\n%s", expect[i],
		          r.out);
	}
	cr_assert(count_lines(&r, "reap: reaped orphan") == 3, "expected 3 reap lines (no own child); output:\n%s",
	          r.out);
	assert_passed("the seed server with REAP_VERBOSE=1", &r);
	run_result_free(&r);
}

/* ---- reaping while the program waits for nothing ------------------------------------------- */

/* foreign orphans gone while the program sits in read(), no thread of the shim, no EINTR; the same
 * in poll(), select() and epoll_wait(), which the kernel never restarts after a handler ran */
Test(reaping, idle) { expect_like_libc("core_idle", NONE); }
Test(reaping, idle_poll) { expect_like_libc("core_idle", ARGS("poll")); }
Test(reaping, idle_select) { expect_like_libc("core_idle", ARGS("select")); }
Test(reaping, idle_epoll) { expect_like_libc("core_idle", ARGS("epoll")); }
Test(reaping, idle_without_shim) { expect_problem("core_idle", NONE, "while the program made no wait call"); }

/* SIGCHLD blocked, news through signalfd or sigtimedwait: the wait calls sweep */
Test(reaping, blocked_signalfd) { expect_like_libc("core_blocked", ARGS("signalfd")); }
Test(reaping, blocked_sigwaitinfo) { expect_like_libc("core_blocked", ARGS("sigwaitinfo")); }
Test(reaping, blocked_without_shim) { expect_problem("core_blocked", ARGS("signalfd"), "zombies left"); }
