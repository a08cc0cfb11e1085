/* config.h: the shim's settings, read once from REAP_* environment variables by the constructor.
 * The README's "Configuration" table is the user-facing copy of this list. */
#ifndef REAP_CONFIG_H
#define REAP_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

enum reap_mode {
	MODE_AUTO,      /* active only as PID 1: in-process, or split for a Go program */
	MODE_OFF,       /* never active */
	MODE_SUBREAPER, /* also active outside PID 1, as a child subreaper */
	MODE_SPLIT,     /* a separate init process forked before main (split.c) */
};

struct reap_config {
	enum reap_mode mode;
	pid_t pinned_pid;          /* "subreaper:PID" or "split:PID": the opt-in is PID's alone (init.c) */
	int verbose;               /* 0 silent, 1 one line per reaped orphan and per signal, 2 debug */
	long grace_ms;             /* how long PID 1 waits for the namespace to empty */
	bool emulate_signals;      /* termination signals of PID 1 behave as for any process */
	unsigned char exit_zero[256 / 8]; /* bitmap of PID 1 exit codes reported as 0 */
};

extern struct reap_config config;

/* Reads the environment, once; a bad value gets the default, and one stderr line from
 * config_report. */
void config_load(void);
/* In the process the shim acts in: one line per bad variable. */
void config_report(void);
/* The value of REAP_MODE that names mode ("auto", "off", "subreaper", "split"). */
const char *config_mode_name(enum reap_mode mode);

static inline bool config_maps_to_zero(int code)
{
	return code >= 0 && code < 256 && (config.exit_zero[code / 8] & (1u << (code % 8))) != 0;
}

#endif
