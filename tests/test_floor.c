/* The old-glibc floor (shim/glibc-floor.h): the glibc builds of the library, x86-64 and arm64, must
 * load on glibc 2.17 and later. A loader refuses a library that needs a symbol version its libc.so.6
 * does not define, so the test reads the version needs of each build (readelf -V) and requires every
 * GLIBC_ version there to be 2.17 or older, and the libraries that held the old versions before
 * glibc 2.34 (libdl.so.2, libpthread.so.0) among its DT_NEEDED entries. The control: a library
 * built here that calls gettid (glibc 2.30) is refused by the same reading.
 * Run one: build/tests/test_floor --filter 'floor/aarch64' */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define FLOOR "GLIBC_2.17"

/* Compares two glibc version names numerically, part by part (GLIBC_2.3.3 < GLIBC_2.17). */
static int compare_versions(const char *a, const char *b)
{
	a += strlen("GLIBC_");
	b += strlen("GLIBC_");
	while (*a != '\0' || *b != '\0') {
		char *end_a, *end_b;
		long na = strtol(a, &end_a, 10), nb = strtol(b, &end_b, 10);
		if (end_a == a && end_b == b) {
			return strcmp(a, b); /* no number left on either side (GLIBC_PRIVATE) */
		}
		if (na != nb) {
			return na < nb ? -1 : 1;
		}
		a = *end_a == '.' ? end_a + 1 : end_a;
		b = *end_b == '.' ? end_b + 1 : end_b;
	}
	return 0;
}

/* The output of a command, NUL-terminated; the caller frees it. */
static char *output_of(const char *command)
{
	FILE *f = popen(command, "r");
	cr_assert(f != NULL, "cannot run %s", command);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	size_t n;
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			out = realloc(out, cap *= 2);
		}
	}
	out[len] = '\0';
	cr_assert(pclose(f) == 0, "%s failed; output:\n%s", command, out);
	return out;
}

/* The highest GLIBC_ version lib needs (into newest), and how many it needs. */
static int glibc_needs(const char *lib, char *newest, size_t len)
{
	char command[4200];
	snprintf(command, sizeof command, "readelf -W -V '%s'", lib);
	char *out = output_of(command);
	const char *section = strstr(out, "Version needs section");
	int count = 0;
	snprintf(newest, len, "GLIBC_0");
	for (const char *s = section; s != NULL && (s = strstr(s, "Name: GLIBC_")) != NULL; s++) {
		char name[64];
		if (sscanf(s, "Name: %63s", name) == 1) {
			count++;
			if (compare_versions(name, newest) > 0) {
				snprintf(newest, len, "%s", name);
			}
		}
	}
	free(out);
	return count;
}

static bool needs_library(const char *lib, const char *soname)
{
	char command[4200], entry[128];
	snprintf(command, sizeof command, "readelf -W -d '%s'", lib);
	snprintf(entry, sizeof entry, "Shared library: [%s]", soname);
	char *out = output_of(command);
	bool found = strstr(out, entry) != NULL;
	free(out);
	return found;
}

static void expect_floor(const char *lib)
{
	char newest[64];
	cr_assert(access(lib, R_OK) == 0, "%s is missing: make test builds it", lib);
	int count = glibc_needs(lib, newest, sizeof newest);
	cr_assert(count > 0, "%s: no GLIBC_ version needs read: is it a glibc build?", lib);
	cr_expect(compare_versions(newest, FLOOR) <= 0, "%s needs %s, newer than the floor %s (readelf -V)", lib,
	          newest, FLOOR);
	cr_expect(needs_library(lib, "libdl.so.2"), "%s: no DT_NEEDED libdl.so.2 (dlsym's home before 2.34)", lib);
	cr_expect(needs_library(lib, "libpthread.so.0"),
	          "%s: no DT_NEEDED libpthread.so.0 (pthread_cleanup_push's functions before 2.34)", lib);
}

Test(floor, versions_compare)
{
	cr_expect(compare_versions("GLIBC_2.3.3", "GLIBC_2.17") < 0);
	cr_expect(compare_versions("GLIBC_2.17", "GLIBC_2.17") == 0);
	cr_expect(compare_versions("GLIBC_2.34", "GLIBC_2.17") > 0);
	cr_expect(compare_versions("GLIBC_2.2.5", "GLIBC_2.2") > 0);
}

/* build/reap.so: the native build, x86-64 glibc on the Debian machine the suite runs on */
Test(floor, native) { expect_floor(built("reap.so")); }
Test(floor, aarch64) { expect_floor(built("aarch64-linux-gnu/reap.so")); }

/* The control: the reading finds a need above the floor where there is one. */
Test(floor, control_gettid)
{
	char dir[] = "/tmp/reap-floor-XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	char src[64], lib[64], command[256], newest[64];
	snprintf(src, sizeof src, "%s/probe.c", dir);
	snprintf(lib, sizeof lib, "%s/probe.so", dir);
	FILE *f = fopen(src, "w");
	cr_assert(f != NULL);
	fputs("#define _GNU_SOURCE\n#include <unistd.h>\n"
	      "int probe(void);\nint probe(void) { return gettid(); }\n", f);
	fclose(f);
	snprintf(command, sizeof command, "cc -shared -fPIC -o %s %s", lib, src);
	cr_assert(system(command) == 0, "%s failed", command);
	glibc_needs(lib, newest, sizeof newest);
	cr_expect_str_eq(newest, "GLIBC_2.30", "gettid's version: expected GLIBC_2.30, read %s", newest);
	cr_expect(compare_versions(newest, FLOOR) > 0);
	unlink(src);
	unlink(lib);
	rmdir(dir);
}
