/* stash.c: owns the statuses of children reaped without proof of origin (see stash.h).
 *
 * One slot per pid, in a table indexed by pid and sized from /proc/sys/kernel/pid_max, so that no
 * storm of orphans can push a status out before the program asks for it: only a later reap of the
 * same pid replaces it, and a birth that recycles the pid clears it. The table is mapped on first
 * use with MAP_NORESERVE, so that only the pages of pids actually reaped cost memory: 2 bytes a pid,
 * at most 64 KiB for the default 32768 pids and 8 MiB for 4194304. A slot holds the status plus 1
 * (an exit status fits in 16 bits), 0 when empty. Resource usage takes 144 bytes, too much per pid:
 * the last USAGE_SLOTS are kept in a ring, and an older one reads as zero usage. A pid above the
 * pid_max of the first use (raised later) keeps no status.
 *
 * Against births, which record a pid and then clear its slot: a status is written first and then
 * checked against the registry; if an own birth recorded the pid since the reap, its clear may
 * have come before the write, and the write is undone. */
#include "stash.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"

#define PID_MAX_LIMIT 4194304 /* the kernel's ceiling on 64-bit: used when pid_max cannot be read */
#define USAGE_SLOTS 64

struct table {
	size_t size; /* pids 0 .. size-1 */
	uint16_t slot[];
};

static struct table *table;
static int unmappable;

enum { USAGE_FREE, USAGE_WRITING, USAGE_FULL, USAGE_READING };
struct usage_slot {
	int state;
	pid_t pid;
	int status;
	unsigned seq;
	struct rusage usage;
};
static struct usage_slot usage_ring[USAGE_SLOTS];
static unsigned usage_next;

static size_t read_pid_max(void)
{
	char text[16];
	size_t value = 0;
	ssize_t n = -1;
	int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, text, sizeof(text));
		close(fd);
	}
	for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
		value = value * 10 + (size_t)(text[i] - '0');
	}
	return value > 0 && value <= PID_MAX_LIMIT ? value : PID_MAX_LIMIT;
}

/* The table, mapped by whichever thread needs it first. */
static struct table *slots(void)
{
	struct table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE), *none = NULL;
	size_t size, bytes;

	if (t != NULL || __atomic_load_n(&unmappable, __ATOMIC_RELAXED)) {
		return t;
	}
	size = read_pid_max() + 1;
	bytes = sizeof(*t) + size * sizeof(t->slot[0]);
	t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t == MAP_FAILED) {
		if (!__atomic_exchange_n(&unmappable, 1, __ATOMIC_RELAXED)) {
			log_verbose2("out of memory: statuses of children of unknown origin are not kept", "");
		}
		return NULL;
	}
	t->size = size;
	if (!__atomic_compare_exchange_n(&table, &none, t, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(t, bytes); /* another thread was first */
		return none;
	}
	return t;
}

static uint16_t *slot_of(pid_t pid)
{
	struct table *t = slots();

	return t != NULL && pid > 0 && (size_t)pid < t->size ? &t->slot[pid] : NULL;
}

static void keep_usage(pid_t pid, int status, const struct rusage *usage)
{
	for (int tries = 0; tries < USAGE_SLOTS; tries++) {
		unsigned seq = __atomic_fetch_add(&usage_next, 1, __ATOMIC_RELAXED);
		struct usage_slot *u = &usage_ring[seq % USAGE_SLOTS];
		int from = __atomic_load_n(&u->state, __ATOMIC_ACQUIRE);

		if ((from == USAGE_FREE || from == USAGE_FULL) &&
		    __atomic_compare_exchange_n(&u->state, &from, USAGE_WRITING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			u->pid = pid;
			u->status = status;
			u->seq = seq;
			u->usage = *usage;
			__atomic_store_n(&u->state, USAGE_FULL, __ATOMIC_RELEASE);
			return;
		}
	}
}

/* The newest usage kept for this pid and status; zero if none is. */
static void find_usage(pid_t pid, int status, struct rusage *usage)
{
	int best = -1;
	unsigned best_seq = 0;

	memset(usage, 0, sizeof(*usage));
	for (int i = 0; i < USAGE_SLOTS; i++) {
		struct usage_slot *u = &usage_ring[i];

		if (__atomic_load_n(&u->state, __ATOMIC_ACQUIRE) == USAGE_FULL && u->pid == pid && u->status == status &&
		    (best < 0 || (int)(u->seq - best_seq) > 0)) {
			best = i;
			best_seq = u->seq;
		}
	}
	if (best >= 0) {
		struct usage_slot *u = &usage_ring[best];
		int full = USAGE_FULL;

		if (__atomic_compare_exchange_n(&u->state, &full, USAGE_READING, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			if (u->pid == pid && u->seq == best_seq) {
				*usage = u->usage;
			}
			__atomic_store_n(&u->state, USAGE_FREE, __ATOMIC_RELEASE);
		}
	}
}

void stash_put(pid_t pid, int status, const struct rusage *usage, unsigned mark)
{
	uint16_t *slot = slot_of(pid);
	uint16_t value = (uint16_t)((status & 0xffff) + 1);

	if (slot == NULL) {
		return;
	}
	if (usage != NULL) {
		keep_usage(pid, status, usage);
	}
	__atomic_store_n(slot, value, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the write is seen by a clear, or the birth by us */
	if (registry_recorded_since(pid, mark)) {
		__atomic_compare_exchange_n(slot, &value, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
}

bool stash_take(pid_t pid, int *status, struct rusage *usage)
{
	struct table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	uint16_t value;

	if (t == NULL || pid <= 0 || (size_t)pid >= t->size || __atomic_load_n(&t->slot[pid], __ATOMIC_RELAXED) == 0) {
		return false;
	}
	value = __atomic_exchange_n(&t->slot[pid], 0, __ATOMIC_SEQ_CST);
	if (value == 0) {
		return false;
	}
	*status = value - 1;
	if (usage != NULL) {
		find_usage(pid, *status, usage);
	}
	return true;
}

void stash_clear(pid_t pid)
{
	struct table *t;
	uint16_t value;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the recording is seen by a put, or its write by us */
	t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	/* Nothing was ever stashed while the table is not mapped: the common fork costs a load. */
	if (t == NULL || pid <= 0 || (size_t)pid >= t->size) {
		return;
	}
	value = __atomic_load_n(&t->slot[pid], __ATOMIC_SEQ_CST);
	if (value != 0) {
		__atomic_compare_exchange_n(&t->slot[pid], &value, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
}
