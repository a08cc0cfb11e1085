/* registry.c: owns the table of own children, the births in flight and the stash (see registry.h).
 *
 * The table is an open-addressing hash set of pids in memory from mmap (never malloc: it may grow
 * from a fork called in a signal handler), so insert, lookup and removal are O(1) and there is no
 * fixed limit. Lookups, the hot path of the SIGCHLD handler, take no lock: slots are read
 * atomically, a table outgrown is kept (readers may still be in it; their total stays below twice
 * the largest), and a clean-up that moves entries in place is bracketed by a version counter that
 * readers check, seqlock-style. Changes take the one lock whose holder blocks signals (lock.h).
 * The stash is a small ring whose slots are claimed with compare-and-swap. */
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

#define SLOT_EMPTY 0
#define SLOT_GONE (-1)
#define ANNOUNCED 1u
#define MIN_CAPACITY 64

struct slot {
	pid_t pid;
	unsigned flags;
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

enum { STASH_EMPTY, STASH_WRITING, STASH_FULL, STASH_TAKING };
#define STASH_SIZE 32
struct stashed {
	int state;
	pid_t pid;
	int status;
	struct rusage usage;
};
static struct stashed stash[STASH_SIZE];

/* Own children whose exit the program collected before the shim's handler told it of them: their
 * signal, when it comes or merged into another, still belongs to the program. */
#define UNHEARD_SIZE 32
struct unheard_exit {
	int state; /* STASH_* */
	pid_t pid;
	int status;
};
static struct unheard_exit unheard[UNHEARD_SIZE];
static unsigned unheard_next;
static unsigned stash_next;
static int stash_filled;

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

/* Lock-free lookup of pid, made again if entries moved meanwhile. */
static bool look_up(pid_t pid)
{
	for (;;) {
		unsigned v = __atomic_load_n(&version, __ATOMIC_ACQUIRE);
		bool found;

		if (v & 1) {
			sched_yield();
			continue;
		}
		found = find_in(__atomic_load_n(&current, __ATOMIC_ACQUIRE), pid) != NULL;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&version, __ATOMIC_RELAXED) == v) {
			return found;
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

static void place(struct table *t, pid_t pid, unsigned flags)
{
	size_t i = home(pid, t->capacity);

	while (t->slots[i].pid != SLOT_EMPTY && t->slots[i].pid != SLOT_GONE) {
		i = (i + 1) & (t->capacity - 1);
	}
	__atomic_store_n(&t->slots[i].flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&t->slots[i].pid, pid, __ATOMIC_RELEASE);
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
			pid_t pid = slot_pid(&old->slots[i]);
			if (pid > 0) {
				place(t, pid, old->slots[i].flags);
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
			place(old, scratch->slots[i].pid, scratch->slots[i].flags);
		}
	}
	__atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST);
	munmap(scratch, sizeof(*scratch) + scratch->capacity * sizeof(struct slot));
	recount();
	used = live;
	return true;
}

/* Lock held. */
static void insert(pid_t pid)
{
	struct slot *s = find_in(current, pid);

	if (s != NULL) {
		__atomic_store_n(&s->flags, 0, __ATOMIC_RELAXED); /* a recycled pid is a new child */
		return;
	}
	if ((current == NULL || (used + 1) * 2 > current->capacity) && !make_room() &&
	    (current == NULL || used + 1 >= current->capacity)) {
		log_verbose2("out of memory: a child is not recorded as own", "");
		return;
	}
	place(current, pid, 0);
	__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	used++;
}

