/* Measurement 3b: where the cost of each loop of measurement 3 goes. Each loop, in each
 * configuration, runs once more for a fixed number of operations while the kernel counts what it
 * does (work/loops KIND count N; work/lib/perfcount.h): system calls of the loop's own process and
 * of its children, by name, and signal deliveries. Together with the CPU times of the timed runs
 * (getrusage of the loop's process and of its children), every microsecond that reap.so adds over
 * the empty preload is put on the process's user time (the library's own code), its system time
 * (its system calls, signal deliveries, page copies at fork), the children, or elsewhere (time no
 * process of the loop was on the CPU: wake-ups, other jobs).
 *
 * The counted runs are cheap only while a holder process keeps the tracepoints registered
 * (work/lib/perfcount.h); its release takes seconds and every system call of the machine is slower
 * until then, so this measurement runs after every timed one. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NAMES 160

struct counts {
	bool ok;
	double sys_self, sys_all, sig_self, sig_all, flt_self, flt_all;   /* per operation */
	int n;
	struct {
		char name[48];
		double v;
	} sc[MAX_NAMES];
};

static double by_name(const struct counts *c, const char *name)
{
	for (int i = 0; i < c->n; i++) {
		if (!strcmp(c->sc[i].name, name)) {
			return c->sc[i].v;
		}
	}
	return 0;
}

static void parse_counts(const char *text, double ops, struct counts *c)
{
	const char *p = text;

	memset(c, 0, sizeof *c);
	while ((p = strstr(p, "COUNT ")) != NULL) {
		char name[48];
		double v;

		if (sscanf(p, "COUNT %47s %lf", name, &v) == 2) {
			v /= ops;
			if (!strcmp(name, "sys_self")) {
				c->sys_self = v;
			} else if (!strcmp(name, "sys_all")) {
				c->sys_all = v;
			} else if (!strcmp(name, "sig_self")) {
				c->sig_self = v;
			} else if (!strcmp(name, "sig_all")) {
				c->sig_all = v;
			} else if (!strcmp(name, "flt_self")) {
				c->flt_self = v;
			} else if (!strcmp(name, "flt_all")) {
				c->flt_all = v;
			} else if (!strncmp(name, "sc_", 3) && c->n < MAX_NAMES) {
				snprintf(c->sc[c->n].name, sizeof c->sc[0].name, "%s", name + 3);
				c->sc[c->n++].v = v;
			}
		}
		p += 6;
	}
	if (c->n < MAX_NAMES) {
		double named = 0;

		for (int i = 0; i < c->n; i++) {
			named += c->sc[i].v;
		}
		snprintf(c->sc[c->n].name, sizeof c->sc[0].name, "(others)");
		c->sc[c->n++].v = c->sys_all - named;
	}
	c->ok = true;
}

struct holder {
	pid_t pid;
	int to_fd;              /* its stdin: closing it releases the counters */
};

/* Start `loops hold` (outside any namespace) and wait for HELD. 0; 1 if the kernel cannot count
 * here (why says so); -1 on another failure. */
