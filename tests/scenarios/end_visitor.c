/* A process that joins PID 1's namespace from outside (the test runs it with `nsenter --target
 * <PID 1> --pid`, as `docker exec` does), so it is no descendant of PID 1, and whose SIGTERM work
 * needs a moment. Usage: end_visitor FIFO MARK
 * Prints "VISITOR READY <its pid in the namespace>", waits (bounded) for SIGTERM and prints
 * "VISITOR TERM from <sender pid>", waits (bounded) for a byte on FIFO from the test (the moment
 * the work needs), then writes "done" to MARK and prints "VISITOR DONE". */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "sig_util.h"

static volatile sig_atomic_t terms;
static volatile sig_atomic_t sender;

static void on_term(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sender = si->si_pid;
	terms++;
}

int main(int argc, char **argv)
{
	int sigs[2] = {SIGTERM, 0};

	if (argc != 3) {
		sig_say("usage: end_visitor FIFO MARK\n");
		return 2;
	}
	int fifo = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fifo < 0) {
		sig_die("open fifo");
	}
	sig_handle_info(SIGTERM, on_term, 0);
	sig_say("VISITOR READY %d\n", (int)getpid());
	if (!sig_wait_flag(&terms, 1, sigs, 20)) {
		return SIG_EXIT_IDLE;
	}
	sig_say("VISITOR TERM from %d\n", (int)sender);
	if (sig_read_byte(fifo, 20) < 0) {
		return SIG_EXIT_IDLE;
	}
	if (!sig_write_mark(argv[2], "done\n")) {
		sig_die("write mark");
	}
	sig_say("VISITOR DONE\n");
	return 0;
}
