/* config.c: owns the parsing of the REAP_* environment variables (see config.h). It runs once, in
 * the constructor, before any handler exists, so it may use getenv and strtol freely. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define GRACE_DEFAULT_MS 5000
#define GRACE_MAX_MS (3600L * 1000)

struct reap_config config = {
	.mode = MODE_AUTO,
	.verbose = 0,
	.grace_ms = GRACE_DEFAULT_MS,
	.emulate_signals = true,
};

/* One line per bad variable, said only by the process the shim acts in (config_report): the
 * descendants of PID 1 inherit the same environment, and an inert process must see no difference. */
#define MAX_COMPLAINTS 5
static struct log_line complaints[MAX_COMPLAINTS];
static int complaint_count;

static void complain(const char *name, const char *value, const char *expected, const char *fallback)
{
	struct log_line *line = &complaints[complaint_count];

	if (complaint_count == MAX_COMPLAINTS) {
		return;
	}
	complaint_count++;
	log_begin(line);
	log_str(line, name);
	log_str(line, "=\"");
	log_str(line, value);
	log_str(line, "\" is not valid (expected ");
	log_str(line, expected);
	log_str(line, "); using ");
	log_str(line, fallback);
}

void config_report(void)
{
	for (int i = 0; i < complaint_count; i++) {
		log_end(&complaints[i]);
	}
	complaint_count = 0;
}

/* A whole decimal number within [min, max], nothing else. */
static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max || s[0] == '+' || s[0] == ' ') {
		return false;
	}
	*out = v;
	return true;
}

static void load_mode(void)
{
	const char *v = getenv("REAP_MODE");
	long pid;

	if (v == NULL || strcmp(v, "auto") == 0) {
		return;
	}
	if (strcmp(v, "off") == 0) {
		config.mode = MODE_OFF;
	} else if (strcmp(v, "subreaper") == 0) {
		config.mode = MODE_SUBREAPER;
	} else if (strncmp(v, "subreaper:", 10) == 0 && parse_long(v + 10, 1, 1L << 30, &pid)) {
		config.mode = MODE_SUBREAPER;
		config.subreaper_pid = (pid_t)pid;
	} else {
		complain("REAP_MODE", v, "auto, off or subreaper", "auto");
	}
}

static void load_verbose(void)
{
	const char *v = getenv("REAP_VERBOSE");
	long level;

	if (v == NULL) {
		return;
	}
	if (parse_long(v, 0, 2, &level)) {
		config.verbose = (int)level;
	} else {
		complain("REAP_VERBOSE", v, "0, 1 or 2", "0");
	}
}

/* Seconds with up to three decimals, e.g. "5", "0.25". */
static bool parse_seconds(const char *s, long *ms)
{
	long whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		return false;
	}
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (*p++ - '0');
		if (whole > GRACE_MAX_MS / 1000) {
			return false;
		}
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9') {
			return false;
		}
		while (*p >= '0' && *p <= '9') {
			if (scale == 0) {
				return false;
			}
			frac += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0' || whole * 1000 + frac > GRACE_MAX_MS) {
		return false;
	}
	*ms = whole * 1000 + frac;
	return true;
}

static void load_grace(void)
{
	const char *v = getenv("REAP_GRACE");

	if (v != NULL && !parse_seconds(v, &config.grace_ms)) {
		complain("REAP_GRACE", v, "seconds from 0 to 3600, at most three decimals, e.g. 5 or 0.5", "5");
	}
}

static void load_exit_zero(void)
{
	const char *v = getenv("REAP_EXIT_ZERO");
	unsigned char map[sizeof(config.exit_zero)] = {0};
	const char *p = v;

	if (v == NULL || *v == '\0') {
		return;
	}
	for (;;) {
		long code = 0;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			code = code * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || code > 255 || (*p != ',' && *p != '\0')) {
			complain("REAP_EXIT_ZERO", v, "exit codes from 0 to 255 separated by commas, e.g. 143,130",
				 "none");
			return;
		}
		map[code / 8] |= (unsigned char)(1u << (code % 8));
		if (*p++ == '\0') {
			break;
		}
	}
	memcpy(config.exit_zero, map, sizeof(map));
}

static void load_signals(void)
{
	const char *v = getenv("REAP_SIGNALS");

	if (v == NULL || strcmp(v, "on") == 0) {
		return;
	}
	if (strcmp(v, "off") == 0) {
		config.emulate_signals = false;
	} else {
		complain("REAP_SIGNALS", v, "on or off", "on");
	}
}

void config_load(void)
{
	/* Verbosity first, so that it can be used while the others are read. */
	load_verbose();
	load_mode();
	load_grace();
	load_exit_zero();
	load_signals();
}
