/* describe.c: owns what the library says when it is run as a program, the way glibc's libc.so.6
 * prints its version. `reap.so` alone describes the build and the settings it would take from this
 * environment; `reap.so --version` gives the version and target in one line; `reap.so --check
 * PROGRAM...` says for each program whether LD_PRELOAD of this file can reach it (check.c).
 *
 * The .interp section names the target's dynamic loader, so that the kernel can start the file,
 * and the link makes reap_describe its entry point (-Wl,-e). The loader relocates the library and
 * initializes libc, but runs no constructor of the file it was asked to run (glibc leaves that to
 * the program's start code, musl too) and passes no argc or argv: the arguments are read from
 * /proc/self/cmdline, the settings are loaded here, and the output leaves through write(2) before
 * _exit. Exit status: 0 described, or every program reached; 1 a program is not reached; 2 a
 * usage error, or a program that cannot be judged. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "target.h"

#ifndef REAP_VERSION
#error "the Makefile defines REAP_VERSION"
#endif

const char reap_interp[] __attribute__((section(".interp"))) = REAP_LOADER;

#define MAX_ARGS 64
#define SETTING_COLUMN 26

/* The kernel enters a program with the stack pointer 16-byte aligned; an x86-64 C function expects
 * it 8 bytes off (a return address pushed by a call). */
#if defined(__x86_64__)
#define ENTRY_ATTRIBUTES __attribute__((noreturn, force_align_arg_pointer))
#else
#define ENTRY_ATTRIBUTES __attribute__((noreturn))
#endif

void reap_describe(void) ENTRY_ATTRIBUTES;

static void put(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

static void put_str(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

static void put_line(int fd, struct log_line *line)
{
	line->text[line->len++] = '\n';
	put(fd, line->text, line->len);
	line->len = 0;
}

/* The arguments, NUL-separated in /proc/self/cmdline; returns argc, or -1 if it cannot be read. */
static int read_args(char *buf, size_t size, char *argv[MAX_ARGS])
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	int argc = 0;
	ssize_t n;

	if (fd < 0) {
		return -1;
	}
	while (len < size - 1 && ((n = read(fd, buf + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR))) {
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	buf[len] = '\0';
	for (size_t at = 0; at < len && argc < MAX_ARGS - 1; at += strlen(buf + at) + 1) {
		argv[argc++] = buf + at;
	}
	argv[argc] = NULL;
	return argc;
}

static void put_value_mode(struct log_line *line)
{
	log_str(line, config_mode_name(config.mode));
}

static void put_value_grace(struct log_line *line)
{
	long ms = config.grace_ms % 1000;

	log_int(line, config.grace_ms / 1000);
	if (ms != 0) {
		char digits[5] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), '\0'};
		size_t len = 4;

		while (digits[len - 1] == '0') {
			digits[--len] = '\0';
		}
		log_str(line, digits);
	}
}

static void put_value_exit_zero(struct log_line *line)
{
	bool any = false;

	for (int code = 0; code < 256; code++) {
		if (config_maps_to_zero(code)) {
			log_str(line, any ? "," : "");
			log_int(line, code);
			any = true;
		}
	}
}

/* "  NAME=value    default" or "... set to "raw"": the value as parsed, and where it came from. */
static void put_setting(const char *name, void (*value)(struct log_line *))
{
	struct log_line line = {.len = 0};
	const char *raw = getenv(name);

	log_str(&line, "  ");
	log_str(&line, name);
	log_str(&line, "=");
	value(&line);
	do {
		log_str(&line, " ");
	} while (line.len < SETTING_COLUMN);
	if (raw == NULL) {
		log_str(&line, "default");
	} else {
		log_str(&line, "set to \"");
		log_str(&line, raw);
		log_str(&line, "\"");
	}
	put_line(STDOUT_FILENO, &line);
}

static void put_value_verbose(struct log_line *line)
{
	log_int(line, config.verbose);
}

static void put_value_signals(struct log_line *line)
{
	log_str(line, config.emulate_signals ? "on" : "off");
}

static int describe(void)
{
	static char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[len > 0 ? len : 0] = '\0';
	put_str(STDOUT_FILENO, "reap.so " REAP_VERSION " for " REAP_TARGET_TRIPLE " (" REAP_LIBC_NAME
			       ", loader " REAP_LOADER ")\n"
			       "Makes the program that runs as PID 1 of a container behave as a proper init: "
			       "preload it into PID 1 with\n  LD_PRELOAD=");
	put_str(STDOUT_FILENO, len > 0 ? self : "/lib/reap.so");
	put_str(STDOUT_FILENO, "\nThe settings it would take from this environment (see reap.so(8)):\n");
	put_setting("REAP_MODE", put_value_mode);
	put_setting("REAP_VERBOSE", put_value_verbose);
	put_setting("REAP_GRACE", put_value_grace);
	put_setting("REAP_SIGNALS", put_value_signals);
	put_setting("REAP_EXIT_ZERO", put_value_exit_zero);
	put_str(STDOUT_FILENO, "Whether it can reach a program: reap.so --check PROGRAM\n");
	return 0;
}

static int check_all(char *const programs[])
{
	int worst = CHECK_REACHED;

	if (programs[0] == NULL) {
		put_str(STDERR_FILENO, "reap.so: --check needs a program, e.g. reap.so --check /usr/bin/python3\n");
		return CHECK_UNKNOWN;
	}
	for (int i = 0; programs[i] != NULL; i++) {
		struct log_line line;
		enum check_verdict verdict = check_program(programs[i], &line);

		put_str(STDOUT_FILENO, programs[i]);
		put_str(STDOUT_FILENO, ": ");
		put_line(STDOUT_FILENO, &line);
		worst = (int)verdict > worst ? (int)verdict : worst;
	}
	return worst;
}

static const char usage[] =
	"usage: reap.so                      describe this build and the settings from the environment\n"
	"       reap.so --version            the version and target in one line\n"
	"       reap.so --check PROGRAM...   whether LD_PRELOAD of this file reaches each program\n";

static int run(int argc, char *argv[])
{
	if (argc <= 1) {
		return describe();
	}
	if (strcmp(argv[1], "--version") == 0 && argc == 2) {
		put_str(STDOUT_FILENO, "reap.so " REAP_VERSION " " REAP_TARGET_TRIPLE "\n");
		return 0;
	}
	if (strcmp(argv[1], "--check") == 0) {
		return check_all(argv + 2);
	}
	if (strcmp(argv[1], "--help") == 0 && argc == 2) {
		put_str(STDOUT_FILENO, usage);
		return 0;
	}
	put_str(STDERR_FILENO, usage);
	return 2;
}

void reap_describe(void)
{
	static char args[65536];
	char *argv[MAX_ARGS];
	int argc = read_args(args, sizeof(args), argv);

	config_load();
	config_report();
	if (argc < 0) {
		put_str(STDERR_FILENO, "reap.so: cannot read /proc/self/cmdline for the arguments (is /proc mounted?)\n");
		_exit(2);
	}
	_exit(run(argc, argv));
}
