/* exit.h: PID 1's own exit paths (exit.c). */
#ifndef REAP_EXIT_H
#define REAP_EXIT_H

/* At start-up, in PID 1 (from terminate_init). */
void exit_init(void);

#endif
