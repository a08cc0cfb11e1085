/* libscn_early.so, linked by tests/scenarios/split_early.c: state made before the shim's
 * constructor runs (see there). Its output names the pid that prints it. With SCN_EARLY_THREAD=1
 * its constructor also starts a thread, which a fork before main would leave behind. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int early_pipe[2] = { -1, -1 };

static void at_exit(void)
{
	printf("ATEXIT pid %d\n", (int)getpid());
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;) {
		pause();
	}
	return NULL;
}

__attribute__((constructor)) static void early(void)
{
	const char *thread = getenv("SCN_EARLY_THREAD");
	pthread_t t;

	if (thread != NULL && thread[0] == '1' && pthread_create(&t, NULL, idle_thread, NULL) != 0) {
		perror("pthread_create");
	}
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
