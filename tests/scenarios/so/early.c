/* libscn_early.so, linked by tests/scenarios/split_early.c: state made before the shim's
 * constructor runs (see there). Its output names the pid that prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int early_pipe[2] = { -1, -1 };

static void at_exit(void)
{
	printf("ATEXIT pid %d\n", (int)getpid());
}

__attribute__((constructor)) static void early(void)
{
	if (pipe(early_pipe) != 0) {
		perror("pipe");
	}
	printf("EARLY buffered line\n"); /* stdout is a pipe: the line stays in the buffer */
	atexit(at_exit);
}

__attribute__((destructor)) static void late(void)
{
	printf("DESTRUCTOR pid %d\n", (int)getpid());
	fflush(stdout);
}
