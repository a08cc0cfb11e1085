/* check.h: whether a program can be reached by this reap.so through LD_PRELOAD, told from its file
 * alone (reap.so --check PROGRAM, see describe.c). */
#ifndef REAP_CHECK_H
#define REAP_CHECK_H

#include "log.h"

enum check_verdict {
	CHECK_REACHED = 0,     /* the loader would load this reap.so into it */
	CHECK_NOT_REACHED = 1, /* it would not, or the program would not even start with it */
	CHECK_UNKNOWN = 2,     /* the file cannot be read, or is no program */
};

/* Puts one line into *line: "reached: ...", "not reached: ..." or "cannot tell: ...", saying why
 * and what to do instead. A name without a slash is looked up in PATH, as exec does. Runs only in
 * the library run as a program (not async-signal-safe). */
enum check_verdict check_program(const char *name, struct log_line *line);

#endif
