/* children.h: lists this process's children as the kernel sees them, from
 * /proc/self/task/TID/children of every thread. Async-signal-safe: raw open/getdents64/read on
 * small stack buffers, no allocation. */
#ifndef REAP_CHILDREN_H
#define REAP_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>

/* Calls visit(pid, ctx) for every child; false when /proc could not be read. */
bool children_foreach(void (*visit)(pid_t, void *), void *ctx);

#endif
