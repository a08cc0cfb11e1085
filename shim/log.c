/* log.c: owns the shim's stderr lines (see log.h for the async-signal-safety contract). */
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "real.h"

void log_begin(struct log_line *line)
{
	line->len = 0;
	log_str(line, "reap: ");
}

void log_clear(struct log_line *line)
{
	line->len = 0;
}

const char *log_text(struct log_line *line)
{
	line->text[line->len] = '\0';
	return line->text;
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

/* A stderr whose reader has gone must not end the process: the write's SIGPIPE would be PID 1's
 * own doing (terminate.c) and end the container. The signal is held back for the write and, when
 * the write raised it, taken again; a SIGPIPE already pending stays for the program. */
static void write_line(const char *text, size_t len)
{
	static const struct timespec at_once = {0, 0};
	sigset_t pipe_only, saved, pending;
	size_t done = 0;
	bool was_pending;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_only, &saved);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	while (done < len) {
		ssize_t n = write(STDERR_FILENO, text + done, len - done);
		if (n <= 0 && errno != EINTR) {
			if (errno == EPIPE && !was_pending) {
				LIBC(sigtimedwait)(&pipe_only, NULL, &at_once);
			}
			break;
		}
		if (n > 0) {
			done += (size_t)n;
		}
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

void log_end(struct log_line *line)
{
	int saved_errno = errno;

	line->text[line->len++] = '\n';
	write_line(line->text, line->len);
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
