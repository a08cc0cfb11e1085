/* signals.h: the program's own signal dispositions for the signals the shim manages (SIGCHLD, and
 * PID 1's termination signals), kept apart from what the kernel is given. */
#ifndef REAP_SIGNALS_H
#define REAP_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* Derives the kernel's action from the program's wish, in an active process. A policy that hands
 * the program's handler to the kernel as it is gets it wrapped by signals.c in a trampoline that
 * counts its runs and emulates SA_RESETHAND. */
typedef void policy_fn(const struct sigaction *program, struct sigaction *kernel);

/* At start-up: handler is a shim function that policies install in the kernel. */
void signals_claim_handler(void *handler);
/* sig becomes managed: the program's disposition is what the kernel has now (SIG_DFL or SIG_IGN
 * after exec) and the kernel gets policy's action. False, with nothing recorded, when the kernel
 * refuses either (glibc's own signals 32 and 33). */
bool signals_manage(int sig, policy_fn *policy);
/* At start-up, signals_manage for every signal of sigs, in one system call each instead of two:
 * each gets the action policy gives SIG_DFL (what an image starts with) in the call that returns
 * the action it replaces, and a second call only when that was something else (an ignored signal
 * inherited across exec). Every signal is blocked meanwhile, so that none meets the guess. */
void signals_manage_all(const sigset_t *sigs, policy_fn *policy);
/* At start-up: installed(program) runs after each successful change of sig's disposition through
 * the sigaction family, outside any lock. */
typedef void installed_fn(const struct sigaction *program);
void signals_watch(int sig, installed_fn *installed);
bool signals_managed(int sig);
/* The kernel's action for managed signal sig is derived again: what its policy reads besides the
 * program's wish has changed. */
void signals_reapply(int sig);

/* The sigaction(2) contract over the program's dispositions. */
int signals_action(int sig, const struct sigaction *act, struct sigaction *old);

/* Async-signal-safe: a copy of the program's disposition. */
void signals_program_action(int sig, struct sigaction *out);
/* Async-signal-safe: runs the program's disposition for sig as the kernel would have (its handler,
 * SA_RESETHAND honoured; nothing for SIG_DFL and SIG_IGN). */
void signals_deliver(int sig, siginfo_t *info, void *context);
/* Async-signal-safe: the program's disposition for sig becomes SIG_DFL (SA_RESETHAND). */
void signals_reset_default(int sig);

/* How many times a handler of the program has run on this thread, all of them and those without
 * SA_RESTART (async-signal-safe). */
unsigned signals_handler_runs(void);
unsigned signals_interrupting_runs(void);

/* A call failed: whether with an EINTR that only the shim's own signal handling caused, i.e. no
 * handler of the program ran on this thread since runs_before (signals_handler_runs()) in an
 * active process. Such a call is made again. */
bool signals_eintr_is_shims(unsigned runs_before);

/* At start-up: handlers of the program that exist before the shim's constructor (installed by
 * other libraries' constructors) come under the shim too, so that each of their runs is counted. */
void signals_adopt_handlers(void);

/* The child side of a fork: unlocks, and releases SIGCHLD as below; from_active: the shim forked
 * it in the active process. Async-signal-safe. */
void signals_reset_in_child(bool from_active);
/* In a child that has its own copy of the kernel's actions: SIGCHLD goes back to the program's
 * own action when the kernel holds the shim's handler for it and the program has none, so that
 * the shim's handler no longer cuts the child's sleeps short. Never touches an action the child
 * set itself. in_step: the table is known to match the kernel's actions, which need not be read
 * then. Async-signal-safe. */
void signals_release_sigchld(bool in_step);

#endif
