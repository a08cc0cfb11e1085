/* The ways to be PID 1 that the benchmark compares, and the argv/envp of one run. Every run gets
 * the same small fixed environment, never the driver's own (no stray LD_PRELOAD or REAP_*). */
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const w_tini[] = {"/usr/bin/tini", "--", NULL};
static const char *const w_dumb[] = {"/usr/bin/dumb-init", NULL};
static const char *const w_cata[] = {"/usr/bin/catatonit", "--", NULL};

const struct cand cands[C_COUNT] = {
	[C_BARE] = {"bare", NULL, P_NONE, false},
	[C_REAP] = {"reap.so", NULL, P_REAP, false},
	[C_TINI] = {"tini", w_tini, P_NONE, true},
	[C_DUMB] = {"dumb-init", w_dumb, P_NONE, true},
	[C_CATA] = {"catatonit", w_cata, P_NONE, true},
	[C_PERIODIC] = {"periodic 1 s", NULL, P_NONE, false},
	[C_LIMIT] = {"limit: 1 signal", NULL, P_NONE, false},
	[C_EMPTY] = {"empty .so (reference)", NULL, P_EMPTY, false},
};

const char *const *cand_argv(const struct cand *c, const char *const *prog)
{
	static const char *argv[32];
	int n = 0;

	for (int i = 0; c->wrapper && c->wrapper[i]; i++) {
		argv[n++] = c->wrapper[i];
	}
	for (int i = 0; prog[i] && n < 31; i++) {
		argv[n++] = prog[i];
	}
	argv[n] = NULL;
	return argv;
}

const char *const *make_env(enum preload preload, const char *const *extra)
{
	static char preload_var[4300];
	static const char *envp[16];
	int n = 0;

	envp[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[n++] = "LC_ALL=C";
	if (preload != P_NONE) {
		if (preload == P_FLOOR) {
			snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s/floor.so", cfg.work);
		} else if (preload == P_EMPTY_COPY) {
			snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", empty_copy_path());
		} else {
			snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", preload == P_REAP ? cfg.shim : cfg.empty);
		}
		envp[n++] = preload_var;
	}
	for (int i = 0; extra && extra[i] && n < 15; i++) {
		envp[n++] = extra[i];
	}
	envp[n] = NULL;
	return envp;
}

const char *work_prog(const char *name, int slot)
{
	static char paths[4][4200];

	snprintf(paths[slot & 3], sizeof paths[0], "%s/%s", cfg.work, name);
	return paths[slot & 3];
}

void drop_from_page_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

const char *empty_copy_path(void)
{
	static char path[4200];

	snprintf(path, sizeof path, "%s/empty-copy.so", cfg.work);
	return path;
}

bool make_empty_copy(void)
{
	char buf[65536];
	int in = open(cfg.empty, O_RDONLY | O_CLOEXEC);
	int out = open(empty_copy_path(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t got = 0;

	while (in >= 0 && out >= 0 && (got = read(in, buf, sizeof buf)) > 0 && write(out, buf, (size_t)got) == got) {
	}
	if (in >= 0) {
		close(in);
	}
	return out >= 0 && close(out) == 0 && in >= 0 && got == 0;
}
