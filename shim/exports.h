/* exports.h: prototypes for the exported wrappers whose names glibc's public headers do not
 * declare (its "__" aliases and compat names); the others come from the usual headers. */
#ifndef REAP_EXPORTS_H
#define REAP_EXPORTS_H

#include "real.h"

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
handler_fn *bsd_signal(int sig, handler_fn *handler);
handler_fn *__sysv_signal(int sig, handler_fn *handler);
pid_t __wait(int *status);
pid_t __waitpid(pid_t pid, int *status, int options);
pid_t __fork(void);
pid_t __vfork(void);
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
spawn_fn reap_posix_spawn_compat, reap_posix_spawnp_compat;
int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end);

#endif
