/* log.c: owns the shim's stderr lines (see log.h for the async-signal-safety contract). */
#include "log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

void log_begin(struct log_line *line)
{
	line->len = 0;
	log_str(line, "reap: ");
}

void log_str(struct log_line *line, const char *s)
{
	/* One byte stays free for the newline. */
	while (*s != '\0' && line->len < sizeof(line->text) - 1) {
		line->text[line->len++] = *s++;
	}
}

void log_int(struct log_line *line, long value)
{
	char digits[24];
	size_t n = 0;
	unsigned long magnitude = value < 0 ? -(unsigned long)value : (unsigned long)value;

	do {
		digits[n++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude != 0);
	if (value < 0) {
		digits[n++] = '-';
	}
	while (n > 0 && line->len < sizeof(line->text) - 1) {
		line->text[line->len++] = digits[--n];
	}
}

/* The escaped form of byte c, NUL-terminated, in out[5]. */
static void escape(unsigned char c, char out[5])
{
	static const char hex[] = "0123456789abcdef";
	const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '"' ? "\\\"" :
			    c == '\\' ? "\\\\" : NULL;

	if (named != NULL) {
		out[0] = named[0];
		out[1] = named[1];
		out[2] = '\0';
	} else if (c < 0x20 || c > 0x7e) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		out[4] = '\0';
	} else {
		out[0] = (char)c;
		out[1] = '\0';
	}
}

void log_quoted(struct log_line *line, const char *s, size_t max)
{
	size_t used = 0;

	for (; *s != '\0'; s++) {
		char one[5];

		escape((unsigned char)*s, one);
		if (used + strlen(one) > max) {
			log_str(line, "...");
			return;
		}
		log_str(line, one);
		used += strlen(one);
	}
}

void log_end(struct log_line *line)
{
	int saved_errno = errno;
	size_t done = 0;

	line->text[line->len++] = '\n';
	while (done < line->len) {
		ssize_t n = write(STDERR_FILENO, line->text + done, line->len - done);
		if (n <= 0 && errno != EINTR) {
			break;
		}
		if (n > 0) {
			done += (size_t)n;
		}
	}
	errno = saved_errno;
}

static void log_pair(const char *a, const char *b)
{
	struct log_line line;

	log_begin(&line);
	log_str(&line, a);
	log_str(&line, b);
	log_end(&line);
}

void log_verbose2(const char *a, const char *b)
{
	if (config.verbose >= 1) {
		log_pair(a, b);
	}
}

void log_debug2(const char *a, const char *b)
{
	if (config.verbose >= 2) {
		log_pair(a, b);
	}
}