static void remember_unheard(pid_t pid, int status)
{
	for (int tries = 0; tries < UNHEARD_SIZE; tries++) {
		struct unheard_exit *u = &unheard[__atomic_fetch_add(&unheard_next, 1, __ATOMIC_RELAXED) % UNHEARD_SIZE];
		int from = __atomic_load_n(&u->state, __ATOMIC_ACQUIRE);

		if ((from == STASH_EMPTY || from == STASH_FULL) &&
		    __atomic_compare_exchange_n(&u->state, &from, STASH_WRITING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			u->pid = pid;
			u->status = status;
			__atomic_store_n(&u->state, STASH_FULL, __ATOMIC_RELEASE);
			return;
		}
	}
}

/* Marks the slot of pid gone; false if it no longer holds pid. status < 0: the exit is unknown. */
static bool remove_slot(struct slot *s, pid_t pid, int status)
{
	if (!__atomic_compare_exchange_n(&s->pid, &pid, SLOT_GONE, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		return false;
	}
	__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
	if (status >= 0 && !(__atomic_load_n(&s->flags, __ATOMIC_ACQUIRE) & ANNOUNCED)) {
		remember_unheard(pid, status);
	}
	return true;
}

static bool stash_claim(struct stashed *s, int from, int to)
{
	return __atomic_compare_exchange_n(&s->state, &from, to, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Empties the stash slot of pid, copying it out when status is not NULL. */
static bool stash_remove(pid_t pid, int *status, struct rusage *usage)
{
	if (__atomic_load_n(&stash_filled, __ATOMIC_ACQUIRE) == 0) {
		return false;
	}
	for (unsigned i = 0; i < STASH_SIZE; i++) {
		struct stashed *s = &stash[i];

		if (__atomic_load_n(&s->pid, __ATOMIC_RELAXED) != pid || !stash_claim(s, STASH_FULL, STASH_TAKING)) {
			continue;
		}
		if (s->pid != pid) { /* overwritten in between */
			__atomic_store_n(&s->state, STASH_FULL, __ATOMIC_RELEASE);
			continue;
		}
		if (status != NULL) {
			*status = s->status;
			if (usage != NULL) {
				*usage = s->usage;
			}
		}
		__atomic_store_n(&s->state, STASH_EMPTY, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&stash_filled, 1, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

void registry_birth_begin(void)
{
	__atomic_add_fetch(&births, 1, __ATOMIC_SEQ_CST);
}

bool registry_birth_end(pid_t pid)
{
	sigset_t mask;

	if (pid > 0) {
		lock_take(&lock, &mask);
		insert(pid);
		lock_give(&lock, &mask);
		stash_remove(pid, NULL, NULL); /* a status from the pid's previous life */
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
	insert(pid);
	lock_give(&lock, &mask);
}

bool registry_is_own(pid_t pid)
{
	return look_up(pid);
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

/* Under the lock: a lock-free retry after entries moved would see its own mark and miss a report. */
bool registry_announce(pid_t pid)
{
	sigset_t mask;
	struct slot *s;
	bool fresh = false;

	lock_take(&lock, &mask);
	s = find_in(current, pid);
	if (s != NULL) {
		fresh = !(__atomic_fetch_or(&s->flags, ANNOUNCED, __ATOMIC_ACQ_REL) & ANNOUNCED);
	}
	lock_give(&lock, &mask);
	return fresh;
}

/* Takes one unheard exit, of pid or (pid 0) of any child; fills *status. */
static bool take_unheard(pid_t pid, pid_t *taken, int *status)
{
	for (unsigned i = 0; i < UNHEARD_SIZE; i++) {
		struct unheard_exit *u = &unheard[i];
		int full = STASH_FULL;

		if ((pid != 0 && __atomic_load_n(&u->pid, __ATOMIC_RELAXED) != pid) ||
		    !__atomic_compare_exchange_n(&u->state, &full, STASH_TAKING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			continue;
		}
		if (pid != 0 && u->pid != pid) { /* overwritten in between */
			__atomic_store_n(&u->state, STASH_FULL, __ATOMIC_RELEASE);
			continue;
		}
		*taken = u->pid;
		*status = u->status;
		__atomic_store_n(&u->state, STASH_EMPTY, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

bool registry_take_unheard(pid_t pid)
{
	pid_t taken;
	int status;

	return take_unheard(pid, &taken, &status);
}

bool registry_take_any_unheard(pid_t *pid, int *status)
{
	return take_unheard(0, pid, status);
}

bool registry_any_in_group(pid_t pgid)
{
	for (;;) {
		unsigned v = __atomic_load_n(&version, __ATOMIC_ACQUIRE);
		struct table *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
		bool found = false;

		for (size_t i = 0; !(v & 1) && !found && t != NULL && i < t->capacity; i++) {
			pid_t pid = slot_pid(&t->slots[i]);
			found = pid > 0 && getpgid(pid) == pgid;
		}
		if (!(v & 1) && __atomic_load_n(&version, __ATOMIC_ACQUIRE) == v) {
			return found;
		}
		sched_yield();
	}
}

void registry_prune(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	for (size_t i = 0; current != NULL && i < current->capacity; i++) {
		siginfo_t info;
		struct slot *s = &current->slots[i];

		pid_t pid = s->pid;

		if (pid > 0 &&
		    LIBC(waitid)(P_PID, (id_t)pid, &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) < 0 &&
		    errno == ECHILD) {
			remove_slot(s, pid, -1);
		}
	}
	lock_give(&lock, &mask);
}

void registry_format(char *buf, size_t len)
{
	struct table *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
	size_t at = 0;

	for (size_t i = 0; t != NULL && i < t->capacity; i++) {
		char digits[12];
		size_t n = 0;
		pid_t pid = slot_pid(&t->slots[i]);
		unsigned v = (unsigned)pid;

		if (pid <= 0) {
			continue;
		}
		do {
			digits[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		if (at + n + 2 > len) {
			break;
		}
		if (at > 0) {
			buf[at++] = ',';
		}
		while (n > 0) {
			buf[at++] = digits[--n];
		}
	}
	buf[at] = '\0';
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

void stash_put(pid_t pid, int status, const struct rusage *usage)
{
	for (;;) {
		struct stashed *s = &stash[__atomic_fetch_add(&stash_next, 1, __ATOMIC_RELAXED) % STASH_SIZE];
		bool was_full = stash_claim(s, STASH_FULL, STASH_WRITING);

		if (!was_full && !stash_claim(s, STASH_EMPTY, STASH_WRITING)) {
			continue; /* another thread is on this slot: the next one */
		}
		__atomic_store_n(&s->pid, pid, __ATOMIC_RELAXED);
		s->status = status;
		if (usage != NULL) {
			s->usage = *usage;
		} else {
			memset(&s->usage, 0, sizeof(s->usage));
		}
		__atomic_store_n(&s->state, STASH_FULL, __ATOMIC_RELEASE);
		if (!was_full) {
			__atomic_add_fetch(&stash_filled, 1, __ATOMIC_RELEASE);
		}
		return;
	}
}

bool stash_take(pid_t pid, int *status, struct rusage *usage)
{
	return stash_remove(pid, status, usage);
}

void registry_reset_in_child(void)
{
	lock = 0;
	/* A move interrupted by the fork in another thread never ends here. */
	if (version & 1) {
		version++;
	}
}
