/* libscn_busy.so, opened with dlopen by tests/scenarios/binding_busy.c: its constructor, which runs
 * while the loader holds its lock, says so on a pipe and then waits on another pipe until the
 * program lets it return. The two pipes are the program's, named by the environment. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void busy(void)
{
	const char *entered = getenv("SCN_BUSY_ENTERED"), *release = getenv("SCN_BUSY_RELEASE");
	char c = 'E';

	if (entered == NULL || release == NULL) {
		return;
	}
	if (write(atoi(entered), &c, 1) != 1 || read(atoi(release), &c, 1) != 1) {
		_exit(2);
	}
}
