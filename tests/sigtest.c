/* The helpers the signal tests share (test_signals.c, test_signals_family.c); see sigtest.h. */
#include "sigtest.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *cfg_name(enum cfg c)
{
	static const char *const names[] = { "shim", "no preload", "REAP_SIGNALS=off", "REAP_MODE=off",
					     "REAP_MODE=split" };
	return names[c];
}

struct run_opts cfg_opts(enum cfg c, const char *const *extra_env, double timeout_s)
{
	static const char *const signals_off[] = { "REAP_SIGNALS=off", NULL };
	static const char *const mode_off[] = { "REAP_MODE=off", NULL };
	struct run_opts o = { .pid1 = true, .preload = c != NO_PRELOAD, .env = extra_env,
			      .timeout_s = timeout_s };
	static const char *split[16];
	if (c == SIGNALS_OFF) {
		o.env = signals_off;
	} else if (c == MODE_OFF) {
		o.env = mode_off;
	} else if (c == SPLIT_MODE) {
		size_t n = 0;
		split[n++] = "REAP_MODE=split";
		for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && n < 15; i++) {
			split[n++] = extra_env[i];
		}
		split[n] = NULL;
		o.env = split;
	}
	return o;
}

void start_until(struct proc *p, const char *const argv[], const struct run_opts *o, const char *ready)
{
	proc_start(p, argv, o);
	cr_assert_not_null(proc_wait_line(p, ready, 10), "%s never printed %s; output:\n%s", argv[0], ready,
			   p->out);
}

void assert_split_init(const struct proc *p)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof path, "/proc/%d/comm", (int)p->init_pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	cr_assert_not_null(fgets(comm, sizeof comm, f));
	fclose(f);
	cr_assert_str_eq(comm, "reap-init\n", "PID 1 is not the split-mode init; output:\n%s", p->out);
}

bool survives(struct proc *p, int sig, int nth)
{
	char want[32];
	snprintf(want, sizeof want, "PROBE %d", nth);
	proc_signal(p, sig);
	proc_signal(p, PROBE);
	return proc_wait_line(p, want, 5) != NULL;
}

void finish_by_sigkill(struct proc *p, struct run_result *r)
{
	proc_signal(p, SIGKILL);
	proc_finish(p, r);
	cr_expect(!r->timed_out, "run did not end after SIGKILL");
}

/* Runs end_exit code HOW CODE under c; whether it exited with `expect` after its exit handler. */
static void expect_end(enum cfg c, const char *how, const char *code, int expect, bool handler)
{
	static const char *const env[] = { "REAP_EXIT_ZERO=143", NULL };
	const char *argv[] = { scenario("end_exit"), "code", how, code, NULL };
	struct run_opts o = cfg_opts(c, env, RUN_S);
	struct run_result r;

	run(argv, &o, &r);
	cr_expect(!r.timed_out && WIFEXITED(r.status) && WEXITSTATUS(r.status) == expect &&
			  (!handler || has_line(r.out, "ATEXIT")),
		  "%s: %s %s under REAP_EXIT_ZERO=143: expected %d%s, got raw status %#x:\n%s", cfg_name(c), how, code,
		  expect, handler ? " after the exit handler" : "", r.status, r.out);
	run_result_free(&r);
}

void expect_exit_zero_applies(const char *how)
{
	expect_end(SHIM, how, "143", 0, true);
	expect_end(SHIM, how, "130", 130, true);
	expect_end(NO_PRELOAD, how, "143", 143, false);
}

bool has_line(const char *out, const char *line)
{
	size_t len = strlen(line);
	for (const char *s = out; s != NULL && *s != '\0'; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (strncmp(s, line, len) == 0 && (s[len] == '\n' || s[len] == '\0')) {
			return true;
		}
	}
	return false;
}

char *lines_with(const char *out, const char *prefix)
{
	size_t cap = strlen(out) + 1;
	char *res = calloc(1, cap);
	size_t len = 0;
	size_t plen = strlen(prefix);
	cr_assert_not_null(res);
	for (const char *s = out; *s != '\0';) {
		size_t n = strcspn(s, "\n");
		if (strncmp(s, prefix, plen) == 0) {
			memcpy(res + len, s, n);
			len += n;
			res[len++] = '\n';
		}
		s += n;
		if (*s == '\n') {
			s++;
		}
	}
	res[len] = '\0';
	return res;
}