static int holder_start(struct holder *h, char *why, size_t size)
{
	int in[2], outp[2];
	char buf[300] = "";
	size_t len = 0;
	int64_t deadline = now_ns() + 30000000000LL;

	h->pid = -1;
	h->to_fd = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		return -1;
	}
	h->pid = fork();
	if (h->pid == 0) {
		const char *argv[] = {work_prog("loops", 0), "hold", NULL};

		dup2(in[0], 0);
		dup2(outp[1], 1);
		execve(argv[0], (char *const *)argv, (char *const *)make_env(P_NONE, NULL));
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	h->to_fd = in[1];
	while (h->pid > 0 && !strchr(buf, '\n') && len < sizeof buf - 1 && now_ns() < deadline) {
		struct pollfd p = {.fd = outp[0], .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		n = read(outp[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(outp[0]);
	if (!strncmp(buf, "HELD", 4)) {
		return 0;
	}
	snprintf(why, size, "%.*s", (int)strcspn(buf, "\n"), !strncmp(buf, "NOCOUNT ", 8) ? buf + 8 : buf);
	return !strncmp(buf, "NOCOUNT ", 8) ? 1 : -1;
}

/* Let the holder go and wait for the kernel to unregister the tracepoints (bounded). */
static void holder_release(struct holder *h)
{
	int pidfd = h->pid > 0 ? (int)syscall(SYS_pidfd_open, h->pid, 0) : -1;
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (h->to_fd >= 0) {
		close(h->to_fd);
	}
	if (h->pid <= 0) {
		return;
	}
	if (pidfd < 0 || poll(&p, 1, 60000) <= 0) {
		fprintf(stderr, "reapbench: the counter holder (pid %d) did not exit in 60 s; killing it\n", (int)h->pid);
		kill(h->pid, SIGKILL);
	}
	waitpid(h->pid, NULL, 0);
	if (pidfd >= 0) {
		close(pidfd);
	}
}

/* 0 counted, 1 the kernel cannot count here (said once), -1 the run failed. */
static int count_once(int kind, int c, long ops, struct counts *out_c)
{
	char s_ops[32];
	const char *prog[] = {work_prog("loops", 0), loop_kinds[kind].arg, "count", s_ops, NULL};
	static bool told;
	int code, rc = -1;
	char *text;
	const char *no = NULL;

	snprintf(s_ops, sizeof s_ops, "%ld", ops);
	text = ns_capture(prog, make_env(loop_cfgs[c].preload, NULL), loop_cfgs[c].pid1, -1, 120, &code);
	no = strstr(text, "NOCOUNT ");
	if (no) {
		if (!told) {
			out("\n(the kernel's counters are not available here: %.*s; no attribution)\n",
			    (int)strcspn(no + 8, "\n"), no + 8);
			told = true;
		}
		rc = 1;
	} else if (code != 0 || !strstr(text, "COUNT sys_all")) {
		failed("counted loop %s, %s: exit status %d; output:\n```\n%s\n```", loop_kinds[kind].arg,
		       loop_cfgs[c].name, code, tail_lines(text, 10));
	} else {
		parse_counts(text, (double)ops, out_c);
		rc = 0;
	}
	free(text);
	return rc;
}

static void fmt_or_dash(char *b, size_t n, bool ok, double v)
{
	if (ok && !isnan(v)) {
		fmt_num(b, n, v);
	} else {
		snprintf(b, n, "-");
	}
}

static void attrib_row(int kind, int c, const struct counts *k)
{
	const struct loop_stat *st = &results.loop[kind][c];
	static const char *const preload_name[] = {"no preload", "reap.so", "empty .so", "floor.so"};
	char v[10][32];
	const char *row[] = {loop_kinds[kind].desc, loop_cfgs[c].pid1 ? "PID 1" : "plain", preload_name[loop_cfgs[c].preload],
	                     v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], NULL};

	fmt_or_dash(v[0], sizeof v[0], st->ok, st->us);
	fmt_or_dash(v[1], sizeof v[1], st->ok, st->user_us);
	fmt_or_dash(v[2], sizeof v[2], st->ok, st->sys_us);
	fmt_or_dash(v[3], sizeof v[3], st->ok, st->child_us);
	fmt_or_dash(v[4], sizeof v[4], k->ok, k->sys_self);
	fmt_or_dash(v[5], sizeof v[5], k->ok, k->sys_all - k->sys_self);
	fmt_or_dash(v[6], sizeof v[6], k->ok, k->sig_self);
	fmt_or_dash(v[7], sizeof v[7], k->ok, k->sig_all - k->sig_self);
	fmt_or_dash(v[8], sizeof v[8], k->ok, k->flt_self);
	fmt_or_dash(v[9], sizeof v[9], k->ok, k->flt_all - k->flt_self);
	table_row(row);
}

/* "+2.00 rt_sigprocmask, +1.00 waitid": the names whose count differs, largest first. */
static void name_diff(char *b, size_t size, const struct counts *a, const struct counts *base)
{
	struct {
		const char *name;
		double d;
	} d[2 * MAX_NAMES];
	int n = 0;
	size_t len = 0;

	for (int i = 0; i < a->n; i++) {
		d[n].name = a->sc[i].name;
		d[n++].d = a->sc[i].v - by_name(base, a->sc[i].name);
	}
	for (int i = 0; i < base->n; i++) {
		if (by_name(a, base->sc[i].name) == 0) {
			d[n].name = base->sc[i].name;
			d[n++].d = -base->sc[i].v;
		}
	}
	b[0] = '\0';
	for (int shown = 0; shown < 8; shown++) {
		int best = -1;

		for (int i = 0; i < n; i++) {
			if (fabs(d[i].d) >= 0.05 && (best < 0 || fabs(d[i].d) > fabs(d[best].d))) {
				best = i;
			}
		}
		if (best < 0) {
			break;
		}
		len += (size_t)snprintf(b + len, len < size ? size - len : 0, "%s%+.2f %s", shown ? ", " : "", d[best].d,
		                        d[best].name);
		d[best].d = 0;
	}
	if (!b[0]) {
		snprintf(b, size, "none");
	}
}

/* One line per loop and role: where reap.so's extra microseconds go. */
static void attrib_line(int kind, int plain, const struct counts *k)
{
	int none = plain ? CFG_PLAIN_NONE : CFG_PID1_NONE, empty = none + 1, reap = none + 2;
	const struct loop_stat *e = &results.loop[kind][empty], *r = &results.loop[kind][reap],
	                       *z = &results.loop[kind][none];
	char names[512], any[512];

	if (!k[empty].ok || !k[reap].ok) {
		return;
	}
	name_diff(names, sizeof names, &k[reap], &k[empty]);
	name_diff(any, sizeof any, &k[empty], &k[none]);
	out("- **%s, %s**: ", loop_kinds[kind].desc, plain ? "inert" : "PID 1");
	if (e->ok && r->ok) {
		double du = r->user_us - e->user_us, ds = r->sys_us - e->sys_us, dc = r->child_us - e->child_us;
		double dt = r->us - e->us;

		out("reap.so - empty .so = %+.2f us/op: process %+.2f (user %+.2f, system %+.2f, sampled), children "
		    "%+.2f, elsewhere %+.2f. ", dt, du + ds, du, ds, dc, dt - du - ds - dc);
	}
	out("System calls %+.2f/op (process %+.2f, children %+.2f): %s. Signal deliveries %+.2f/op (process %+.2f). "
	    "Page faults %+.1f/op (process %+.1f). ",
	    k[reap].sys_all - k[empty].sys_all, k[reap].sys_self - k[empty].sys_self,
	    (k[reap].sys_all - k[reap].sys_self) - (k[empty].sys_all - k[empty].sys_self), names,
	    k[reap].sig_all - k[empty].sig_all, k[reap].sig_self - k[empty].sig_self, k[reap].flt_all - k[empty].flt_all,
	    k[reap].flt_self - k[empty].flt_self);
	if (e->ok && z->ok && k[none].ok) {
		out("Any preload (empty .so - no preload): %+.2f us/op, system calls %+.2f/op (%s), page faults %+.1f/op.",
		    e->us - z->us, k[empty].sys_all - k[none].sys_all, any, k[empty].flt_all - k[none].flt_all);
	}
	out("\n");
}

void measure_attribution(void)
{
	static const char *const cols[] = {"loop", "as", "preload", "us/op (wall)", "process user us/op",
	                                   "process system us/op", "children CPU us/op", "system calls/op: process",
	                                   "children", "signals delivered/op: process", "children",
	                                   "page faults/op: process", "children", NULL};
	static struct counts k[LK_COUNT][N_LOOP_CFG];
	struct holder h;
	char why[300];
	int held = holder_start(&h, why, sizeof why);
	bool unavailable = held != 0;

	if (held == 1) {
		out("\n(the kernel's counters are not available here: %s; no attribution)\n", why);
	} else if (held < 0) {
		failed("attribution: the counter holder did not start: %s", why);
	}
	memset(k, 0, sizeof k);
	for (int kind = 0; kind < LK_COUNT && !unavailable; kind++) {
		long ops = cfg.quick ? (loop_kinds[kind].count_ops + 4) / 5 : loop_kinds[kind].count_ops;

		for (int c = 0; c < N_LOOP_CFG && !unavailable; c++) {
			if ((!loop_cfgs[c].pid1 || loop_kinds[kind].as_pid1) && loop_cfgs[c].preload != P_EMPTY_COPY) {
				unavailable = count_once(kind, c, ops, &k[kind][c]) == 1;
			}
		}
	}
	fprintf(stderr, "reapbench: releasing the kernel counters (seconds, no CPU)\n");
	holder_release(&h);
	out("\n### 3b. Where the cost goes\n\n");
	out("Times are medians over the timed runs of measurement 3: wall time, and getrusage of the\n"
	    "loop's process and of its children (each sum is exact; the split between user and system time\n"
	    "is the kernel's tick sampling unless it accounts precisely, so take it as indicative). The\n"
	    "counts come from one more run per configuration of a fixed number of operations, with kernel\n"
	    "counters attached to the loop's process: perf tracepoints raw_syscalls:sys_enter,\n"
	    "signal:signal_deliver, and syscalls:sys_enter_* for a list of names (\"(others)\" is the rest),\n"
	    "and the software event page-faults. Unlike strace they do not change what they count (a\n"
	    "traced process receives every SIGCHLD, even one the kernel would discard). \"process\" is the\n"
	    "loop's own process (PID 1 when active), \"children\" everything it started; a signal counts\n"
	    "when the process takes it from its queue (to run a handler, or to discard it after it was\n"
	    "blocked). \"elsewhere\" is wall time when no process of the loop was on its CPU (wake-ups,\n"
	    "other jobs on the machine); medians do not add up exactly.\n");
	if (unavailable) {
		return;
	}
	table_head(cols);
	for (int kind = 0; kind < LK_COUNT; kind++) {
		for (int c = 0; c < N_LOOP_CFG; c++) {
			if ((!loop_cfgs[c].pid1 || loop_kinds[kind].as_pid1) && loop_cfgs[c].preload != P_EMPTY_COPY) {
				attrib_row(kind, c, &k[kind][c]);
			}
		}
	}
	out("\n");
	for (int kind = 0; kind < LK_COUNT; kind++) {
		for (int plain = loop_kinds[kind].as_pid1 ? 0 : 1; plain < 2; plain++) {
			attrib_line(kind, plain, k[kind]);
		}
	}
}
