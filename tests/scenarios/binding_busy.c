/* binding_busy: a wrapper of the shim called for the first time while another thread is inside
 * dlopen (holding the loader's lock, here for as long as this thread wants) must not wait for that
 * thread. With dlsym, the shim's first call of posix_spawn, system or popen would bind libc's
 * function under the loader's lock and wait for the dlopen, whose constructor waits for this thread:
 * a deadlock, which the watchdog turns into "Alarm clock". The shim's own lookup takes no lock.
 * Argument: the path of libscn_busy.so. Prints "RESULT ok", or a FAIL line and exits 1. */
#include <dlfcn.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *open_busy(void *path)
{
	if (dlopen(path, RTLD_NOW) == NULL) {
		printf("FAIL dlopen: %s\n", dlerror());
		exit(1);
	}
	return NULL;
}

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL %s\n", what);
		failures++;
	}
}

int main(int argc, char **argv)
{
	int entered[2], release[2], status = -1;
	char name[32], c;
	pthread_t thread;
	pid_t pid;
	char *const true_argv[] = { "true", NULL };
	FILE *stream;

	if (argc != 2 || pipe(entered) != 0 || pipe(release) != 0) {
		return 2;
	}
	alarm(20);
	snprintf(name, sizeof name, "%d", entered[1]);
	setenv("SCN_BUSY_ENTERED", name, 1);
	snprintf(name, sizeof name, "%d", release[0]);
	setenv("SCN_BUSY_RELEASE", name, 1);
	if (pthread_create(&thread, NULL, open_busy, argv[1]) != 0 || read(entered[0], &c, 1) != 1) {
		return 2;
	}
	/* The other thread is now inside the library's constructor, under the loader's lock. */
	expect(posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ) == 0 &&
		       waitpid(pid, &status, 0) == pid && status == 0,
	       "posix_spawnp + waitpid");
	expect(system("true") == 0, "system");
	stream = popen("true", "r");
	expect(stream != NULL && pclose(stream) == 0, "popen + pclose");
	if (write(release[1], "R", 1) != 1 || pthread_join(thread, NULL) != 0) {
		return 2;
	}
	printf(failures == 0 ? "RESULT ok\n" : "RESULT FAILED %d\n", failures);
	return failures != 0;
}
