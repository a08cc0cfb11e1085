/* exit.h: PID 1's own exit paths (exit.c). */
#ifndef REAP_EXIT_H
#define REAP_EXIT_H

/* At start-up, in PID 1 (from terminate_init). */
void exit_init(void);

/* The program's argument list, as its start code handed it to __libc_start_main; NULL before that.
 * musl passes constructors no arguments, and runs them inside __libc_start_main. */
char **exit_program_argv(void);

#endif
