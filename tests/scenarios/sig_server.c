/* A server with a SIGTERM handler, as run by a shell entrypoint (`sh -c 'server'`, no exec): on
 * SIGTERM it writes "TERM from <si_pid>" to MARK and exits 0. The sender's pid tells who delivered
 * it: 1 when PID 1 of its namespace forwarded it, 0 when it came from outside the namespace.
 * Usage: sig_server MARK. Prints "SERVER READY" once the handler is in place; idles 30 s otherwise. */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "sig_util.h"

static const char *mark_path;

static void on_term(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	int fd = open(mark_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		_exit(SIG_EXIT_BROKEN);
	}
	sig_write_fmt(fd, "TERM from %ld\n", (long)si->si_pid);
	close(fd);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		return 2;
	}
	mark_path = argv[1];
	sig_handle_info(SIGTERM, on_term, 0);
	sig_say("SERVER READY\n");
	sig_idle(30);
	return SIG_EXIT_IDLE;
}
