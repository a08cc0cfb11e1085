/* The seed's experiment, driven from a test (test_core_reaping.c and the musl tier, test_musl.c):
 * scenario core_seed is a tiny HTTP server on 127.0.0.1 whose every request makes a child that forks
 * a grandchild and exits, and the grandchild, an orphan, exits too. */
#ifndef REAP_TESTS_SEED_H
#define REAP_TESTS_SEED_H

#include <stdbool.h>
#include <sys/types.h>

#include "modes.h"

#define REQUESTS 6 /* "half a dozen requests" */

/* Start the server in `mode` with env; returns its port once it said READY. */
int start_seed(enum mode mode, const char *const env[], struct proc *p);
/* GET path; returns the body (static buffer). */
const char *http_get(int port, const char *path);
/* One request; returns the orphan's pid (as PID 1 sees it). */
int request(int port, const char *path);
/* Poll (bounded) the children of PID 1, seen from outside, until they are `zombies` zombies and
 * `live` others; returns whether they got there, with the last counts in *z and *l. */
bool children_become(pid_t init, int zombies, int live, double seconds, int *z, int *l);
/* GET /quit, and the run's end. */
void finish_seed(struct proc *p, int port, struct run_result *r);

/* REQUESTS requests with the shim as PID 1: no zombie and no other child left, one thread, and the
 * server passes. */
void expect_seed_clean(void);
/* REQUESTS requests in `mode` (a negative control): the REQUESTS zombies stay, seen from outside,
 * and the server itself sees them at its end. */
void expect_seed_zombies(enum mode mode);

#endif
