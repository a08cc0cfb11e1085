/* The scenario's own children and what each must end with; see scn.h. An append-only table with
 * atomic slots, so that signal handlers and threads may look pids up. */
#include "scn.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define OWN_MAX 65536

struct own {
	atomic_int pid;
	int expect;
	atomic_int collected;
};

static struct own table[OWN_MAX];
static atomic_int used;

static struct own *find(pid_t pid)
{
	for (int i = atomic_load(&used) - 1; i >= 0; i--) {
		if (atomic_load(&table[i].pid) == pid) {
			return &table[i];
		}
	}
	return NULL;
}

void own_add(pid_t pid, int expect)
{
	int i = atomic_fetch_add(&used, 1);
	if (i >= OWN_MAX) {
		scn_broken("too many own children for the table");
	}
	table[i].expect = expect;
	atomic_store(&table[i].pid, pid);
}

bool own_is(pid_t pid)
{
	return pid > 0 && find(pid) != NULL;
}

bool own_collected_already(pid_t pid)
{
	struct own *o = find(pid);
	return o != NULL && atomic_load(&o->collected) != 0;
}

bool own_collect(const char *via, pid_t pid, int status)
{
	char t[64], e[64];
	struct own *o = find(pid);
	if (o == NULL) {
		scn_fail("%s returned foreign pid %d (%s)", via, (int)pid, st_text(status, t));
		return false;
	}
	if (atomic_exchange(&o->collected, 1) != 0) {
		scn_fail("%s returned own child %d a second time (%s)", via, (int)pid, st_text(status, t));
		return false;
	}
	if (o->expect != OWN_ANY && o->expect != status) {
		scn_fail("%s: own child %d: expected %s, got %s", via, (int)pid, st_text(o->expect, e),
		         st_text(status, t));
		return false;
	}
	return true;
}

bool own_report(const char *via, pid_t pid, int status, int expect)
{
	char t[64], e[64];
	if (find(pid) == NULL) {
		scn_fail("%s returned foreign pid %d (%s)", via, (int)pid, st_text(status, t));
		return false;
	}
	if (status != expect) {
		scn_fail("%s: own child %d: expected %s, got %s", via, (int)pid, st_text(expect, e),
		         st_text(status, t));
		return false;
	}
	return true;
}

int own_pending(void)
{
	int n = 0;
	for (int i = atomic_load(&used) - 1; i >= 0; i--) {
		if (atomic_load(&table[i].collected) == 0) {
			n++;
		}
	}
	return n;
}

pid_t own_fork(int expect)
{
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &old);
	pid_t pid = fork();
	if (pid > 0) {
		own_add(pid, expect);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}
