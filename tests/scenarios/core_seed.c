/* core_seed: the experiment of the seed post, in C. A tiny HTTP server on 127.0.0.1; per request it
 * forks a child that forks a grandchild and exits at once; the server waits for the child (exactly
 * status 0) and answers "Hello World! orphan=PID". The grandchild ends right after: a foreign orphan
 * of PID 1. Without a reaper the orphans stay zombies; a test counts them from outside.
 * Requests: GET /           the grandchild exits 0
 *           GET /exit/N     the grandchild exits N
 *           GET /kill       the grandchild dies of SIGKILL
 *           GET /quit       the server answers "bye" and ends (final checks, exit code)
 * Prints "READY port=N" when it listens. Usage: core_seed */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

/* The seed's parent(): child forks the orphan and exits; returns the orphan's pid. */
static pid_t parent(int orphan_code)
{
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	pid_t child = own_fork(st_exit(0));
	if (child == 0) {
		close(fds[0]);
		pid_t orphan = fork();
		if (orphan == 0) {
			close(fds[1]);
			if (orphan_code < 0) {
				kill(getpid(), -orphan_code);
			}
			_exit(orphan_code);
		}
		_exit(write(fds[1], &orphan, sizeof orphan) == (ssize_t)sizeof orphan ? 0 : 1);
	}
	close(fds[1]);
	pid_t orphan = 0;
	if (read(fds[0], &orphan, sizeof orphan) != (ssize_t)sizeof orphan) {
		orphan = 0;
	}
	close(fds[0]);
	int status;
	pid_t got;
	while ((got = waitpid(child, &status, 0)) < 0 && errno == EINTR) {
	}
	if (got == child) {
		own_collect("waitpid(request child)", child, status);
	} else {
		scn_fail("waitpid(request child %d): got %d (%s)", (int)child, (int)got, strerror(errno));
	}
	return orphan;
}

static void answer(int conn, const char *body)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	if (write(conn, buf, (size_t)n) != n) {
		scn_fail("short write to the client");
	}
}

/* Serve one connection; returns false after /quit. */
static bool serve(int conn)
{
	char req[512] = { 0 };
	size_t len = 0;
	while (len < sizeof req - 1 && strstr(req, "\r\n\r\n") == NULL) {
		ssize_t n = read(conn, req + len, sizeof req - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	char path[128] = "/";
	sscanf(req, "GET %127s", path);
	if (strcmp(path, "/quit") == 0) {
		answer(conn, "bye\n");
		return false;
	}
	int code = 0;
	if (strcmp(path, "/kill") == 0) {
		code = -SIGKILL;
	} else if (strncmp(path, "/exit/", 6) == 0) {
		code = atoi(path + 6);
	}
	char body[64];
	snprintf(body, sizeof body, "Hello World! orphan=%d\n", (int)parent(code));
	answer(conn, body);
	return true;
}

int main(void)
{
	scn_init();
	scn_stage("serve", 60);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof addr;
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&addr, &alen) != 0) {
		scn_broken("listen on 127.0.0.1");
	}
	scn_say("READY port=%d", ntohs(addr.sin_port));
	for (;;) {
		int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR) {
				scn_fail("accept() failed with EINTR: the program has no handler");
				continue;
			}
			scn_broken("accept");
		}
		bool more = serve(conn);
		close(conn);
		if (!more) {
			break;
		}
	}
	close(s);
	return scn_finish();
}
