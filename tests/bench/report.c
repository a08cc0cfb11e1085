/* Statistics over repeated runs and the output: Markdown tables on stdout and in the results
 * file, raw per-run figures in the results file only. */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *results_file;
static int n_failed;
/* Raw figures are kept aside and written after the tables, so that the tables stay whole. */
static char *raw_buf;
static size_t raw_len, raw_cap;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double quantile(double *v, size_t n, double q)
{
	double pos, frac;
	size_t lo;

	if (n == 0) {
		return NAN;
	}
	qsort(v, n, sizeof *v, cmp_double);
	pos = q * (double)(n - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	return lo + 1 < n ? v[lo] + frac * (v[lo + 1] - v[lo]) : v[lo];
}

struct spread spread_of(const double *v, int n)
{
	struct spread s = {NAN, NAN, NAN, 0};
	double *c;
	int m = 0;

	c = malloc(sizeof *c * (size_t)(n > 0 ? n : 1));
	if (!c) {
		abort();
	}
	for (int i = 0; i < n; i++) {
		if (!isnan(v[i])) {
			c[m++] = v[i];
		}
	}
	if (m > 0) {
		s.med = quantile(c, (size_t)m, 0.5);
		s.min = c[0];
		s.max = c[m - 1];
		s.n = m;
	}
	free(c);
	return s;
}

void fmt_num(char *b, size_t n, double v)
{
	double a = fabs(v);

	if (isnan(v)) {
		snprintf(b, n, "-");
	} else if (a >= 1000) {
		snprintf(b, n, "%.0f", v);
	} else if (a >= 100) {
		snprintf(b, n, "%.1f", v);
	} else if (a >= 10) {
		snprintf(b, n, "%.2f", v);
	} else {
		snprintf(b, n, "%.3f", v);
	}
}

void fmt_spread(char *b, size_t n, struct spread s)
{
	char m[32], lo[32], hi[32];

	if (s.n == 0) {
		snprintf(b, n, "-");
		return;
	}
	fmt_num(m, sizeof m, s.med);
	if (s.n == 1) {
		snprintf(b, n, "%s", m);
		return;
	}
	fmt_num(lo, sizeof lo, s.min);
	fmt_num(hi, sizeof hi, s.max);
	snprintf(b, n, "%s [%s .. %s]", m, lo, hi);
}

int report_open(const char *path)
{
	results_file = fopen(path, "w");
	return results_file ? 0 : -1;
}

void report_close(void)
{
	if (results_file) {
		if (raw_len) {
			fprintf(results_file, "\n## Raw per-run figures (in run order)\n\n```\n%s```\n", raw_buf);
		}
		fclose(results_file);
	}
	free(raw_buf);
}

void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (results_file) {
		va_start(ap, fmt);
		vfprintf(results_file, fmt, ap);
		va_end(ap);
		fflush(results_file);
	}
}

void raw(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!results_file) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	while (raw_len + (size_t)n + 1 > raw_cap) {
		raw_cap = raw_cap ? raw_cap * 2 : 65536;
		raw_buf = realloc(raw_buf, raw_cap);
		if (!raw_buf) {
			abort();
		}
	}
	va_start(ap, fmt);
	vsnprintf(raw_buf + raw_len, raw_cap - raw_len, fmt, ap);
	va_end(ap);
	raw_len += (size_t)n;
}

void raw_list(const char *label, const double *v, int n)
{
	char b[32];

	raw("    %s:", label);
	for (int i = 0; i < n; i++) {
		fmt_num(b, sizeof b, v[i]);
		raw(" %s", b);
	}
	raw("\n");
}

static void row(const char *const *cells, bool rule)
{
	out("|");
	for (int i = 0; cells[i]; i++) {
		if (rule) {
			out(" --- |");
		} else {
			out(" %s |", cells[i]);
		}
	}
	out("\n");
}

void table_head(const char *const *cols)
{
	out("\n");
	row(cols, false);
	row(cols, true);
}

void table_row(const char *const *cells)
{
	row(cells, false);
}

void failed(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	n_failed++;
	out("\n**NOT TAKEN**: %s\n", msg);
}

int failures(void)
{
	return n_failed;
}
