/* spawn.h: process creation as seen by the shim (spawn.c). */
#ifndef REAP_SPAWN_H
#define REAP_SPAWN_H

#include <sys/types.h>

/* Ends a birth: records pid (when > 0) as own and runs a sweep that the birth held back. */
void spawn_birth_end(pid_t pid);

/* The child side of a fork the shim made: unlock what the forking thread's siblings held. */
void spawn_reset_in_child(void);

#endif
