/* scan.c: owns the scans of /proc/self/task/TID/children and what they cost (see scan.h).
 *
 * A scan costs O(children), and more: reading the list (the kernel walks it from its head at
 * every read() of a page of it), a look (one waitid) at each foreign child that is not a zombie,
 * and at each own child whose exit the program's handler could still be owed (none whose exit was
 * handed over already: the registry's flag says so). So scans are paid for, in units of UNIT_NS
 * (about one cheap system call) of the time a scan takes: each SIGCHLD handled and each wrapped
 * wait earns SCAN_CREDIT units, and a scan runs only when the credit covers what the last one
 * took. The time spent reaping the foreign zombies a scan finds is not charged: each of them pays
 * for itself, its exit being an event whose signal merged into another. A scan that cannot be paid
 * for yet is owed: the events that follow look again, and the scan runs as soon as the credit
 * covers it, at the latest after cost/SCAN_CREDIT further SIGCHLDs or waits. Should none follow,
 * a one-shot timer of the shim's own (a POSIX timer that sends SIGCHLD with a value only the shim
 * uses) makes one OWED_DELAY_MS plus OWED_DELAY_PER_COST times the last scan's duration later,
 * and that scan is paid for by the time gone by (at most 1/OWED_DELAY_PER_COST of it). Every
 * event thus costs O(1) amortised, whatever the number of children. */
#include "scan.h"

#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "children.h"
#include "log.h"
#include "real.h"
#include "reaper.h"
#include "registry.h"
#include "sigchld.h"
#include "unshared.h"

/* The unit of a scan's price, and the units earned by each SIGCHLD handled and each wrapped wait. */
#define UNIT_NS 500
#define SCAN_CREDIT 16
/* When no event follows, how long an owed scan waits for the timer. */
#define OWED_DELAY_MS 20
#define OWED_DELAY_PER_COST 20

/* Credit earned and not spent, and what the last scan cost, in units: written at every event, so
 * unshared (unshared.h). */
static long scan_credit UNSHARED, last_scan_cost UNSHARED;
/* The owed-scan timer: its kernel id (-1: none yet, -2: cannot be made), whether it is armed,
 * and whether it fired since the last scan. A fork child has no timer armed. */
static int timer_id = -1;
static int timer_armed UNSHARED, paid_by_time UNSHARED;
static const char timer_token; /* its address marks the timer's SIGCHLD */

/* A scan: every child in /proc is visited; foreign zombies are reaped, and own exits the program's
 * handler has not heard of are reported while reports has room (max 0: the program has no
 * handler to tell). */
struct scan {
	siginfo_t *reports;
	size_t max, n;
	long reaping_ns; /* spent reaping foreign zombies: not charged */
};

static void visit_child(pid_t pid, void *ctx)
{
	struct scan *scan = ctx;
	siginfo_t info;
	unsigned mark = registry_mark();
	long start;

	if (registry_undecidable()) {
		sigchld_defer_sweep();
		return;
	}
	if (registry_is_own(pid)) {
		/* The registry knows an exit it handed over already: no look needed. */
		if (scan->reports == NULL || scan->n == scan->max || registry_announced(pid)) {
			return;
		}
		reaper_look(P_PID, pid, &info);
		if (info.si_pid == pid && info_is_exit(&info) && registry_announce_as_of(pid, mark)) {
			scan->reports[scan->n++] = info;
		}
		return;
	}
	reaper_look(P_PID, pid, &info);
	if (info.si_pid == pid && info_is_exit(&info)) { /* not a tracee's stop */
		start = real_now_ns();
		if (reaper_collect(pid)) {
			scan->reaping_ns += real_now_ns() - start;
		}
	}
}

/* What the next scan is expected to cost: what the last one did. */
static long scan_cost(void)
{
	return __atomic_load_n(&last_scan_cost, __ATOMIC_RELAXED);
}

/* Saved up to two scans' worth, so that a quiet spell does not pay for a storm. */
void scan_earn(void)
{
	long cap = 2 * scan_cost() + SCAN_CREDIT;

	if (__atomic_add_fetch(&scan_credit, SCAN_CREDIT, __ATOMIC_RELAXED) > cap) {
		__atomic_store_n(&scan_credit, cap, __ATOMIC_RELAXED);
	}
}

bool scan_if_paid(siginfo_t *reports, size_t max, size_t *n)
{
	static int warned;
	struct scan scan = {.reports = reports, .max = max, .n = *n};
	long start, cost;

	if (__atomic_load_n(&scan_credit, __ATOMIC_RELAXED) < scan_cost() &&
	    !__atomic_exchange_n(&paid_by_time, 0, __ATOMIC_RELAXED)) {
		return false;
	}
	start = real_now_ns();
	if (!children_foreach(visit_child, &scan) && !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) {
		log_verbose2("cannot read /proc/self/task/*/children: ",
			     "orphans behind an unwaited child of the program wait for its wait");
	}
	cost = (real_now_ns() - start - scan.reaping_ns) / UNIT_NS + 1;
	__atomic_sub_fetch(&scan_credit, cost, __ATOMIC_RELAXED);
	__atomic_store_n(&last_scan_cost, cost, __ATOMIC_RELAXED);
	*n = scan.n;
	return true;
}

static bool timer_made(void)
{
	struct sigevent event;
	int id = -1, none = -1;

	if (__atomic_load_n(&timer_id, __ATOMIC_ACQUIRE) >= 0) {
		return true;
	}
	if (__atomic_load_n(&timer_id, __ATOMIC_ACQUIRE) == -2) {
		return false;
	}
	memset(&event, 0, sizeof(event));
	event.sigev_notify = SIGEV_SIGNAL;
	event.sigev_signo = SIGCHLD;
	event.sigev_value.sival_ptr = (void *)&timer_token;
	/* The raw call: glibc's timer_create keeps state of its own, and this may run in a handler. */
	if (LIBC(syscall)(SYS_timer_create, CLOCK_MONOTONIC, &event, &id) != 0) {
		__atomic_store_n(&timer_id, -2, __ATOMIC_RELEASE);
		log_verbose2("cannot create a timer: an orphan hidden behind an unwaited child of the program ",
			     "waits for the next child event");
		return false;
	}
	if (!__atomic_compare_exchange_n(&timer_id, &none, id, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		LIBC(syscall)(SYS_timer_delete, id); /* another thread made one first */
	}
	return true;
}

void scan_owed(void)
{
	long delay_us = OWED_DELAY_MS * 1000L + scan_cost() * UNIT_NS / 1000 * OWED_DELAY_PER_COST;
	struct itimerspec when = {.it_value = {.tv_sec = delay_us / 1000000, .tv_nsec = delay_us % 1000000 * 1000}};

	if (__atomic_exchange_n(&timer_armed, 1, __ATOMIC_ACQ_REL) || !timer_made()) {
		return;
	}
	if (LIBC(syscall)(SYS_timer_settime, timer_id, 0, &when, NULL) != 0) {
		__atomic_store_n(&timer_armed, 0, __ATOMIC_RELEASE);
	}
}

bool scan_timer_fired(const siginfo_t *info)
{
	if (info->si_code != SI_TIMER || info->si_value.sival_ptr != &timer_token) {
		return false;
	}
	__atomic_store_n(&paid_by_time, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&timer_armed, 0, __ATOMIC_RELEASE);
	return true;
}
