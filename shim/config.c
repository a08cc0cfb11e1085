/* config.c: owns the parsing of the REAP_* environment variables (see config.h). It runs once, in
 * the constructor, before any handler exists, so it may use getenv freely.
 *
 * A value is accepted exactly as the README writes it: no sign, no space, no leading zero, nothing
 * around it. A rejected value is echoed with C-style escapes and cut at a bound, so that the line
 * stays one line and always ends with what is accepted and the default used. */
#include "config.h"

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
/* How much of a bad value a complaint echoes: the rest of the longest complaint still fits. */
#define ECHO_MAX 64
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
	log_quoted(line, value, ECHO_MAX);
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

/* A decimal number at *p, at most max: digits only, no leading zero ("0" itself excepted). On
 * success *p is moved past it. */
static bool take_decimal(const char **p, long max, long *out)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9')) {
		return false;
	}
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max) {
			return false;
		}
	}
	*p = s;
	*out = v;
	return true;
}

/* A whole value that is one decimal number, at most max. */
static bool parse_decimal(const char *s, long max, long *out)
{
	return take_decimal(&s, max, out) && *s == '\0';
}

static const char *const mode_names[] = {
	[MODE_AUTO] = "auto",
	[MODE_OFF] = "off",
	[MODE_SUBREAPER] = "subreaper",
	[MODE_SPLIT] = "split",
};

const char *config_mode_name(enum reap_mode mode)
{
	return mode_names[mode];
}

/* "NAME", or for the modes that opt a process in, "NAME:PID" as init.c writes it back. */
static bool parse_mode(const char *v)
{
	for (enum reap_mode m = MODE_AUTO; m <= MODE_SPLIT; m++) {
		size_t len = strlen(mode_names[m]);
		long pid;

		if (strncmp(v, mode_names[m], len) != 0) {
			continue;
		}
		if (v[len] == '\0') {
			config.mode = m;
			return true;
		}
		if ((m == MODE_SUBREAPER || m == MODE_SPLIT) && v[len] == ':' &&
		    parse_decimal(v + len + 1, 1L << 30, &pid) && pid > 0) {
			config.mode = m;
			config.pinned_pid = (pid_t)pid;
			return true;
		}
	}
	return false;
}

static void load_mode(void)
{
	const char *v = getenv("REAP_MODE");

	if (v != NULL && !parse_mode(v)) {
		complain("REAP_MODE", v, "auto, off, subreaper or split", "auto");
	}
}

static void load_verbose(void)
{
	const char *v = getenv("REAP_VERBOSE");
	long level;

	if (v == NULL) {
		return;
	}
	if (parse_decimal(v, 2, &level)) {
		config.verbose = (int)level;
	} else {
		complain("REAP_VERBOSE", v, "0, 1 or 2", "0");
	}
}

/* Seconds from 0 to 3600 with up to three decimals, e.g. "5", "0.25". */
static bool parse_seconds(const char *s, long *ms)
{
	long whole, frac = 0, scale = 100;

	if (!take_decimal(&s, GRACE_MAX_MS / 1000, &whole)) {
		return false;
	}
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9') {
			return false;
		}
		while (*s >= '0' && *s <= '9') {
			if (scale == 0) {
				return false;
			}
			frac += (*s++ - '0') * scale;
			scale /= 10;
		}
	}
	if (*s != '\0' || whole * 1000 + frac > GRACE_MAX_MS) {
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

/* Exit codes from 0 to 255 separated by single commas; empty means none. */
static void load_exit_zero(void)
{
	const char *v = getenv("REAP_EXIT_ZERO");
	unsigned char map[sizeof(config.exit_zero)] = {0};
	const char *p = v;

	if (v == NULL || *v == '\0') {
		return;
	}
	for (;;) {
		long code;

		if (!take_decimal(&p, 255, &code) || (*p != ',' && *p != '\0')) {
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
	static bool loaded;

	/* Once: a loader that runs the constructors before reap_describe loads them twice. */
	if (loaded) {
		return;
	}
	loaded = true;
	/* Verbosity first, so that it can be used while the others are read. */
	load_verbose();
	load_mode();
	load_grace();
	load_exit_zero();
	load_signals();
}
