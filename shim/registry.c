/* registry.c: owns the table of own children and the births in flight (see registry.h).
 *
 * The table is an open-addressing hash set of pids in memory from mmap (never malloc: it may grow
 * from a fork called in a signal handler), so insert, lookup and removal are O(1) and there is no
 * fixed limit. Lookups, the hot path of the SIGCHLD handler, take no lock: slots are read
 * atomically, a table outgrown is kept (readers may still be in it; their total stays below twice
 * the largest), and a clean-up that moves entries in place is bracketed by a version counter that
 * readers check, seqlock-style. Changes take the one lock whose holder blocks signals (lock.h).
 *
 * Each entry carries the number of its recording in the order of births, so that a call that freed
 * a pid can tell the child that held the pid before it began from one that got the pid since
 * (registry_reaped_own). While the kernel reaps children by itself, entries go stale unseen: they
 * are dropped whenever the live entries have doubled since the last look, which keeps the table
 * within twice the children that exist, at O(1) amortised per birth. */
#include "registry.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "real.h"
#include "stash.h"
#include "unheard.h"

#define SLOT_EMPTY 0
#define SLOT_GONE (-1)
#define ANNOUNCED 1u
#define TRACEE 2u /* own only as a tracee of the program (ptrace.c) */
#define MIN_CAPACITY 64
/* While the kernel reaps: the first look for stale entries, and the least between two. */
#define MIN_PRUNE 64

struct slot {
	pid_t pid;
	unsigned flags;
	unsigned born; /* the recording's number (recorded); 0: adopted at start */
};

struct table {
	size_t capacity; /* a power of two */
	struct slot slots[];
};

static int lock;
static struct table *current; /* NULL before the first insert */
static unsigned version;      /* odd while entries move within the current table */
static size_t live;           /* own children recorded */
static size_t used;           /* live plus tombstones */
static int births;            /* creating calls in flight */
static int opaque;            /* libc-internal child windows in flight */
static unsigned recorded;     /* births recorded so far (wraps; compared as a difference) */
static int kernel_reaps;      /* SIGCHLD ignored or SA_NOCLDWAIT: entries go stale unseen */
static size_t prune_at = MIN_PRUNE; /* live entries at which to look for stale ones again */
static size_t alive_hint;     /* slot where registry_any_alive() last found a child */
static pid_t group_hint;      /* the own child registry_any_in_group() last found */
static int forgetting;        /* removals in progress, in all threads (remove_slot) */
static __thread int forgetting_here __attribute__((tls_model("initial-exec")));

static size_t home(pid_t pid, size_t capacity)
{
	return ((unsigned)pid * 2654435761u) & (capacity - 1);
}

static pid_t slot_pid(const struct slot *s)
{
	return __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
}

static struct slot *find_in(struct table *t, pid_t pid)
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

/* Lock-free lookup of pid, made again if entries moved meanwhile; copies the entry to *entry. */
static bool look_up(pid_t pid, struct slot *entry)
{
	for (;;) {
		unsigned v = __atomic_load_n(&version, __ATOMIC_ACQUIRE);
		struct slot *s;

		if (v & 1) {
			sched_yield();
			continue;
		}
		s = find_in(__atomic_load_n(&current, __ATOMIC_ACQUIRE), pid);
		if (s != NULL) {
			entry->flags = __atomic_load_n(&s->flags, __ATOMIC_ACQUIRE);
			entry->born = __atomic_load_n(&s->born, __ATOMIC_ACQUIRE);
			s = slot_pid(s) == pid ? s : NULL; /* removed meanwhile */
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&version, __ATOMIC_RELAXED) == v) {
			return s != NULL;
		}
	}
}

static struct table *new_table(size_t capacity)
{
	struct table *t = mmap(NULL, sizeof(*t) + capacity * sizeof(struct slot), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED) {
		return NULL;
	}
	t->capacity = capacity;
	return t;
}

static void place(struct table *t, const struct slot *entry)
{
	size_t i = home(entry->pid, t->capacity);

	while (t->slots[i].pid != SLOT_EMPTY && t->slots[i].pid != SLOT_GONE) {
		i = (i + 1) & (t->capacity - 1);
	}
	__atomic_store_n(&t->slots[i].flags, entry->flags, __ATOMIC_RELAXED);
	__atomic_store_n(&t->slots[i].born, entry->born, __ATOMIC_RELAXED);
	__atomic_store_n(&t->slots[i].pid, entry->pid, __ATOMIC_RELEASE);
}

