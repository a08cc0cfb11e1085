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
int _IO_fclose(FILE *file);
FILE *_IO_popen(const char *command, const char *mode);
int __poll(struct pollfd *fds, nfds_t n, int timeout);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask, size_t fds_len);
int __select(int n, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout);
int __nanosleep(const struct timespec *request, struct timespec *remain);
int __sigsuspend(const sigset_t *mask);
int __xpg_sigpause(int sig);
int __sigpause(int sig_or_mask, int is_sig);

#endif
