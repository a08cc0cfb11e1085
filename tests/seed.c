/* The seed's experiment driven from a test; see seed.h. */
#include "seed.h"

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

const char *http_get(int port, const char *path)
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

int request(int port, const char *path)
{
	const char *body = http_get(port, path);
	int orphan = 0;
	cr_assert(sscanf(body, "Hello World! orphan=%d", &orphan) == 1 && orphan > 0,
	          "unexpected answer to %s: '%s'", path, body);
	return orphan;
}

int start_seed(enum mode mode, const char *const env[], struct proc *p)
{
	scn_start(mode, "core_seed", NONE, false, env, p);
	const char *ready = proc_wait_line(p, "READY port=", 10);
	cr_assert(ready != NULL, "the seed server did not get ready; output:\n%s", p->out);
	return atoi(ready + strlen("READY port="));
}

bool children_become(pid_t init, int zombies, int live, double seconds, int *z, int *l)
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

void finish_seed(struct proc *p, int port, struct run_result *r)
{
	const char *bye = http_get(port, "/quit");
	cr_assert(strcmp(bye, "bye\n") == 0, "unexpected answer to /quit: '%s'", bye);
	proc_finish(p, r);
}

void expect_seed_clean(void)
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

void expect_seed_zombies(enum mode mode)
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
