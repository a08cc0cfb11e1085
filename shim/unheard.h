/* unheard.h: exits of own children that the program collected (with a wait) before the shim's
 * SIGCHLD handler told it of them. Their signal, when it comes or merged into another, still
 * belongs to the program's handler. Every function here is async-signal-safe. */
#ifndef REAP_UNHEARD_H
#define REAP_UNHEARD_H

#include <stdbool.h>
#include <sys/types.h>

void unheard_remember(pid_t pid, int status);
/* Takes the exit of pid, for its late SIGCHLD; fills *status. */
bool unheard_take(pid_t pid, int *status);
/* Takes any such exit, for a SIGCHLD that may have merged it away. */
bool unheard_take_any(pid_t *pid, int *status);
/* Whether any such exit waits for a signal to carry it. */
bool unheard_any(void);

#endif
