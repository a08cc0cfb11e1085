/* A handler-less PID 1 that crashes. Usage: sig_segv segv|abort
 *   segv   writes through a null pointer: the kernel's fault signal must still end PID 1 by SIGSEGV.
 *   abort  calls abort(): SIGABRT is left to the kernel too, so PID 1 ends as libc's abort makes it.
 * Prints "READY" first; a run that gets past the crash prints "SURVIVED" and exits SIG_EXIT_IDLE. */
#include <stdlib.h>
#include <string.h>

#include "sig_util.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		return 2;
	}
	sig_say("READY\n");
	if (strcmp(argv[1], "segv") == 0) {
		volatile int *volatile nowhere = NULL;
		*nowhere = 1;
	} else if (strcmp(argv[1], "abort") == 0) {
		abort();
	} else {
		return 2;
	}
	sig_say("SURVIVED\n");
	return SIG_EXIT_IDLE;
}
