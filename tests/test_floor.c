/* The old-glibc floor (shim/glibc-floor.h): the glibc builds of the library, x86-64 and arm64, must
 * load on glibc 2.17 and later, and must not make every process load more than libc.so.6. A loader
 * refuses a library that needs a symbol version its libc.so.6 does not define, so the test reads the
 * version needs of each build (readelf -V) and requires every GLIBC_ version there to be 2.17 or
 * older. It requires libc.so.6 to be the only DT_NEEDED entry (libdl.so.2 and libpthread.so.0 would
 * cost every exec two objects more), and then every reference to a function that lived in
 * libpthread.so.0 or libdl.so.2 before glibc 2.34 to be weak, since an older glibc resolves it only
 * when the program loads those libraries itself. The controls: a library built here that calls
 * gettid (glibc 2.30) is refused by the same reading, and one that calls pthread_cleanup_push
 * without glibc-floor.h by the weak-reference rule.
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

static bool only_libc_needed(const char *lib)
{
	char command[4200];
	snprintf(command, sizeof command, "readelf -W -d '%s'", lib);
	char *out = output_of(command);
	int needed = 0;
	bool libc = false;
	for (const char *s = out; (s = strstr(s, "Shared library: [")) != NULL; s++) {
		needed++;
		libc |= strncmp(s + strlen("Shared library: ["), "libc.so.6]", strlen("libc.so.6]")) == 0;
	}
	free(out);
	return needed == 1 && libc;
}

/* Before glibc 2.34, libc.so.6 had of the pthread functions only these, which it forwarded to
 * libpthread.so.0 once loaded (nptl/forward.c of glibc 2.17); every other pthread_ and dl function
 * but dl_iterate_phdr lived in libpthread.so.0 or libdl.so.2. */
static const char *const libc_pthread_forwarders[] = {
	"pthread_attr_destroy", "pthread_attr_init", "pthread_attr_getdetachstate", "pthread_attr_setdetachstate",
	"pthread_attr_getinheritsched", "pthread_attr_setinheritsched", "pthread_attr_getschedparam",
	"pthread_attr_setschedparam", "pthread_attr_getschedpolicy", "pthread_attr_setschedpolicy",
	"pthread_attr_getscope", "pthread_attr_setscope", "pthread_condattr_destroy", "pthread_condattr_init",
	"pthread_cond_broadcast", "pthread_cond_destroy", "pthread_cond_init", "pthread_cond_signal",
	"pthread_cond_wait", "pthread_cond_timedwait", "pthread_equal", "pthread_exit", "pthread_getschedparam",
	"pthread_setschedparam", "pthread_mutex_destroy", "pthread_mutex_init", "pthread_mutex_lock",
	"pthread_mutex_unlock", "pthread_self", "pthread_setcancelstate", "pthread_setcanceltype",
};

static bool outside_libc_before_2_34(const char *name)
{
	if (strncmp(name, "dl", 2) == 0) {
		return strcmp(name, "dl_iterate_phdr") != 0;
	}
	if (strncmp(name, "pthread_", 8) != 0 && strncmp(name, "__pthread_", 10) != 0) {
		return false;
	}
	for (size_t i = 0; i < sizeof libc_pthread_forwarders / sizeof libc_pthread_forwarders[0]; i++) {
		if (strcmp(name, libc_pthread_forwarders[i]) == 0) {
			return false;
		}
	}
	return true;
}

/* Whether lib makes a strong (not weak) reference to such a function; the first one into name. */
static bool strong_outside_libc(const char *lib, char *name, size_t len)
{
	char command[4200];
	snprintf(command, sizeof command, "readelf -W --dyn-syms '%s'", lib);
	char *out = output_of(command);
	bool found = false;
	for (char *line = strtok(out, "\n"); line != NULL && !found; line = strtok(NULL, "\n")) {
		char bind[16], ndx[16], symbol[128];
		if (sscanf(line, "%*s %*s %*s %*s %15s %*s %15s %127s", bind, ndx, symbol) == 3 &&
		    strcmp(ndx, "UND") == 0 && strcmp(bind, "WEAK") != 0) {
			symbol[strcspn(symbol, "@")] = '\0';
			if (outside_libc_before_2_34(symbol)) {
				snprintf(name, len, "%s", symbol);
				found = true;
			}
		}
	}
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
	cr_expect(only_libc_needed(lib), "%s needs a library besides libc.so.6 (readelf -d)", lib);
	char strong[256];
	cr_expect(!strong_outside_libc(lib, strong, sizeof strong),
	          "%s has a strong reference to %s, outside libc.so.6 before glibc 2.34 (readelf --dyn-syms)", lib,
	          strong);
}

