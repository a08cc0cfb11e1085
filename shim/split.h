/* split.h: split mode (split.c): the program runs as a child of a minimal init that the constructor
 * forks before main, instead of having the shim act inside it. */
#ifndef REAP_SPLIT_H
#define REAP_SPLIT_H

#include <stdbool.h>
#include <sys/types.h>

/* The name of a symbol that only the Go runtime defines, if this process has one, else NULL. A Go
 * runtime creates children with raw clone and waits with raw system calls, so that in-process
 * reaping would take its children for orphans. Asked only where the shim would act. */
const char *split_go_symbol(void);

/* In the constructor of the process the shim would act in (self): forks. The child returns true
 * and runs the program with the shim inert; the parent becomes the init of the program and never
 * returns. false, with nothing changed, when the fork failed or a thread already runs (the fork
 * would leave it behind). argv is the program's (NULL when libc does not hand it to constructors):
 * the init reuses its memory for its name in ps. */
bool split_start(pid_t self, char **argv);

#endif
