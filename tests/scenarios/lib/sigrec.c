/* A record of what SIGCHLD handlers were handed; see scn.h. Handlers only append to a table of
 * atomics; the scenario reads it outside the handler. */
#include "scn.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define REC_MAX 65536

static struct {
	atomic_int pid;
	atomic_int code;
	atomic_int status;
	atomic_int done; /* the entry is complete */
} rec[REC_MAX];
static atomic_int rec_used;

static void append(pid_t pid, int code, int status)
{
	int i = atomic_fetch_add(&rec_used, 1);
	if (i >= REC_MAX) {
		return;
	}
	atomic_store(&rec[i].pid, pid);
	atomic_store(&rec[i].code, code);
	atomic_store(&rec[i].status, status);
	atomic_store(&rec[i].done, 1);
}

void sigrec_info(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	int saved = errno;
	append(si->si_pid, si->si_code, si->si_status);
	errno = saved;
}

void sigrec_catch_sigchld(int flags, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = sigrec_info;
	sa.sa_flags = SA_SIGINFO | flags;
	if (sigaction(SIGCHLD, &sa, old) != 0) {
		scn_broken("sigaction(SIGCHLD)");
	}
}

void sigrec_plain(int sig)
{
	(void)sig;
	append(0, 0, 0);
}

int sigrec_count(void)
{
	int n = atomic_load(&rec_used);
	return n < REC_MAX ? n : REC_MAX;
}

struct sigrec_entry sigrec_get(int i)
{
	struct sigrec_entry e = { 0, 0, 0 };
	if (i >= 0 && i < sigrec_count() && atomic_load(&rec[i].done)) {
		e.pid = atomic_load(&rec[i].pid);
		e.code = atomic_load(&rec[i].code);
		e.status = atomic_load(&rec[i].status);
	}
	return e;
}

static bool seen(pid_t pid, int code, int from, struct sigrec_entry *out)
{
	for (int i = from; i < sigrec_count(); i++) {
		struct sigrec_entry e = sigrec_get(i);
		if (e.pid == pid && e.code == code) {
			if (out != NULL) {
				*out = e;
			}
			return true;
		}
	}
	return false;
}

bool sigrec_wait(pid_t pid, int code, int from, double seconds, struct sigrec_entry *out)
{
	/* handlers run between naps: SIGCHLD is not blocked here */
	double end = scn_now() + seconds;
	while (!seen(pid, code, from, out)) {
		if (scn_now() > end) {
			return false;
		}
		scn_nap(0.0005);
	}
	return true;
}

bool sigrec_own_since(int from)
{
	for (int i = from; i < sigrec_count(); i++) {
		if (own_is(sigrec_get(i).pid)) {
			return true;
		}
	}
	return false;
}

void sigrec_check_own(int from)
{
	for (int i = from; i < sigrec_count(); i++) {
		struct sigrec_entry e = sigrec_get(i);
		if (e.pid != 0 && !own_is(e.pid)) {
			scn_fail("SIGCHLD handler was handed foreign pid %d (si_code %d, si_status %d)", (int)e.pid,
			         e.code, e.status);
		}
	}
}
