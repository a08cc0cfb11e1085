/* Sets the listed signals to SIG_IGN and execs a program in the same process, which thereby inherits
 * them as ignored (what `trap '' TERM; exec prog` or a supervisor started with SIGTERM ignored does).
 * Usage: sig_execign SIG[,SIG...] PROGRAM [ARG...]   (signals by number) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sig_util.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		sig_say("usage: sig_execign SIG[,SIG...] PROGRAM [ARG...]\n");
		return 2;
	}
	for (char *s = argv[1]; *s != '\0';) {
		char *end;
		long sig = strtol(s, &end, 10);
		if (end == s || sig <= 0 || sig >= NSIG) {
			sig_say("bad signal list %s\n", argv[1]);
			return 2;
		}
		sig_set_disp((int)sig, SIG_IGN);
		s = *end == ',' ? end + 1 : end;
	}
	execv(argv[2], argv + 2);
	sig_die("execv");
}
