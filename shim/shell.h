/* shell.h: system, popen/pclose and wordexp, whose children libc makes and waits for out of the
 * shim's sight (shell.c). */
#ifndef REAP_SHELL_H
#define REAP_SHELL_H

void shell_reset_in_child(void);

#endif
