/* libscn_clocks.so, preloaded after reap.so by tests/test_costs.c: counts the calls of
 * clock_gettime that reach it (the shim's go through the chain, as any library's would) and says
 * how many when the process exits. */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long calls;

int clock_gettime(clockid_t clock, struct timespec *t)
{
	int (*next)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");

	calls++;
	return next(clock, t);
}

__attribute__((destructor)) static void say(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "CLOCKS %ld\n", calls);

	if (write(STDOUT_FILENO, line, (size_t)n) < 0) {
		_exit(2);
	}
}
