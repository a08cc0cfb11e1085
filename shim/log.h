/* log.h: the shim's only voice, one line at a time on stderr, prefixed "reap: ". Every function here
 * is async-signal-safe: lines are built in a fixed buffer, integers are formatted by hand and the
 * line leaves with a single write(2). */
#ifndef REAP_LOG_H
#define REAP_LOG_H

#include <stddef.h>

struct log_line {
	char text[256];
	size_t len;
};

void log_begin(struct log_line *line);
/* The same buffer as a string builder, without the prefix (a /proc path, a variable's value):
 * log_clear empties it, log_text ends the string and returns it. */
void log_clear(struct log_line *line);
const char *log_text(struct log_line *line);
void log_str(struct log_line *line, const char *s);
void log_int(struct log_line *line, long value);
/* s with C-style escapes (\n, \t, \", \\, \xHH for any other byte outside printable ASCII), so
 * that a value from outside can neither end the line nor forge another; cut with "..." once the
 * escaped text would pass max characters. */
void log_quoted(struct log_line *line, const char *s, size_t max);
void log_end(struct log_line *line);

/* Shorthands for a line made of two strings, at verbosity 1 or 2. */
void log_verbose2(const char *a, const char *b);
void log_debug2(const char *a, const char *b);

#endif
