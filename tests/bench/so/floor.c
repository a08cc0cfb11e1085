/* floor.so: the least any in-process reaper does for each of the program's own children, preloaded
 * in place of reap.so to measure the floor of issue #11's PID 1 targets. As PID 1 it catches
 * SIGCHLD, which the kernel otherwise discards for a PID 1 that leaves it at SIG_DFL, and its
 * handler looks once at which child changed state (waitid with WNOWAIT), as a reaper must before it
 * can tell an own child from a foreign one. It reaps nothing, wraps nothing, and elsewhere does
 * nothing at all. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void look_once(int sig)
{
	int saved_errno = errno;
	siginfo_t info;

	(void)sig;
	waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
	errno = saved_errno;
}

__attribute__((constructor)) static void catch_sigchld(void)
{
	struct sigaction act = {.sa_handler = look_once, .sa_flags = SA_RESTART};

	if (getpid() == 1) {
		sigemptyset(&act.sa_mask);
		sigaction(SIGCHLD, &act, NULL);
	}
}