/* Counts live entries again after they moved, since a lock-free removal may have raced the move.
 * Lock held. */
static void recount(void)
{
	size_t n = 0;

	for (size_t i = 0; i < current->capacity; i++) {
		n += slot_pid(&current->slots[i]) > 0;
	}
	__atomic_store_n(&live, n, __ATOMIC_RELAXED);
}

/* Makes room: a larger table when the live entries need it, else the tombstones cleared in place.
 * Lock held. */
static bool make_room(void)
{
	size_t capacity = MIN_CAPACITY;
	struct table *old = current, *scratch;

	while (capacity < (live + 1) * 4) {
		capacity *= 2;
	}
	if (old == NULL || capacity > old->capacity) {
		struct table *t = new_table(capacity);
		if (t == NULL) {
			return false;
		}
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		for (size_t i = 0; old != NULL && i < old->capacity; i++) {
			struct slot entry = old->slots[i];
			entry.pid = slot_pid(&old->slots[i]);
			if (entry.pid > 0) {
				place(t, &entry);
			}
		}
		__atomic_store_n(&current, t, __ATOMIC_RELEASE);
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		recount();
		used = live;
		return true;
	}
	scratch = new_table(old->capacity);
	if (scratch == NULL) {
		return false;
	}
	__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	memcpy(scratch->slots, old->slots, old->capacity * sizeof(struct slot));
	memset(old->slots, 0, old->capacity * sizeof(struct slot));
	for (size_t i = 0; i < scratch->capacity; i++) {
		if (scratch->slots[i].pid > 0) {
			place(old, &scratch->slots[i]);
		}
	}
	__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	munmap(scratch, sizeof(*scratch) + scratch->capacity * sizeof(struct slot));
	recount();
	used = live;
	return true;
}

