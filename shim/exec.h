/* exec.h: the list of own children handed from one process image to the next (exec.c). */
#ifndef REAP_EXEC_H
#define REAP_EXEC_H

#include <stdbool.h>

#define EXEC_OWN_VARIABLE "REAP_OWN"

/* In the constructor: removes REAP_OWN from the environment; returns whether it was there, after
 * adopting the children it lists (only those that still are children). */
bool exec_adopt_listed(void);

#endif
