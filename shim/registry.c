/* registry.c: owns the table of own children, the births in flight and the stash (see registry.h).
 *
 * The table is an open-addressing hash set of pids in memory from mmap (never malloc: it may grow
 * from a fork called in a signal handler), so insert, lookup and removal are O(1) and there is no
 * fixed limit. All of it sits behind one lock whose holder blocks signals (lock.h). */
#include "registry.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

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

static int lock;
static struct slot *table;
static size_t capacity; /* a power of two, or 0 before the first insert */
static size_t live;     /* own children recorded */
static size_t used;     /* live plus tombstones */
static int births;      /* creating calls in flight */
static int opaque;      /* libc-internal child windows in flight */

#define STASH_SIZE 32
struct stashed {
	pid_t pid;
	int status;
	struct rusage usage;
};
static struct stashed stash[STASH_SIZE];
static unsigned stash_next;

static size_t home(pid_t pid)
{
	return ((unsigned)pid * 2654435761u) & (capacity - 1);
}

static struct slot *find(pid_t pid)
{
	if (capacity == 0) {
		return NULL;
	}
	for (size_t i = home(pid);; i = (i + 1) & (capacity - 1)) {
		if (table[i].pid == pid) {
			return &table[i];
		}
		if (table[i].pid == SLOT_EMPTY) {
			return NULL;
		}
	}
}

static void place(struct slot *slots, size_t cap, pid_t pid, unsigned flags)
{
	size_t i = ((unsigned)pid * 2654435761u) & (cap - 1);

	while (slots[i].pid != SLOT_EMPTY && slots[i].pid != SLOT_GONE) {
		i = (i + 1) & (cap - 1);
	}
	slots[i].pid = pid;
	slots[i].flags = flags;
}

/* Rebuilds the table with room for twice the live entries and no tombstones. */
static bool rebuild(void)
{
	size_t cap = MIN_CAPACITY;
	struct slot *slots;

	while (cap < (live + 1) * 4) {
		cap *= 2;
	}
	slots = mmap(NULL, cap * sizeof(*slots), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		return false;
	}
	for (size_t i = 0; i < capacity; i++) {
		if (table[i].pid > 0) {
			place(slots, cap, table[i].pid, table[i].flags);
		}
	}
	if (table != NULL) {
		munmap(table, capacity * sizeof(*table));
	}
	table = slots;
	capacity = cap;
	used = live;
	return true;
}

static void insert(pid_t pid)
{
	struct slot *s = find(pid);

	if (s != NULL) {
		s->flags = 0; /* a recycled pid is a new child */
		return;
	}
	if ((used + 1) * 2 > capacity && !rebuild() && used + 1 >= capacity) {
		log_verbose2("out of memory: a child is not recorded as own", "");
		return;
	}
	place(table, capacity, pid, 0);
	live++;
	used++;
}

static void drop_stashed(pid_t pid)
{
	for (unsigned i = 0; i < STASH_SIZE; i++) {
		if (stash[i].pid == pid) {
			stash[i].pid = 0;
		}
	}
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
		drop_stashed(pid);
		lock_give(&lock, &mask);
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
	sigset_t mask;
	bool own;

	lock_take(&lock, &mask);
	own = find(pid) != NULL;
	lock_give(&lock, &mask);
	return own;
}

void registry_forget(pid_t pid)
{
	sigset_t mask;
	struct slot *s;

	lock_take(&lock, &mask);
	s = find(pid);
	if (s != NULL) {
		s->pid = SLOT_GONE;
		live--;
	}
	lock_give(&lock, &mask);
}

void registry_forget_all(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	if (table != NULL) {
		memset(table, 0, capacity * sizeof(*table));
	}
	live = used = 0;
	lock_give(&lock, &mask);
}

size_t registry_count(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

bool registry_announce(pid_t pid)
{
	sigset_t mask;
	struct slot *s;
	bool fresh = false;

	lock_take(&lock, &mask);
	s = find(pid);
	if (s != NULL && !(s->flags & ANNOUNCED)) {
		s->flags |= ANNOUNCED;
		fresh = true;
	}
	lock_give(&lock, &mask);
	return fresh;
}

bool registry_any_in_group(pid_t pgid)
{
	sigset_t mask;
	bool found = false;

	lock_take(&lock, &mask);
	for (size_t i = 0; i < capacity && !found; i++) {
		found = table[i].pid > 0 && getpgid(table[i].pid) == pgid;
	}
	lock_give(&lock, &mask);
	return found;
}

void registry_prune(void)
{
	sigset_t mask;

	lock_take(&lock, &mask);
	for (size_t i = 0; i < capacity; i++) {
		siginfo_t info;

		if (table[i].pid > 0 &&
		    LIBC(waitid)(P_PID, (id_t)table[i].pid, &info,
				   WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) < 0 &&
		    errno == ECHILD) {
			table[i].pid = SLOT_GONE;
			live--;
		}
	}
	lock_give(&lock, &mask);
}

void registry_format(char *buf, size_t len)
{
	sigset_t mask;
	size_t at = 0;

	lock_take(&lock, &mask);
	for (size_t i = 0; i < capacity; i++) {
		char digits[12];
		size_t n = 0;
		unsigned v = (unsigned)table[i].pid;

		if (table[i].pid <= 0) {
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
	lock_give(&lock, &mask);
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
	sigset_t mask;
	struct stashed *s;

	lock_take(&lock, &mask);
	s = &stash[stash_next++ % STASH_SIZE];
	s->pid = pid;
	s->status = status;
	if (usage != NULL) {
		s->usage = *usage;
	} else {
		memset(&s->usage, 0, sizeof(s->usage));
	}
	lock_give(&lock, &mask);
}

bool stash_take(pid_t pid, int *status, struct rusage *usage)
{
	sigset_t mask;
	bool found = false;

	lock_take(&lock, &mask);
	for (unsigned i = 0; i < STASH_SIZE && !found; i++) {
		if (stash[i].pid == pid) {
			found = true;
			stash[i].pid = 0;
			*status = stash[i].status;
			if (usage != NULL) {
				*usage = stash[i].usage;
			}
		}
	}
	lock_give(&lock, &mask);
	return found;
}

void registry_reset_in_child(void)
{
	lock = 0;
}
