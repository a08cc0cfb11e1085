/* registry.c: owns the table of own children and the births in flight (see registry.h).
 *
 * The table is an open-addressing hash set of pids in memory from mmap (never malloc: it may grow
 * from a fork called in a signal handler), so insert, lookup and removal are O(1) and there is no
 * fixed limit. Lookups, the hot path of the SIGCHLD handler, take no lock: slots are read
 * atomically, a table outgrown is kept (readers may still be in it; their total stays below twice
 * the largest), and a clean-up that moves entries in place is bracketed by a version counter that
 * readers check, seqlock-style. A birth is recorded with one compare-and-swap into a free slot,
 * without the lock, so that a fork needs no change of the signal mask; a removal is one
 * compare-and-swap of the entry's word. Moves, announcements and the rarer insertions take the one
 * lock whose holder blocks signals (lock.h). A move first takes every slot it reads with an atomic
 * exchange (SLOT_FROZEN), so that no compare-and-swap racing it is lost; an insertion that a move
 * overtook is checked again under the lock (settle_overtaken_insert). The variables and the first
 * table are unshared (unshared.h): a fork child starts with an empty registry, and a fork costs the
 * parent no copied page for them.
 *
 * Each entry carries the number of its recording in the order of births, so that a call that freed
 * a pid can tell the child that held the pid before it began from one that got the pid since
 * (registry_reaped_own, registry_forget). While the kernel reaps children by itself, entries go
 * stale unseen: they are dropped whenever the live entries have doubled since the last look, which
 * keeps the table within twice the children that exist, at O(1) amortised per birth. */
#include "registry.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "real.h"
#include "stash.h"
#include "unheard.h"
#include "unshared.h"

#define SLOT_EMPTY 0
#define SLOT_GONE (-1)
#define SLOT_FROZEN (-2) /* taken by a move in progress */
#define ANNOUNCED 1u
#define TRACEE 2u /* own only as a tracee of the program (ptrace.c) */
#define TOLD_STOPPED 4u /* the last stop or continue report the program's handler got was a stop */
#define FLAG_BITS 3
#define MIN_CAPACITY 64
/* While the kernel reaps: the first look for stale entries, and the least between two. */
#define MIN_PRUNE 64

/* An entry is one word, so that each change of it is one compare-and-swap and no two threads can
 * both act on one state (an exit handed to the program's handler by one and remembered as unheard
 * by another): the pid, the flags, and the recording's number in the low BORN_BITS bits. Numbers
 * are compared as a difference, which stays unambiguous because an entry older than RESTAMP_AGE is
 * stamped RESTAMP_AGE old again every RESTAMP_AGE births: a mark is never that old. */
typedef uint64_t entry_t;
#define BORN_BITS (32 - FLAG_BITS)
#define BORN_MASK ((1u << BORN_BITS) - 1)
#define RESTAMP_AGE (1u << (BORN_BITS - 3))

static entry_t entry_make(pid_t pid, unsigned flags, unsigned born)
{
	return (uint32_t)pid | (entry_t)flags << 32 | (entry_t)(born & BORN_MASK) << (32 + FLAG_BITS);
}

static pid_t entry_pid(entry_t e)
{
	return (pid_t)(uint32_t)e;
}

static unsigned entry_flags(entry_t e)
{
	return (unsigned)(e >> 32) & ((1u << FLAG_BITS) - 1);
}

static unsigned entry_born(entry_t e)
{
	return (unsigned)(e >> (32 + FLAG_BITS));
}

struct table {
	size_t capacity; /* a power of two */
	entry_t slots[];
};

/* Unshared (unshared.h): a fork child has no children, and each write here after a fork would
 * cost the parent a page. */
