/* unshared.h: memory that no child inherits. What the shim writes for every child of the program
 * and every SIGCHLD (the registry, the sweep's state) lives in one run of pages that the kernel
 * gives a child made without CLONE_VM (fork, raw clones) zero-filled (MADV_WIPEONFORK), and leaves
 * writable in the parent across the fork: with private pages, each page written after a fork would
 * cost the parent a fault, and a copy while the child lives. Zero is also a fork child's true state
 * of each of them: it has no children yet, holds no lock, and is inert (active.h). Where the kernel
 * lacks MADV_WIPEONFORK, the child gets a copy, which each owner's reset makes safe
 * (spawn_reset_in_child).
 *
 * Such a variable is declared UNSHARED and starts as zero; shim/unshared.ld gives its section whole
 * pages of its own after .bss. */
#ifndef REAP_UNSHARED_H
#define REAP_UNSHARED_H

#include <stdbool.h>
#include <stddef.h>

#define UNSHARED __attribute__((section(".reap_unshared")))

/* Once, at start-up, before any child is made: marks the UNSHARED variables to be wiped in
 * children, and says in unshared_wiped whether the kernel took it. */
void unshared_init(void);
extern bool unshared_wiped;

/* Zero-filled memory from mmap that children do not inherit either (a copy where the kernel lacks
 * MADV_WIPEONFORK); NULL when none is left. Async-signal-safe. */
void *unshared_map(size_t size);

#endif
