/* The processes of a namespace seen from outside: /proc/INIT/root/proc is the namespace's own
 * procfs (mounted by its PID 1), so it lists exactly the namespace's processes by their
 * namespace pids, and their status and smaps_rollup are readable there. */
#include "bench.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long field_kb(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	return p ? strtol(p + strlen(name), NULL, 10) : 0;
}

static ssize_t read_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		return -1;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void add_name(struct ns_procs *o, const char *status)
{
	const char *p = strstr(status, "Name:\t");
	size_t len = strlen(o->names);
	char name[32];

	if (!p || sscanf(p + 6, "%31s", name) != 1) {
		return;
	}
	if (len < sizeof o->names - 40) {
		snprintf(o->names + len, sizeof o->names - len, "%s%s", len ? "," : "", name);
	}
}

int ns_procs_read(pid_t init, struct ns_procs *o, bool memory)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	memset(o, 0, sizeof *o);
	snprintf(path, sizeof path, "/proc/%d/root/proc", (int)init);
	d = opendir(path);
	if (!d) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char sub[300];
		const char *close_paren;

		if (de->d_name[0] < '1' || de->d_name[0] > '9') {
			continue;
		}
		snprintf(sub, sizeof sub, "%s/stat", de->d_name);
		if (read_at(dirfd(d), sub, buf, sizeof buf) <= 0) {
			continue;           /* gone meanwhile */
		}
		o->count++;
		close_paren = strrchr(buf, ')');
		if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') {
			o->zombies++;
		}
		if (!memory) {
			continue;
		}
		snprintf(sub, sizeof sub, "%s/status", de->d_name);
		if (read_at(dirfd(d), sub, buf, sizeof buf) > 0) {
			o->rss_kb += field_kb(buf, "VmRSS:");
			add_name(o, buf);
		}
		snprintf(sub, sizeof sub, "%s/smaps_rollup", de->d_name);
		if (read_at(dirfd(d), sub, buf, sizeof buf) > 0) {
			o->pss_kb += field_kb(buf, "\nPss:");
		}
	}
	closedir(d);
	return 0;
}