static int lock UNSHARED;
static struct table *current UNSHARED; /* NULL before the first insert */
static unsigned version UNSHARED;      /* odd while entries move within the current table */
static size_t live UNSHARED;           /* own children recorded (counted before they show) */
static size_t used UNSHARED;           /* live plus tombstones, about */
static int births UNSHARED;            /* creating calls in flight */
static int opaque UNSHARED;            /* libc-internal child windows in flight */
static unsigned recorded UNSHARED;     /* births recorded so far (wraps; compared as a difference) */
static int kernel_reaps UNSHARED;      /* SIGCHLD ignored or SA_NOCLDWAIT: entries go stale unseen */
static size_t prune_at UNSHARED;       /* live entries at which to look for stale ones again */
static size_t alive_hint UNSHARED;     /* slot where registry_any_alive() last found a child */
static pid_t group_hint UNSHARED;      /* the own child registry_any_in_group() last found */
static int forgetting UNSHARED;        /* removals in progress, in all threads (remove_slot) */
static int clone_kind UNSHARED;        /* a child seen only with __WALL may be listed */
static __thread int forgetting_here __attribute__((tls_model("initial-exec")));

static size_t home(pid_t pid, size_t capacity)
{
	return ((unsigned)pid * 2654435761u) & (capacity - 1);
}

static entry_t slot_load(const entry_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static pid_t slot_pid(const entry_t *slot)
{
	return entry_pid(slot_load(slot));
}

static entry_t *find_in(struct table *t, pid_t pid)
{
	if (t == NULL) {
		return NULL;
	}
	for (size_t i = home(pid, t->capacity), n = 0; n < t->capacity; i = (i + 1) & (t->capacity - 1), n++) {
		pid_t p = slot_pid(&t->slots[i]);
		if (p == pid) {
			return &t->slots[i];
		}
		if (p == SLOT_EMPTY) {
			return NULL;
		}
	}
	return NULL;
}

/* Lock-free lookup of pid, made again if entries moved meanwhile; copies the entry to *found. */
static bool look_up(pid_t pid, entry_t *found)
{
	for (;;) {
		unsigned v = __atomic_load_n(&version, __ATOMIC_ACQUIRE);
		entry_t *slot;

		if (v & 1) {
			sched_yield();
			continue;
		}
		slot = find_in(__atomic_load_n(&current, __ATOMIC_ACQUIRE), pid);
		if (slot != NULL) {
			*found = slot_load(slot);
			slot = entry_pid(*found) == pid ? slot : NULL; /* removed meanwhile */
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&version, __ATOMIC_RELAXED) == v) {
			return slot != NULL;
		}
	}
}

/* The first table, unshared like the variables: most programs never map another one. */
static union {
	struct table table;
	char room[sizeof(struct table) + MIN_CAPACITY * sizeof(entry_t)];
} first UNSHARED;

static struct table *new_table(size_t capacity)
{
	struct table *t = capacity == MIN_CAPACITY && first.table.capacity == 0
				  ? &first.table
				  : unshared_map(sizeof(*t) + capacity * sizeof(entry_t));

	if (t == NULL) {
		return NULL;
	}
	t->capacity = capacity;
	return t;
}

static bool is_free(entry_t e)
{
	return entry_pid(e) == SLOT_EMPTY || entry_pid(e) == SLOT_GONE;
}

/* Writes e into the first free slot of its probe sequence; false if there is none, or a move took
 * one first (a frozen slot: only a write without the lock meets one). A birth recorded without the
 * lock may take the same slot: each write is a compare-and-swap. */
