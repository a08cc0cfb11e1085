/* Running core scenarios in each mode, and the expectations shared by the core tests; see modes.h. */
#include "modes.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool stress(void)
{
	const char *s = getenv("STRESS");
	return s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
}

static const char *mode_name(enum mode m)
{
	switch (m) {
	case ACTIVE:
		return "PID 1 with the shim";
	case PLAIN1:
		return "PID 1 without the shim";
	case OFF1:
		return "PID 1 with REAP_MODE=off";
	case PLAIN:
		return "not PID 1, without the shim";
	case INERT:
		return "not PID 1, with the shim (inert)";
	case SUBREAPER:
		return "not PID 1, with REAP_MODE=subreaper";
	case SPLIT1:
		return "PID 1 with REAP_MODE=split";
	case SPLIT:
		return "not PID 1, with REAP_MODE=split";
	}
	return "?";
}

void scn_start(enum mode mode, const char *name, const char *const args[], bool storm, const char *const env[],
               struct proc *p)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = scenario(name);
	for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;

	const char *full_env[64];
	size_t k = 0;
	full_env[k++] = storm ? "SCN_STORM=1" : "SCN_STORM=0";
	if (mode == OFF1) {
		full_env[k++] = "REAP_MODE=off";
	} else if (mode == SUBREAPER) {
		full_env[k++] = "REAP_MODE=subreaper";
	} else if (mode == SPLIT1 || mode == SPLIT) {
		full_env[k++] = "REAP_MODE=split";
	}
	for (size_t i = 0; env != NULL && env[i] != NULL && k < 63; i++) {
		full_env[k++] = env[i];
	}
	full_env[k] = NULL;

	bool preload = mode != PLAIN1 && mode != PLAIN;
	if (preload) {
		cr_assert(access(shim_path(), R_OK) == 0, "%s is missing: run make first", shim_path());
	}
	cr_assert(access(argv[0], X_OK) == 0, "%s is missing: run make first", argv[0]);
	struct run_opts opts = {
		.pid1 = mode == ACTIVE || mode == PLAIN1 || mode == OFF1 || mode == SPLIT1,
		.preload = preload,
		.env = full_env,
		.timeout_s = stress() ? 300 : 60,
	};
	proc_start(p, argv, &opts);
}

void scn_run(enum mode mode, const char *name, const char *const args[], bool storm, const char *const env[],
             struct run_result *r)
{
	struct proc p;
	scn_start(mode, name, args, storm, env, &p);
	proc_finish(&p, r);
	cr_assert(!r->timed_out, "%s %s (%s) timed out; output:\n%s", name, args && args[0] ? args[0] : "",
	          mode_name(mode), r->out);
}

int count_lines(const struct run_result *r, const char *prefix)
{
	int n = 0;
	size_t plen = strlen(prefix);
	for (const char *line = r->out; line != NULL && *line != '\0';) {
		if (strncmp(line, prefix, plen) == 0) {
			n++;
		}
		line = strchr(line, '\n');
		if (line != NULL) {
			line++;
		}
	}
	return n;
}

void assert_passed(const char *what, const struct run_result *r)
{
	cr_assert(r->exit_code == 0 && count_lines(r, "FAIL") == 0,
	          "%s: expected exit 0 and no FAIL line, got exit %d; output:\n%s", what, r->exit_code, r->out);
}

/* Line number and text of the first line where a and b differ. */
static void first_difference(const char *a, const char *b, char *out, size_t len)
{
	int line = 1;
	const char *la = a, *lb = b;
	while (*a != '\0' && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
	snprintf(out, len, "line %d:\n  %.*s\nversus\n  %.*s", line, na, la, nb, lb);
}

void assert_same(const char *what_a, const struct run_result *a, const char *what_b, const struct run_result *b)
{
	if (a->exit_code == b->exit_code && strcmp(a->out, b->out) == 0) {
		return;
	}
	char diff[1024];
	first_difference(a->out, b->out, diff, sizeof diff);
	cr_assert_fail("%s and %s differ: exit %d versus %d; first difference at %s\n"
	               "--- %s:\n%s--- %s:\n%s",
	               what_a, what_b, a->exit_code, b->exit_code, diff, what_a, a->out, what_b, b->out);
}

static char *describe(const char *name, const char *const args[], enum mode m, bool storm)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s (%s, %s)", name, args && args[0] ? args[0] : "", mode_name(m),
	             storm ? "under a storm of foreign orphans" : "no foreign orphans") < 0) {
		abort();
	}
	return s;
}

