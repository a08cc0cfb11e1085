/* namespace.c: owns the walk of the namespace's /proc (see namespace.h): which other processes are
 * alive, and in which process group. Raw open/getdents64/read on stack buffers, no allocation, so
 * that PID 1 can walk it from a signal handler while it ends. */
#include "namespace.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel.h"
#include "real.h"

/* What the walk needs of /proc/PID/stat. */
struct process {
	pid_t pid;
	char state;   /* 'Z' or 'X' once it has exited */
	pid_t pgrp;
	long threads; /* above 1 for a zombie leader whose other threads still run */
};

static size_t format_pid(char *out, pid_t pid)
{
	char digits[16];
	size_t n = 0;
	size_t len = 0;

	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	while (n > 0) {
		out[len++] = digits[--n];
	}
	return len;
}

/* /proc belongs to this namespace when its "self" is the caller's pid as the caller knows it. A
 * /proc of an ancestor namespace (unshare without --mount-proc) shows processes outside ours. */
static bool proc_is_ours(void)
{
	char link[16];
	char self[16];
	ssize_t n = readlink("/proc/self", link, sizeof(link));
	size_t len = format_pid(self, getpid());

	if (n != (ssize_t)len) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (link[i] != self[i]) {
			return false;
		}
	}
	return true;
}

/* The numbers after the state, field by field after the command name (which may itself hold
 * spaces and parentheses): ppid, pgrp, session, ..., num_threads is the 17th. Signs are skipped:
 * the only negative field before num_threads is tpgid, never used. */
#define STAT_FIELDS 17

static bool parse_stat(const char *text, size_t len, struct process *p)
{
	long field[STAT_FIELDS] = {0};
	size_t i = len;
	int at = 0;

	while (i > 0 && text[i - 1] != ')') {
		i--;
	}
	if (i == 0 || i + 2 >= len) {
		return false;
	}
	p->state = text[i + 1];
	for (i += 2; i < len; i++) {
		if (text[i] == ' ') {
			if (++at > STAT_FIELDS) {
				break;
			}
		} else if (text[i] >= '0' && text[i] <= '9' && at >= 1) {
			field[at - 1] = field[at - 1] * 10 + (text[i] - '0');
		}
	}
	p->pgrp = (pid_t)field[1];
	p->threads = field[STAT_FIELDS - 1];
	return at > STAT_FIELDS;
}

/* Reads /proc/NAME/stat; NAME is a pid, or "self". */
static bool read_process(const char *name, struct process *p)
{
	char path[64] = "/proc/";
	size_t len = sizeof("/proc/") - 1;
	const char *tail = "/stat";
	char text[1024];
	ssize_t n;
	int fd;

	p->pid = 0;
	for (const char *c = name; *c != '\0' && len < 32; c++) {
		p->pid = p->pid * 10 + (*c - '0');
		path[len++] = *c;
	}
	while (*tail != '\0') {
		path[len++] = *tail++;
	}
	path[len] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return false; /* it was reaped meanwhile */
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	return n > 0 && parse_stat(text, (size_t)n, p);
}

static bool is_pid(const char *name)
{
	for (const char *c = name; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			return false;
		}
	}
	return *name != '\0';
}

static bool is_alive(const struct process *p)
{
	return (p->state != 'Z' && p->state != 'X') || p->threads > 1;
}

/* Calls visit for every live process other than the caller until it returns true; false when
 * /proc is not the namespace's (nothing visited). */
static bool walk(bool (*visit)(const struct process *, void *), void *ctx)
{
	char buf[1024];
	pid_t self = getpid();
	long n;
	int dir;

	if (!proc_is_ours()) {
		return false;
	}
	dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		return false;
	}
	while ((n = LIBC(syscall)(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			struct process p;

			off += d->d_reclen;
			if (is_pid(d->d_name) && read_process(d->d_name, &p) && p.pid != self && is_alive(&p) && visit(&p, ctx)) {
				close(dir);
				return true;
			}
		}
	}
	close(dir);
	return true;
}

static bool found_signallable(const struct process *p, void *found)
{
	*(bool *)found = kill(p->pid, 0) == 0;
	return *(bool *)found;
}

bool namespace_others_alive(void)
{
	bool found = false;

	/* Signal 0 only checks: it fails when no other process exists that the caller may signal. */
	if (kill(-1, 0) != 0) {
		return false;
	}
	return !walk(found_signallable, &found) || found;
}

struct relay {
	int sig;
	pid_t pgrp;
};

static bool send_outside_group(const struct process *p, void *ctx)
{
	const struct relay *r = ctx;

	if (p->pgrp != r->pgrp) {
		kill(p->pid, r->sig);
	}
	return false;
}

bool namespace_signal_outside_group(int sig, pid_t pgrp)
{
	struct relay r = {sig, pgrp};

	return walk(send_outside_group, &r);
}

bool namespace_caller_is_last_thread(void)
{
	struct process self;

	return read_process("self", &self) && self.threads == 1;
}