static bool place(struct table *t, entry_t e)
{
	for (size_t i = home(entry_pid(e), t->capacity), n = 0; n < t->capacity; i = (i + 1) & (t->capacity - 1), n++) {
		entry_t seen = slot_load(&t->slots[i]);

		if (entry_pid(seen) == SLOT_FROZEN) {
			return false;
		}
		if (is_free(seen) &&
		    __atomic_compare_exchange_n(&t->slots[i], &seen, e, false, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
			return true;
		}
	}
	return false;
}

/* Takes every slot of from for a move (lock held, version odd): an entry a racing compare-and-swap
 * wrote before is moved, and none written after succeeds. Places the live entries in to (unless
 * NULL); returns their number. */
static size_t move_out(struct table *from, struct table *to)
{
	size_t taken = 0;

	for (size_t i = 0; i < from->capacity; i++) {
		entry_t e = __atomic_exchange_n(&from->slots[i], entry_make(SLOT_FROZEN, 0, 0), __ATOMIC_SEQ_CST);

		if (entry_pid(e) > 0) {
			taken++;
			if (to != NULL) {
				place(to, e);
			}
		}
	}
	return taken;
}

static void clear_slots(struct table *t)
{
	for (size_t i = 0; i < t->capacity; i++) {
		__atomic_store_n(&t->slots[i], SLOT_EMPTY, __ATOMIC_RELEASE);
	}
}

/* Where the first table's tombstones are cleared: a scratch table that needs no mmap. */
static union {
	struct table table;
	char room[sizeof(struct table) + MIN_CAPACITY * sizeof(entry_t)];
} spare UNSHARED;

/* Makes room: a larger table when the live entries need it, else the tombstones cleared in place.
 * Lock held. */
static bool make_room(void)
{
	size_t capacity = MIN_CAPACITY, counted = __atomic_load_n(&live, __ATOMIC_RELAXED);
	struct table *old = current, *scratch;

	while (capacity < (counted + 1) * 4) {
		capacity *= 2;
	}
	if (old == NULL || capacity > old->capacity) {
		struct table *t = new_table(capacity);
		if (t == NULL) {
			return false;
		}
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		if (old != NULL) {
			move_out(old, t);
		}
		__atomic_store_n(&current, t, __ATOMIC_RELEASE);
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&used, __atomic_load_n(&live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
		return true;
	}
	scratch = old->capacity == MIN_CAPACITY ? &spare.table : new_table(old->capacity);
	if (scratch == NULL) {
		return false;
	}
	scratch->capacity = old->capacity;
	clear_slots(scratch);
	__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	move_out(old, scratch);
	clear_slots(old);
	for (size_t i = 0; i < scratch->capacity; i++) {
		if (entry_pid(scratch->slots[i]) > 0) {
			place(old, scratch->slots[i]);
		}
	}
	__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	if (scratch != &spare.table) {
		munmap(scratch, sizeof(*scratch) + scratch->capacity * sizeof(entry_t));
	}
	__atomic_store_n(&used, __atomic_load_n(&live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	return true;
}

/* Marks the slot of pid gone, unless it holds a new child that got the pid after the one the
 * caller is done with: an entry recorded after mark while a child with that pid exists (an entry
 * recorded after mark whose child is gone is the one a wait that began before the birth reaped).
 * False if the slot no longer holds pid's entry, or holds the new child's. status < 0: the exit is
 * unknown. From the removal until an unheard exit is remembered, the exit is in neither place: the
 * removal is counted (registry_settle_forgets). */
static bool remove_slot(entry_t *slot, pid_t pid, int status, unsigned mark);

/* A number that every mark taken from now on compares as older. */
static unsigned long_ago(void)
{
	return __atomic_load_n(&recorded, __ATOMIC_RELAXED) - RESTAMP_AGE;
}

/* One more entry would fill t over half. */
static bool short_of_room(const struct table *t)
{
	return t == NULL || (__atomic_load_n(&used, __ATOMIC_RELAXED) + 1) * 2 > t->capacity;
}

/* Lock held. born: the recording's number; flags: TRACEE or none. A pid still listed (its exit
 * went unseen, or a removal is racing this insert) is marked gone first: the new child gets an
 * entry of its own. */
static void insert(pid_t pid, unsigned born, unsigned flags)
{
	entry_t *slot = find_in(current, pid);

	if (slot != NULL) {
		remove_slot(slot, pid, -1, born);
	}
	if ((short_of_room(current) && !make_room() && current == NULL) || !place(current, entry_make(pid, flags, born))) {
		log_verbose2("out of memory: a child is not recorded as own", "");
		return;
	}
	__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&used, 1, __ATOMIC_RELAXED);
}

static bool restamp_due(unsigned born)
{
	return (born & (RESTAMP_AGE - 1)) == 0;
}

/* Every RESTAMP_AGE births, entries older than that are stamped that old again (lock held): the
 * difference between any entry's number and a mark stays below half the numbers' range. now: the
 * number of the birth that made it due; births recorded since without the lock are left alone. */
static void restamp(unsigned now)
{
	unsigned old = now - RESTAMP_AGE;

	for (size_t i = 0; current != NULL && i < current->capacity; i++) {
		entry_t e = slot_load(&current->slots[i]);

		while (entry_pid(e) > 0 && ((now - entry_born(e)) & BORN_MASK) > RESTAMP_AGE &&
		       ((now - entry_born(e)) & BORN_MASK) <= BORN_MASK / 2 &&
		       !__atomic_compare_exchange_n(&current->slots[i], &e, entry_make(entry_pid(e), entry_flags(e), old),
						    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		}
	}
}

/* Whether a child with this pid exists (alive, stopped or a zombie). Keeps errno. */
static bool child_exists(pid_t pid)
{
	const int any_state = WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL;
	siginfo_t info;
	int saved_errno = errno;
	bool exists = LIBC(waitid)(P_PID, (id_t)pid, &info, any_state) == 0 || errno != ECHILD;

	errno = saved_errno;
	return exists;
}

static bool born_after(unsigned born, unsigned mark)
{
	unsigned ahead = (born - mark) & BORN_MASK;

	return ahead != 0 && ahead < (BORN_MASK + 1) / 2;
}

static bool remove_slot(entry_t *slot, pid_t pid, int status, unsigned mark)
{
	entry_t e = slot_load(slot);
	bool removed = false;
	int pid_held = -1; /* whether a child holds pid: asked once, and only of a newer entry */

	__atomic_add_fetch(&forgetting, 1, __ATOMIC_SEQ_CST);
	forgetting_here++;
	while (entry_pid(e) == pid) {
		if (born_after(entry_born(e), mark)) {
			if (pid_held < 0) {
				pid_held = child_exists(pid);
			}
			if (pid_held) {
				break;
			}
		}
		if (__atomic_compare_exchange_n(slot, &e, entry_make(SLOT_GONE, 0, 0), false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE)) {
			removed = true;
			break;
		}
	}
	if (removed) {
		__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
		if (status >= 0 && !(entry_flags(e) & ANNOUNCED)) {
			unheard_remember(pid, status);
		}
	}
	forgetting_here--;
	__atomic_sub_fetch(&forgetting, 1, __ATOMIC_SEQ_CST);
	return removed;
}

/* Spins while another thread is between them: it never waits for anything there. A removal this
 * thread was interrupted in ends only after the caller returns. */
void registry_settle_forgets(void)
{
	while (__atomic_load_n(&forgetting, __ATOMIC_SEQ_CST) > forgetting_here) {
		sched_yield();
	}
}

void registry_birth_begin(void)
{
	__atomic_add_fetch(&births, 1, __ATOMIC_SEQ_CST);
}

/* While the kernel reaps: the live entries at which to look for stale ones again. */
static size_t prune_threshold(void)
{
	return prune_at > MIN_PRUNE ? prune_at : MIN_PRUNE;
}

/* Lock held: drops the entries of children that no longer exist. */
static void prune_locked(void)
{
	unsigned mark = registry_mark();

	for (size_t i = 0; current != NULL && i < current->capacity; i++) {
		entry_t *slot = &current->slots[i];
		pid_t pid = slot_pid(slot);

		if (pid > 0 && !child_exists(pid)) {
			remove_slot(slot, pid, -1, mark);
		}
	}
	prune_at = live * 2;
}

static bool same_birth(entry_t a, entry_t b)
{
	return entry_pid(a) == entry_pid(b) && entry_born(a) == entry_born(b);
}

/* A move began while insert_without_lock wrote e. The entry is in the current table (moved with
 * the rest, or written after a move cleared the slot it had read as free, maybe where no probe
 * reaches it) unless a wait has forgotten it since. Lock held: each probe for the pid finds it, and
 * an older entry for the pid that the check before the write missed is marked gone, as insert()
 * marks one. Until the birth ends, a wait that cannot find the entry waits for it (wait.c). */
static void settle_overtaken_insert(entry_t e)
{
	pid_t pid = entry_pid(e);
	entry_t *slot;
	sigset_t mask;

	lock_take(&lock, &mask);
	slot = find_in(current, pid);
	if (slot != NULL && !same_birth(slot_load(slot), e)) {
		remove_slot(slot, pid, -1, entry_born(e));
		slot = find_in(current, pid);
	}
	for (size_t i = 0; slot == NULL && i < current->capacity; i++) {
		entry_t seen = slot_load(&current->slots[i]);

		if (same_birth(seen, e)) {
			__atomic_store_n(&current->slots[i], entry_make(SLOT_GONE, 0, 0), __ATOMIC_SEQ_CST);
			place(current, seen);
			break;
		}
	}
	lock_give(&lock, &mask);
}

/* The common birth, without the lock (so without a change of the signal mask, lock.h): one
 * compare-and-swap into a free slot of the current table. Declines, having written nothing, where
 * the locked insert has more to do: no room, an entry for the pid already there, a restamp due, a
 * table the kernel's own reaping keeps stale, a move in progress. */
static bool insert_without_lock(pid_t pid, unsigned born)
{
	unsigned v = __atomic_load_n(&version, __ATOMIC_SEQ_CST);
	struct table *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
	entry_t e = entry_make(pid, 0, born);

	if ((v & 1) || short_of_room(t) || restamp_due(born) || __atomic_load_n(&kernel_reaps, __ATOMIC_RELAXED) ||
	    find_in(t, pid) != NULL) {
		return false;
	}
	/* Counted before it shows, so that a move that takes it never counts below zero. */
	__atomic_add_fetch(&live, 1, __ATOMIC_SEQ_CST);
	if (!place(t, e)) {
		__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
		return false;
	}
	__atomic_add_fetch(&used, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&version, __ATOMIC_SEQ_CST) != v) {
		settle_overtaken_insert(e);
	}
	return true;
}

bool registry_birth_end(pid_t pid)
{
	sigset_t mask;

	if (pid > 0) {
		unsigned born = __atomic_add_fetch(&recorded, 1, __ATOMIC_SEQ_CST);

		if (!insert_without_lock(pid, born)) {
			lock_take(&lock, &mask);
			insert(pid, born, 0);
			if (restamp_due(born)) {
				restamp(born);
			}
			if (__atomic_load_n(&kernel_reaps, __ATOMIC_RELAXED) && live >= prune_threshold()) {
				prune_locked();
			}
			lock_give(&lock, &mask);
		}
		stash_clear(pid); /* a status from the pid's previous life; after the insert (stash.c) */
	}
	return __atomic_sub_fetch(&births, 1, __ATOMIC_SEQ_CST) == 0 && !registry_undecidable();
}

bool registry_births_in_flight(void)
{
	return __atomic_load_n(&births, __ATOMIC_SEQ_CST) != 0;
}

void registry_opaque_begin(void)
{
	__atomic_add_fetch(&opaque, 1, __ATOMIC_SEQ_CST);
}

bool registry_opaque_end(void)
{
	return __atomic_sub_fetch(&opaque, 1, __ATOMIC_SEQ_CST) == 0 && !registry_undecidable();
}

bool registry_undecidable(void)
{
	return __atomic_load_n(&births, __ATOMIC_SEQ_CST) != 0 || __atomic_load_n(&opaque, __ATOMIC_SEQ_CST) != 0;
}

/* An entry as old as any, of a child the image had at start or a tracee (flags). */
static void adopt(pid_t pid, unsigned flags)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	if (find_in(current, pid) == NULL) {
		insert(pid, long_ago(), flags);
	}
	lock_give(&lock, &mask);
}

void registry_adopt(pid_t pid)
{
	__atomic_store_n(&clone_kind, 1, __ATOMIC_SEQ_CST);
	adopt(pid, 0);
}

void registry_expect_clone_kind(void)
{
	__atomic_store_n(&clone_kind, 1, __ATOMIC_SEQ_CST);
}

bool registry_may_list_clone_kind(void)
{
	return __atomic_load_n(&clone_kind, __ATOMIC_SEQ_CST) != 0;
}

void registry_adopt_tracee(pid_t pid)
{
	adopt(pid, TRACEE);
}

void registry_forget_tracee(pid_t pid)
{
	entry_t e;

	if (look_up(pid, &e) && (entry_flags(e) & TRACEE)) {
		registry_forget(pid, -1, registry_mark());
	}
}

bool registry_is_own(pid_t pid)
{
	entry_t e;

	return look_up(pid, &e);
}

unsigned registry_mark(void)
{
	return __atomic_load_n(&recorded, __ATOMIC_SEQ_CST);
}

bool registry_reaped_own(pid_t pid, unsigned mark)
{
	entry_t e;

	if (!look_up(pid, &e)) {
		return false;
	}
	/* Recorded before the call began: that child held the pid until the call reaped it. Recorded
	 * since: either it got the pid before the reap (and is gone now), or after it (and exists). */
	return !born_after(entry_born(e), mark) || !child_exists(pid);
}

bool registry_recorded_since(pid_t pid, unsigned mark)
{
	entry_t e;

	return look_up(pid, &e) && born_after(entry_born(e), mark);
}

/* Lock-free in the common case: the slot is marked gone with compare-and-swap. If entries moved
 * meanwhile, the move took the entry (the compare-and-swap failed) or not (it came first): the
 * removal is made again under the lock, and finds the entry only in the first case. */
void registry_forget(pid_t pid, int status, unsigned mark)
{
	unsigned v = __atomic_load_n(&version, __ATOMIC_SEQ_CST);
	entry_t *slot;
	sigset_t mask;

	if (!(v & 1)) {
		slot = find_in(__atomic_load_n(&current, __ATOMIC_ACQUIRE), pid);
		if (slot != NULL) {
			remove_slot(slot, pid, status, mark);
		}
		if (__atomic_load_n(&version, __ATOMIC_SEQ_CST) == v) {
			return;
		}
	}
	lock_take(&lock, &mask);
	slot = find_in(current, pid);
	if (slot != NULL) {
		remove_slot(slot, pid, status, mark);
	}
	lock_give(&lock, &mask);
}

void registry_forget_all(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	if (current != NULL) {
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&live, move_out(current, NULL), __ATOMIC_SEQ_CST);
		clear_slots(current);
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&used, __atomic_load_n(&live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	lock_give(&lock, &mask);
}

size_t registry_count(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

bool registry_announced(pid_t pid)
{
	entry_t e;

	return look_up(pid, &e) && (entry_flags(e) & ANNOUNCED);
}

/* Sets flag in pid's entry to `to` with compare-and-swap on the whole entry, unless the entry is
 * newer than *mark (when mark is not NULL); returns whether this call changed it. Under the lock,
 * so that no move copies the entry meanwhile. */
static bool change_flag(pid_t pid, unsigned flag, bool to, const unsigned *mark)
{
	sigset_t mask;
	entry_t *slot, e;
	bool changed = false;

	lock_take(&lock, &mask);
	slot = find_in(current, pid);
	e = slot != NULL ? slot_load(slot) : 0;
	while (slot != NULL && entry_pid(e) == pid && (mark == NULL || !born_after(entry_born(e), *mark)) &&
	       ((entry_flags(e) & flag) != 0) != to) {
		if (__atomic_compare_exchange_n(slot, &e, e ^ (entry_t)flag << 32, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			changed = true;
			break;
		}
	}
	lock_give(&lock, &mask);
	return changed;
}

/* A removal in another thread either came first (nothing is announced: that removal remembered
 * the exit as unheard) or sees the flag (and does not remember it). */
bool registry_announce_as_of(pid_t pid, unsigned mark)
{
	return change_flag(pid, ANNOUNCED, true, &mark);
}

bool registry_tell_stopped(pid_t pid, bool stopped)
{
	return change_flag(pid, TOLD_STOPPED, stopped, NULL);
}

/* The own child found last is asked first: a program's children usually share its group, so the
 * answer costs one getpgid; only when no own child is in the group are they all asked. */
bool registry_any_in_group(pid_t pgid)
{
	pid_t hint = __atomic_load_n(&group_hint, __ATOMIC_RELAXED);

	if (hint > 0 && registry_is_own(hint) && getpgid(hint) == pgid) {
		return true;
	}
	for (;;) {
		unsigned v = __atomic_load_n(&version, __ATOMIC_ACQUIRE);
		struct table *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
		pid_t found = 0;

		for (size_t i = 0; !(v & 1) && found == 0 && t != NULL && i < t->capacity; i++) {
			pid_t pid = slot_pid(&t->slots[i]);
			found = pid > 0 && getpgid(pid) == pgid ? pid : 0;
		}
		if (!(v & 1) && __atomic_load_n(&version, __ATOMIC_ACQUIRE) == v) {
			if (found != 0) {
				__atomic_store_n(&group_hint, found, __ATOMIC_RELAXED);
			}
			return found != 0;
		}
		sched_yield();
	}
}

void registry_set_kernel_reaps(bool on)
{
	/* Back to waits that report every child: entries the kernel reaped meanwhile go now. */
	if (__atomic_exchange_n(&kernel_reaps, on, __ATOMIC_SEQ_CST) && !on) {
		registry_prune();
	}
}

/* Starts where a child was found last: while it lives, the answer costs one system call; each
 * entry found dead on the way is dropped, once. */
bool registry_any_alive(void)
{
	sigset_t mask;
	bool found = false;

	lock_take(&lock, &mask);
	for (size_t n = 0; current != NULL && n < current->capacity && !found; n++) {
		size_t i = (alive_hint + n) & (current->capacity - 1);
		entry_t *slot = &current->slots[i];
		pid_t pid = slot_pid(slot);

		if (pid <= 0) {
			continue;
		}
		if (child_exists(pid)) {
			alive_hint = i;
			found = true;
		} else {
			remove_slot(slot, pid, -1, registry_mark());
		}
	}
	lock_give(&lock, &mask);
	return found;
}

void registry_prune(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	prune_locked();
	lock_give(&lock, &mask);
}

/* Under the lock, so that no entry moves meanwhile; visit must not call into the registry. */
void registry_foreach(void (*visit)(pid_t, void *), void *ctx)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	for (size_t i = 0; current != NULL && i < current->capacity; i++) {
		pid_t pid = slot_pid(&current->slots[i]);
		if (pid > 0) {
			visit(pid, ctx);
		}
	}
	lock_give(&lock, &mask);
}

void registry_parse_list(const char *list, void (*visit)(pid_t, void *), void *ctx)
{
	pid_t pid = 0;

	for (const char *p = list;; p++) {
		if (*p >= '0' && *p <= '9') {
			pid = pid * 10 + (*p - '0');
			continue;
		}
		if (pid > 0) {
			visit(pid, ctx);
		}
		pid = 0;
		if (*p == '\0') {
			return;
		}
	}
}

/* Only what needs it is written: each page the child writes is a copy. */
void registry_reset_in_child(void)
{
	/* Where the kernel wipes the unshared pages, these are zero in the child already. */
	if (lock != 0) {
		lock = 0;
	}
	/* A move interrupted by the fork in another thread never ends here. */
	if (version & 1) {
		version++;
	}
}