/* One side of a comparison of two runs: the mode, whether under a storm, and whether the run must
 * pass by itself too. */
struct side {
	enum mode mode;
	bool storm;
	bool must_pass;
};

/* Run the scenario as side a, then as side b (each checked at once where it must pass), and assert
 * that the two transcripts and exit codes are the same. */
static void compare_runs(const char *name, const char *const args[], struct side a, struct side b)
{
	struct run_result ra, rb;
	char *d_a = describe(name, args, a.mode, a.storm);
	char *d_b = describe(name, args, b.mode, b.storm);
	scn_run(a.mode, name, args, a.storm, NULL, &ra);
	if (a.must_pass) {
		assert_passed(d_a, &ra);
	}
	scn_run(b.mode, name, args, b.storm, NULL, &rb);
	if (b.must_pass) {
		assert_passed(d_b, &rb);
	}
	assert_same(d_a, &ra, d_b, &rb);
	run_result_free(&ra);
	run_result_free(&rb);
	free(d_a);
	free(d_b);
}

void expect_like_libc(const char *name, const char *const args[])
{
	compare_runs(name, args, (struct side){ .mode = ACTIVE, .storm = true, .must_pass = true },
	             (struct side){ .mode = PLAIN, .storm = false, .must_pass = true });
}

static void assert_problem(const char *what, const struct run_result *r, const char *symptom)
{
	bool found = false;
	for (const char *line = strstr(r->out, "FAIL"); line != NULL; line = strstr(line + 1, "\nFAIL")) {
		const char *end = strchr(line + 1, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		char *l = strndup(line, len);
		found = found || strstr(l, symptom) != NULL;
		free(l);
	}
	cr_assert(r->exit_code != 0 && found,
	          "%s: the negative control must show the problem (a FAIL line with \"%s\" and a nonzero exit), "
	          "got exit %d; output:\n%s",
	          what, symptom, r->exit_code, r->out);
}

/* Run the scenario in `mode` under a storm and assert that it shows the problem (`symptom`). */
static void expect_problem_in(enum mode mode, const char *name, const char *const args[], const char *symptom)
{
	struct run_result r;
	char *d = describe(name, args, mode, true);
	scn_run(mode, name, args, true, ENV("SCN_SETTLE=0.3"), &r);
	assert_problem(d, &r, symptom);
	run_result_free(&r);
	free(d);
}

void expect_problem(const char *name, const char *const args[], const char *symptom)
{
	expect_problem_in(PLAIN1, name, args, symptom);
}

void expect_inert(const char *name, const char *const args[])
{
	/* Outside PID 1 orphans do not come to the program, and the scenarios make none (they would
	 * only burden the machine's init): no storm here. */
	compare_runs(name, args, (struct side){ .mode = INERT, .storm = false, .must_pass = false },
	             (struct side){ .mode = PLAIN, .storm = false, .must_pass = true });
}

void expect_off(const char *name, const char *const args[], const char *symptom)
{
	compare_runs(name, args, (struct side){ .mode = OFF1, .storm = false, .must_pass = false },
	             (struct side){ .mode = PLAIN1, .storm = false, .must_pass = false });
	expect_problem_in(OFF1, name, args, symptom);
}

void expect_subreaper(const char *name, const char *const args[])
{
	compare_runs(name, args, (struct side){ .mode = SUBREAPER, .storm = true, .must_pass = true },
	             (struct side){ .mode = PLAIN, .storm = false, .must_pass = false });
}

void expect_split(const char *name, const char *const args[])
{
	compare_runs(name, args, (struct side){ .mode = SPLIT1, .storm = true, .must_pass = true },
	             (struct side){ .mode = PLAIN, .storm = false, .must_pass = true });
}

/* ---- outside views ----------------------------------------------------------------------------- */

static char state_of(pid_t pid)
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
	char *paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

void host_children(pid_t pid, int *zombies, int *live)
{
	*zombies = *live = 0;
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (d == NULL) {
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char path[512];
		snprintf(path, sizeof path, "%s/%s/children", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			continue;
		}
		int child;
		while (fscanf(f, "%d", &child) == 1) {
			char st = state_of(child);
			if (st == 'Z') {
				(*zombies)++;
			} else if (st != 0) {
				(*live)++;
			}
		}
		fclose(f);
	}
	closedir(d);
}

int host_threads(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	int n = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "Threads: %d", &n) == 1) {
			break;
		}
	}
	fclose(f);
	return n;
}
