/* Reporting, the watchdog and the final checks of a core scenario; see scn.h. */
#include "scn.h"
#include "write_all.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int failures;
static const char *volatile stage_name = "start";
static bool storm_on = true;
static bool stress;
static double settle_s = 2.0;

double scn_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void scn_nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

int scn_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

void scn_close_from(int first)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, ~0U, 0) == 0) {
		return;
	}
#endif
	for (long fd = first, max = sysconf(_SC_OPEN_MAX); fd < max; fd++) {
		close((int)fd);
	}
}

/* Whether our parent is the shim's split-mode init. */
static bool parent_is_split_init(void)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return false;
	}
	bool got = fgets(comm, sizeof comm, f) != NULL;
	fclose(f);
	return got && strcmp(comm, "reap-init\n") == 0;
}

pid_t scn_orphan_reaper(void)
{
	int subreaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0);
	if (getpid() == 1 || subreaper != 0) {
		return getpid();
	}
	return parent_is_split_init() ? getppid() : 0;
}

bool scn_reaper(void)
{
	return scn_orphan_reaper() != 0;
}

bool scn_storm_on(void)
{
	return storm_on;
}

bool scn_stress(void)
{
	return stress;
}

int scn_scale(int n)
{
	return stress ? n * 5 : n;
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;
	int n = snprintf(buf, sizeof buf, "%s", prefix);
	if (n < 0) {
		n = 0;
	}
	int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	if (m < 0) {
		m = 0;
	}
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof buf - 2) {
		len = sizeof buf - 2;
	}
	buf[len++] = '\n';
	write_all(STDOUT_FILENO, buf, len);
	errno = saved;
}

void scn_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void scn_fail(const char *fmt, ...)
{
	char prefix[128];
	snprintf(prefix, sizeof prefix, "FAIL [%s] ", stage_name);
	va_list ap;
	va_start(ap, fmt);
	vsay(prefix, fmt, ap);
	va_end(ap);
	atomic_fetch_add(&failures, 1);
}

void scn_broken(const char *what)
{
	scn_say("BROKEN [%s] %s: %s", stage_name, what, strerror(errno));
	_exit(SCN_EXIT_BROKEN);
}

int scn_failures(void)
{
	return atomic_load(&failures);
}

bool scn_expect_int(const char *what, long expected, long got)
{
	if (expected == got) {
		return true;
	}
	scn_fail("%s: expected %ld, got %ld", what, expected, got);
	return false;
}

bool scn_expect_status(const char *what, int expected, int got)
{
	if (expected == got) {
		return true;
	}
	char e[64], g[64];
	scn_fail("%s: expected %s, got %s", what, st_text(expected, e), st_text(got, g));
	return false;
}

/* ---- variants ----------------------------------------------------------------------------------- */

bool scn_run_variants(const struct scn_variant *variants, size_t n, const char *which, void (*after_each)(void))
{
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(which, "all") == 0 || strcmp(which, variants[i].name) == 0) {
			variants[i].run();
			if (after_each != NULL) {
				after_each();
			}
			found = true;
		}
	}
	return found;
}

int scn_variants_main(int argc, char **argv, const struct scn_variant *variants, size_t n,
                      void (*after_each)(void), const char *usage)
{
	const char *which = argc > 1 ? argv[1] : "all";
	scn_init();
	storm_start();
	if (!scn_run_variants(variants, n, which, after_each)) {
		scn_say("%s", usage);
		return SCN_EXIT_BROKEN;
	}
	return scn_finish();
}

/* ---- the watchdog ------------------------------------------------------------------------------- */

static void on_watchdog(int sig)
{
	(void)sig;
	/* Async-signal-safe: only write(2) and _exit. */
	static const char head[] = "FAIL [";
	static const char tail[] = "] timeout: the stage did not end in time\nRESULT FAILED\n";
	const char *name = stage_name;
	write_all(STDOUT_FILENO, head, sizeof head - 1);
	write_all(STDOUT_FILENO, name, strlen(name));
	write_all(STDOUT_FILENO, tail, sizeof tail - 1);
	_exit(SCN_EXIT_TIMEOUT);
}

