/* unheard.c: owns the exits of own children that the program collected before the shim's handler
 * told it of them (see unheard.h).
 *
 * A ring of slots claimed with compare-and-swap: each handled SIGCHLD empties it, and a program
 * that blocks SIGCHLD while it collects more than UNHEARD_SIZE children has the oldest overwritten
 * (its handler still runs once it unblocks, with the newer ones). */
#include "unheard.h"

#include <stdbool.h>

enum { UNHEARD_EMPTY, UNHEARD_WRITING, UNHEARD_FULL, UNHEARD_TAKING };
#define UNHEARD_SIZE 32

struct unheard_exit {
	int state;
	pid_t pid;
	int status;
};

static struct unheard_exit unheard[UNHEARD_SIZE];
static unsigned unheard_next;
/* Slots full: while there are none, a take reads none of the ring's lines (it runs at every
 * SIGCHLD). Counted inside the removal that remembers (registry_settle_forgets waits for it). */
static int unheard_full;

void unheard_remember(pid_t pid, int status)
{
	for (int tries = 0; tries < UNHEARD_SIZE; tries++) {
		struct unheard_exit *u = &unheard[__atomic_fetch_add(&unheard_next, 1, __ATOMIC_RELAXED) % UNHEARD_SIZE];
		int from = __atomic_load_n(&u->state, __ATOMIC_ACQUIRE);

		if ((from == UNHEARD_EMPTY || from == UNHEARD_FULL) &&
		    __atomic_compare_exchange_n(&u->state, &from, UNHEARD_WRITING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			u->pid = pid;
			u->status = status;
			__atomic_store_n(&u->state, UNHEARD_FULL, __ATOMIC_RELEASE);
			if (from == UNHEARD_EMPTY) {
				__atomic_add_fetch(&unheard_full, 1, __ATOMIC_SEQ_CST);
			}
			return;
		}
	}
}

/* Takes one unheard exit, of pid or (pid 0) of any child; fills *status. */
static bool take_unheard(pid_t pid, pid_t *taken, int *status)
{
	for (unsigned i = 0; i < UNHEARD_SIZE && __atomic_load_n(&unheard_full, __ATOMIC_SEQ_CST) != 0; i++) {
		struct unheard_exit *u = &unheard[i];
		int full = UNHEARD_FULL;

		/* The state is looked at before the exchange, which writes the page even when it fails
		 * (a copied page after every fork). */
		if ((pid != 0 && __atomic_load_n(&u->pid, __ATOMIC_RELAXED) != pid) ||
		    __atomic_load_n(&u->state, __ATOMIC_RELAXED) != UNHEARD_FULL ||
		    !__atomic_compare_exchange_n(&u->state, &full, UNHEARD_TAKING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			continue;
		}
		if (pid != 0 && u->pid != pid) { /* overwritten in between */
			__atomic_store_n(&u->state, UNHEARD_FULL, __ATOMIC_RELEASE);
			continue;
		}
		*taken = u->pid;
		*status = u->status;
		__atomic_store_n(&u->state, UNHEARD_EMPTY, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&unheard_full, 1, __ATOMIC_SEQ_CST);
		return true;
	}
	return false;
}

bool unheard_take(pid_t pid, int *status)
{
	pid_t taken;

	return take_unheard(pid, &taken, status);
}

bool unheard_take_any(pid_t *pid, int *status)
{
	return take_unheard(0, pid, status);
}

bool unheard_any(void)
{
	return __atomic_load_n(&unheard_full, __ATOMIC_SEQ_CST) != 0;
}
