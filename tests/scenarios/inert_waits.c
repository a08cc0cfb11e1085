/* inert_waits: the waits a server's event loop makes, 1,000 times each, none of them blocking:
 * poll, ppoll, select, pselect, epoll_wait, epoll_pwait. Run as a plain process (the shim inert)
 * with libscn_clocks.so preloaded after the shim, which counts the clock readings they cost. */
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>

int main(void)
{
	struct timespec zero = {0, 0};
	struct epoll_event event;
	int epfd = epoll_create1(0), failed = 0;

	for (int i = 0; i < 1000; i++) {
		struct timeval tv = {0, 0};

		failed |= poll(NULL, 0, 0) != 0;
		failed |= ppoll(NULL, 0, &zero, NULL) != 0;
		failed |= select(0, NULL, NULL, NULL, &tv) != 0;
		failed |= pselect(0, NULL, NULL, NULL, &zero, NULL) != 0;
		failed |= epoll_wait(epfd, &event, 1, 0) != 0;
		failed |= epoll_pwait(epfd, &event, 1, 0, NULL) != 0;
	}
	printf(failed ? "FAIL inert_waits: a wait failed\n" : "OK inert_waits\n");
	fflush(stdout);
	return failed;
}
