/* The contract between the orphan-storm program (work/storm.c, inside the namespace) and the
 * observer (storm.c, outside): a shared memory area passed as an inherited memfd, and a
 * SOCK_SEQPACKET socket on which the program announces the start, hands over one pidfd per
 * orphan, and announces the end. */
#ifndef REAP_BENCH_STORM_PROTO_H
#define REAP_BENCH_STORM_PROTO_H

#include <stdatomic.h>
#include <stdint.h>

/* One slot per orphan. The observer sets `ack` (and wakes the futex) once the orphan's pidfd is
 * in its epoll set; the orphan stamps `t_exit_ns` (CLOCK_MONOTONIC) just before _exit. */
struct storm_slot {
	_Atomic uint32_t ack;
	uint32_t pad;
	_Atomic int64_t t_exit_ns;
};

struct storm_shm {
	uint32_t cap;                    /* number of slots */
	_Atomic uint32_t next;           /* next free slot */
	_Atomic uint32_t created;        /* orphans whose fork succeeded */
	_Atomic uint32_t finished;       /* orphans that reached _exit (registered or not) */
	_Atomic uint32_t anomalies;      /* anything that went wrong in the program's own work */
	_Atomic uint32_t msg_taken;
	char msg[240];                   /* the first anomaly, in words */
	struct storm_slot slot[];
};

enum storm_msg_type { STORM_START = 1, STORM_ORPHAN = 2, STORM_DONE = 3 };

struct storm_msg {
	uint32_t type;
	uint32_t slot;                   /* STORM_ORPHAN: the slot; the pidfd rides along as SCM_RIGHTS */
	int64_t t_ns;                    /* STORM_START: when the forkers begin; STORM_DONE: now */
	uint32_t created;                /* STORM_DONE */
	uint32_t anomalies;              /* STORM_DONE */
};

#endif
