/* split_early: the program links tests/scenarios/so/early.c (build/scenarios/libscn_early.so), a
 * library whose constructor runs before the shim's, as a C++ runtime or any library with static
 * initialisers would: it leaves a line in stdout's buffer, registers an atexit handler, has a
 * destructor, and opens a pipe. Under split mode all of that is copied into the init at its fork,
 * and none of it may show there: the buffered line, the atexit line and the destructor line each
 * come out once, from the program; and once the program has closed the pipe's write end, a reader
 * sees its end although the init had a copy. Prints "EOF seen" or a FAIL line, exits 0. */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

/* From libscn_early.so: the pipe its constructor opened. */
extern int early_pipe[2];

int main(void)
{
	char c;
	struct pollfd pfd = { .fd = early_pipe[0], .events = POLLIN };

	close(early_pipe[1]);
	if (poll(&pfd, 1, 5000) != 1 || read(early_pipe[0], &c, 1) != 0) {
		printf("FAIL the pipe's write end is still open somewhere\n");
		return 1;
	}
	printf("EOF seen\n");
	return 0;
}