void scn_stage(const char *name, double seconds)
{
	stage_name = name;
	if (stress) {
		seconds *= 5;
	}
	struct itimerval it = { { 0, 0 }, { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) } };
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) {
		it.it_value.tv_usec = 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

void scn_init(void)
{
	const char *s = getenv("SCN_STORM");
	storm_on = s == NULL || strcmp(s, "0") != 0;
	s = getenv("STRESS");
	stress = s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
	s = getenv("SCN_SETTLE");
	if (s != NULL && atof(s) > 0) {
		settle_s = atof(s);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_watchdog;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		scn_broken("sigaction(SIGALRM)");
	}
	scn_stage("start", 20);
}

/* ---- statuses ----------------------------------------------------------------------------------- */

int st_exit(int code)
{
	return (code & 0xff) << 8;
}

int st_signal(int sig)
{
	return sig & 0x7f;
}

int st_stopped(int sig)
{
	return ((sig & 0xff) << 8) | 0x7f;
}

int st_continued(void)
{
	return 0xffff;
}

const char *st_text(int status, char buf[64])
{
	if (status == OWN_ANY) {
		snprintf(buf, 64, "any status");
	} else if (WIFEXITED(status)) {
		snprintf(buf, 64, "exited %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(buf, 64, "killed by signal %d", WTERMSIG(status));
	} else if (WIFSTOPPED(status)) {
		snprintf(buf, 64, "stopped by signal %d", WSTOPSIG(status));
	} else if (WIFCONTINUED(status)) {
		snprintf(buf, 64, "continued");
	} else {
		snprintf(buf, 64, "status 0x%x", (unsigned)status);
	}
	return buf;
}

int st_from_siginfo(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return st_exit(si->si_status);
	case CLD_KILLED:
	case CLD_DUMPED:
		return st_signal(si->si_status);
	case CLD_STOPPED:
	case CLD_TRAPPED:
		return st_stopped(si->si_status);
	case CLD_CONTINUED:
		return st_continued();
	default:
		return -2;
	}
}

/* ---- the end ------------------------------------------------------------------------------------ */

int scn_finish(void)
{
	scn_stage("finish", 20);
	storm_stop();

	/* Every own child has been collected: nothing may be left to wait for. */
	int status = 0;
	errno = 0;
	pid_t got = waitpid(-1, &status, WNOHANG);
	int err = errno;
	if (got > 0) {
		if (!own_is(got)) {
			char t[64];
			scn_fail("waitpid(-1, WNOHANG) at the end returned foreign pid %d (%s)", (int)got,
			         st_text(status, t));
		} else {
			scn_fail("own child %d was left uncollected by the scenario", (int)got);
		}
	} else if (got == 0) {
		scn_fail("waitpid(-1, WNOHANG) at the end: expected -1 ECHILD, got 0 (a child is left)");
	} else if (err != ECHILD) {
		scn_fail("waitpid(-1, WNOHANG) at the end: expected ECHILD, got %s", strerror(err));
	}

	/* No zombie may be left, nor anything else. */
	int zombies = 0, live = 0;
	double end = scn_now() + (stress ? settle_s * 5 : settle_s);
	for (;;) {
		kids_count(&zombies, &live);
		if ((zombies == 0 && live == 0) || scn_now() > end) {
			break;
		}
		scn_nap(0.002);
	}
	if (zombies != 0 || live != 0) {
		scn_fail("zombies left: expected 0, got %d (and %d live children)", zombies, live);
	}
	/* Where another process reaps our orphans (split mode), none may be left as a zombie there. */
	pid_t reaper = scn_orphan_reaper();
	if (reaper != 0 && reaper != getpid()) {
		while ((zombies = proc_zombie_children(reaper)) != 0 && scn_now() < end) {
			scn_nap(0.002);
		}
		if (zombies != 0) {
			scn_fail("zombies left at the reaping parent %d: expected 0, got %d", (int)reaper, zombies);
		}
	}

	int n = scn_failures();
	if (n == 0) {
		scn_say("RESULT ok");
		return SCN_EXIT_OK;
	}
	scn_say("RESULT FAILED %d", n);
	return SCN_EXIT_FAILED;
}