/* Lock held. born: the recording's number, 0 for a child adopted at start. */
static void insert(pid_t pid, unsigned born)
{
	struct slot *s = find_in(current, pid);
	struct slot entry = {.pid = pid, .born = born};

	if (s != NULL) { /* a recycled pid is a new child */
		__atomic_store_n(&s->flags, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->born, born, __ATOMIC_RELEASE);
		return;
	}
	if ((current == NULL || (used + 1) * 2 > current->capacity) && !make_room() &&
	    (current == NULL || used + 1 >= current->capacity)) {
		log_verbose2("out of memory: a child is not recorded as own", "");
		return;
	}
	place(current, &entry);
	__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	used++;
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

/* Marks the slot of pid gone; false if it no longer holds pid. status < 0: the exit is unknown.
 * From the removal until an unheard exit is remembered, the exit is in neither place: the removal
 * is counted (registry_settle_forgets). */
static bool remove_slot(struct slot *s, pid_t pid, int status)
{
	bool removed;

	__atomic_add_fetch(&forgetting, 1, __ATOMIC_SEQ_CST);
	forgetting_here++;
	removed = __atomic_compare_exchange_n(&s->pid, &pid, SLOT_GONE, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	if (removed) {
		__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
		if (status >= 0 && !(__atomic_load_n(&s->flags, __ATOMIC_ACQUIRE) & ANNOUNCED)) {
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

/* Lock held: drops the entries of children that no longer exist. */
static void prune_locked(void)
{
	for (size_t i = 0; current != NULL && i < current->capacity; i++) {
		struct slot *s = &current->slots[i];
		pid_t pid = slot_pid(s);

		if (pid > 0 && !child_exists(pid)) {
			remove_slot(s, pid, -1);
		}
	}
	prune_at = live * 2 > MIN_PRUNE ? live * 2 : MIN_PRUNE;
}

bool registry_birth_end(pid_t pid)
{
	sigset_t mask;

	if (pid > 0) {
		lock_take(&lock, &mask);
		insert(pid, __atomic_add_fetch(&recorded, 1, __ATOMIC_SEQ_CST));
		if (__atomic_load_n(&kernel_reaps, __ATOMIC_RELAXED) && live >= prune_at) {
			prune_locked();
		}
		lock_give(&lock, &mask);
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

void registry_adopt(pid_t pid)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	insert(pid, 0);
	lock_give(&lock, &mask);
}

void registry_adopt_tracee(pid_t pid)
{
	struct slot *s;
	sigset_t mask;

	lock_take(&lock, &mask);
	if (find_in(current, pid) == NULL) {
		insert(pid, 0);
		s = find_in(current, pid);
		if (s != NULL) {
			__atomic_fetch_or(&s->flags, TRACEE, __ATOMIC_ACQ_REL);
		}
	}
	lock_give(&lock, &mask);
}

void registry_forget_tracee(pid_t pid)
{
	struct slot entry;

	if (look_up(pid, &entry) && (entry.flags & TRACEE)) {
		registry_forget(pid, -1);
	}
}

bool registry_is_own(pid_t pid)
{
	struct slot entry;

	return look_up(pid, &entry);
}

unsigned registry_mark(void)
{
	return __atomic_load_n(&recorded, __ATOMIC_SEQ_CST);
}

static bool recorded_after(const struct slot *entry, unsigned mark)
{
	return (int)(entry->born - mark) > 0;
}

bool registry_reaped_own(pid_t pid, unsigned mark)
{
	struct slot entry;

	if (!look_up(pid, &entry)) {
		return false;
	}
	/* Recorded before the call began: that child held the pid until the call reaped it. Recorded
	 * since: either it got the pid before the reap (and is gone now), or after it (and exists). */
	return !recorded_after(&entry, mark) || !child_exists(pid);
}

bool registry_recorded_since(pid_t pid, unsigned mark)
{
	struct slot entry;

	return look_up(pid, &entry) && recorded_after(&entry, mark);
}

/* Lock-free in the common case: the slot is marked gone with compare-and-swap. If entries moved
 * meanwhile, the move may have copied the pid already: the removal is made again under the lock,
 * which also counts the live entries afresh. */
void registry_forget(pid_t pid, int status)
{
	unsigned v = __atomic_load_n(&version, __ATOMIC_SEQ_CST);
	struct slot *s;
	sigset_t mask;

	if (!(v & 1)) {
		s = find_in(__atomic_load_n(&current, __ATOMIC_ACQUIRE), pid);
		if (s != NULL) {
			remove_slot(s, pid, status);
		}
		if (__atomic_load_n(&version, __ATOMIC_SEQ_CST) == v) {
			return;
		}
	}
	lock_take(&lock, &mask);
	s = find_in(current, pid);
	if (s != NULL) {
		remove_slot(s, pid, status);
	}
	recount();
	lock_give(&lock, &mask);
}

void registry_forget_all(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	if (current != NULL) {
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
		memset(current->slots, 0, current->capacity * sizeof(struct slot));
		__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&live, 0, __ATOMIC_RELAXED);
	used = 0;
	lock_give(&lock, &mask);
}

size_t registry_count(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

bool registry_announced(pid_t pid)
{
	struct slot entry;

	return look_up(pid, &entry) && (entry.flags & ANNOUNCED);
}

/* Under the lock: a lock-free retry after entries moved would see its own mark and miss a report. */
bool registry_announce_as_of(pid_t pid, unsigned mark)
{
	sigset_t mask;
	struct slot *s;
	bool fresh = false;

	lock_take(&lock, &mask);
	s = find_in(current, pid);
	if (s != NULL && !recorded_after(s, mark)) {
		fresh = !(__atomic_fetch_or(&s->flags, ANNOUNCED, __ATOMIC_ACQ_REL) & ANNOUNCED);
	}
	lock_give(&lock, &mask);
	return fresh;
}

bool registry_announce(pid_t pid)
{
	return registry_announce_as_of(pid, registry_mark());
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
		struct slot *s = &current->slots[i];
		pid_t pid = slot_pid(s);

		if (pid <= 0) {
			continue;
		}
		if (child_exists(pid)) {
			alive_hint = i;
			found = true;
		} else {
			remove_slot(s, pid, -1);
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
	if (lock != 0) {
		lock = 0;
	}
	/* A move interrupted by the fork in another thread never ends here. */
	if (version & 1) {
		version++;
	}
}
