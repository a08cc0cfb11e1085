/* What /proc says about processes: states, our children, signal masks; see scn.h. */
#include "scn.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return 0;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ')'. */
	char *paren = strrchr(buf, ')');
	if (paren == NULL || paren[1] != ' ') {
		return 0;
	}
	return paren[2];
}

bool proc_wait_state(pid_t pid, char state, double seconds)
{
	double end = scn_now() + seconds;
	for (;;) {
		if (proc_state(pid) == state) {
			return true;
		}
		if (scn_now() > end) {
			return false;
		}
		scn_nap(0.0005);
	}
}

bool proc_wait_asleep(pid_t pid, double seconds)
{
	return proc_wait_state(pid, 'S', seconds);
}

/* The number of the system call pid sleeps in, -1 if it runs or is gone, -2 without the file. */
static long sleeping_syscall(pid_t pid)
{
	char path[64], buf[64] = { 0 };
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -2;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	if (n == 0 || buf[0] < '0' || buf[0] > '9') {
		return -1; /* "running" */
	}
	return strtol(buf, NULL, 10);
}

bool proc_wait_in_wait(pid_t pid, double seconds)
{
	double end = scn_now() + seconds;
	for (;;) {
		long nr = sleeping_syscall(pid);
		if (nr == -2) {
			return proc_wait_asleep(pid, end - scn_now());
		}
		if ((nr == SYS_wait4 || nr == SYS_waitid) && proc_state(pid) == 'S') {
			return true;
		}
		if (scn_now() > end) {
			return false;
		}
		scn_nap(0.0005);
	}
}

char proc_state_at(const char *stat_path)
{
	int fd = open(stat_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	char buf[512];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		return 0;
	}
	char *paren = NULL;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == ')') {
			paren = &buf[i];
		}
	}
	return paren != NULL && paren + 2 < buf + n && paren[1] == ' ' ? paren[2] : 0;
}

static void count_file(const char *path, bool foreign_only, int *zombies, int *live)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return;
	}
	int pid;
	while (fscanf(f, "%d", &pid) == 1) {
		if (foreign_only && own_is(pid)) {
			continue;
		}
		char st = proc_state(pid);
		if (st == 'Z') {
			(*zombies)++;
		} else if (st != 0 && st != 'X') {
			(*live)++;
		}
	}
	fclose(f);
}

/* The children of pid (0: this process), counted over every thread's list. */
static void count_children_of(pid_t pid, bool foreign_only, int *zombies, int *live)
{
	char dir[64];
	*zombies = *live = 0;
	if (pid == 0) {
		snprintf(dir, sizeof dir, "/proc/self/task");
	} else {
		snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char path[400];
		snprintf(path, sizeof path, "%s/%s/children", dir, e->d_name);
		count_file(path, foreign_only, zombies, live);
	}
	closedir(d);
}

static void count_children(bool foreign_only, int *zombies, int *live)
{
	count_children_of(0, foreign_only, zombies, live);
}

int proc_zombie_children(pid_t pid)
{
	int zombies, live;
	count_children_of(pid, false, &zombies, &live);
	return zombies;
}

void kids_count(int *zombies, int *live)
{
	count_children(false, zombies, live);
}

void kids_count_foreign(int *zombies, int *live)
{
	count_children(true, zombies, live);
}

static bool status_field(pid_t pid, const char *field, char *out, size_t len)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return false;
	}
	size_t flen = strlen(field);
	bool found = false;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			snprintf(out, len, "%s", line + flen + 1);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

int self_threads(void)
{
	char v[64];
	return status_field(getpid(), "Threads", v, sizeof v) ? atoi(v) : -1;
}

unsigned long long proc_sigmask(pid_t pid, const char *field)
{
	char v[64];
	return status_field(pid, field, v, sizeof v) ? strtoull(v, NULL, 16) : 0;
}