Test(floor, versions_compare)
{
	cr_expect(compare_versions("GLIBC_2.3.3", "GLIBC_2.17") < 0);
	cr_expect(compare_versions("GLIBC_2.17", "GLIBC_2.17") == 0);
	cr_expect(compare_versions("GLIBC_2.34", "GLIBC_2.17") > 0);
	cr_expect(compare_versions("GLIBC_2.2.5", "GLIBC_2.2") > 0);
}

/* build/reap.so: the native build, x86-64 glibc on the Debian machine the suite runs on. The loader
 * checks each version need in every process that loads the library (shim/glibc-floor.h): at most
 * 4, where the library needed 8 before (memcpy's 2.14, clock_gettime's 2.17, pipe2's 2.9 and
 * getxattr's 2.3 are gone). */
Test(floor, native)
{
	char newest[64];
	int count;

	expect_floor(built("reap.so"));
	count = glibc_needs(built("reap.so"), newest, sizeof newest);
	cr_expect(count <= 4, "build/reap.so needs %d GLIBC_ versions (readelf -V), at most 4 wanted", count);
}
Test(floor, aarch64) { expect_floor(built("aarch64-linux-gnu/reap.so")); }

/* A control: a library built here from source, in a directory of its own. */
struct probe {
	char dir[32], src[64], lib[64];
};

static const char *build_probe(struct probe *p, const char *source)
{
	char command[256];
	snprintf(p->dir, sizeof p->dir, "/tmp/reap-floor-XXXXXX");
	cr_assert(mkdtemp(p->dir) != NULL);
	snprintf(p->src, sizeof p->src, "%s/probe.c", p->dir);
	snprintf(p->lib, sizeof p->lib, "%s/probe.so", p->dir);
	FILE *f = fopen(p->src, "w");
	cr_assert(f != NULL);
	fputs(source, f);
	fclose(f);
	snprintf(command, sizeof command, "cc -shared -fPIC -o %s %s", p->lib, p->src);
	cr_assert(system(command) == 0, "%s failed", command);
	return p->lib;
}

static void remove_probe(struct probe *p)
{
	unlink(p->src);
	unlink(p->lib);
	rmdir(p->dir);
}

/* The control of the weak-reference rule: pthread_cleanup_push without glibc-floor.h makes strong
 * references to libpthread's functions. */
Test(floor, control_cleanup_push)
{
	struct probe p;
	char strong[256];
	const char *lib = build_probe(&p, "#include <pthread.h>\nstatic void undo(void *a) { (void)a; }\n"
	                                  "void probe(void);\n"
	                                  "void probe(void) { pthread_cleanup_push(undo, 0); pthread_cleanup_pop(1); }\n");
	cr_expect(strong_outside_libc(lib, strong, sizeof strong), "no strong reference found in the control");
	cr_expect(outside_libc_before_2_34("__pthread_register_cancel"));
	cr_expect(!outside_libc_before_2_34("pthread_mutex_lock"));
	cr_expect(!outside_libc_before_2_34("dl_iterate_phdr"));
	cr_expect(outside_libc_before_2_34("dlsym"));
	remove_probe(&p);
}

/* The control: the reading finds a need above the floor where there is one. */
Test(floor, control_gettid)
{
	struct probe p;
	char newest[64];
	const char *lib = build_probe(&p, "#define _GNU_SOURCE\n#include <unistd.h>\n"
	                                  "int probe(void);\nint probe(void) { return gettid(); }\n");
	glibc_needs(lib, newest, sizeof newest);
	cr_expect_str_eq(newest, "GLIBC_2.30", "gettid's version: expected GLIBC_2.30, read %s", newest);
	cr_expect(compare_versions(newest, FLOOR) > 0);
	remove_probe(&p);
}
