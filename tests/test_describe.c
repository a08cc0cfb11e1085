/* build/reap.so run as a program (shim/describe.c) and its --check verdicts (shim/check.c).
 *  - describe: the version and target, the settings as parsed from the environment, a bad setting
 *    named on stderr, usage errors;
 *  - dist: `make dist` into a fresh directory: each target built (and saying so when run) or
 *    reported as not built, the checksums, the Dockerfile's stages;
 *  - check: one case per verdict. Each is held against reality: the probe (tests/check/probe.c, or
 *    probe.go), built here with the compiler the case needs, prints whether the loader really
 *    mapped reap.so when started with LD_PRELOAD, and that must agree with the verdict. A case whose
 *    compiler is missing (musl-gcc, the other machine's gcc, go) is skipped.
 * The expectations are those of a glibc build (the one `make test` makes).
 * Run one: build/tests/test_describe --filter 'check/setuid' */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"
#include "../shim/target.h"

#define NOBODY 65534

TestSuite(describe, .timeout = 120);
TestSuite(check, .timeout = 300);
TestSuite(dist, .timeout = 900);

/* ROOT/rel, where ROOT holds build/reap.so. */
static const char *repo(const char *rel)
{
	static char ring[4][PATH_MAX];
	static unsigned next;
	char *buf = ring[next++ % 4];
	size_t root_len = strlen(shim_path()) - strlen("build/reap.so");

	snprintf(buf, PATH_MAX, "%.*s%s", (int)root_len, shim_path(), rel);
	return buf;
}

/* The release version, from the one place it is written: the Makefile's VERSION line. */
static const char *version(void)
{
	static char v[64];
	char line[256];
	FILE *f = fopen(repo("Makefile"), "r");

	cr_assert(f != NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VERSION := %63s", v) == 1) {
			break;
		}
	}
	fclose(f);
	cr_assert(v[0] != '\0', "no VERSION line in the Makefile");
	return v;
}

static void run_plain(const char *const argv[], const char *const *env, bool preload, struct run_result *r)
{
	struct run_opts opts = {.pid1 = false, .preload = preload, .env = env, .timeout_s = 120};

	run(argv, &opts, r);
	cr_assert(!r->timed_out, "%s timed out; output:\n%s", argv[0], r->out);
}

static void assert_has(const struct run_result *r, const char *text)
{
	cr_assert(strstr(r->out, text) != NULL, "expected \"%s\" in the output:\n%s", text, r->out);
}

/* reap.so --check path: one line "path: verdict", and the exit status that goes with it. */
static void expect_verdict(const char *path, const char *const *env, int status, const char *verdict)
{
	const char *argv[] = {shim_path(), "--check", path, NULL};
	struct run_result r;
	char line[PATH_MAX + 512];

	run_plain(argv, env, false, &r);
	snprintf(line, sizeof line, "%s: %s", path, verdict);
	cr_assert(strncmp(r.out, line, strlen(line)) == 0, "expected the verdict\n  %s\ngot\n  %s", line, r.out);
	cr_assert(strchr(r.out, '\n') == r.out + strlen(r.out) - 1, "not one line:\n%s", r.out);
	cr_assert_eq(r.exit_code, status, "exit status %d, expected %d; output:\n%s", r.exit_code, status, r.out);
	run_result_free(&r);
}

/* What the loader really does: argv[last] is the probe, started with LD_PRELOAD=build/reap.so. */
static void expect_probe(const char *const argv[], const char *answer)
{
	struct run_result r;
	char line[64];

	run_plain(argv, NULL, true, &r);
	snprintf(line, sizeof line, "%s\n", answer);
	cr_assert(strcmp(r.out, line) == 0 && r.exit_code == 0, "the probe should say \"%s\"; exit %d, output:\n%s",
		  answer, r.exit_code, r.out);
	run_result_free(&r);
}

static void expect_probe_says(const char *probe, const char *answer)
{
	const char *argv[] = {probe, NULL};

	expect_probe(argv, answer);
}

/* A fresh directory under build/tests/ that anyone may enter (the probes run as nobody too). */
static const char *workdir(void)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", repo("build/tests/check-XXXXXX"));
	cr_assert(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	cr_assert(chmod(dir, 0755) == 0);
	return dir;
}

static void remove_dir(const char *dir)
{
	const char *argv[] = {"rm", "-rf", dir, NULL};
	struct run_result r;

	run_plain(argv, NULL, false, &r);
	run_result_free(&r);
}

static bool have(const char *program)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
	return system(cmd) == 0;
}

/* Builds tests/check/probe.c as dir/name with compiler and flags; false if the compiler fails. */
static bool build_probe(const char *dir, const char *name, const char *compiler, const char *flags, char *out)
{
	char cmd[3 * PATH_MAX];

	snprintf(out, PATH_MAX, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "%s %s -o '%s' '%s' >/dev/null 2>&1", compiler, flags, out, repo("tests/check/probe.c"));
	return system(cmd) == 0;
}

static void build_go_probe(const char *dir, const char *name, bool cgo, char *out)
{
	char cmd[4 * PATH_MAX];

	snprintf(out, PATH_MAX, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && GOCACHE='%s/go-cache' GOPATH='%s/go' GOFLAGS= GO111MODULE=off CGO_ENABLED=%d "
		 "go build -o '%s' probe.go %s 2>&1",
		 repo("tests/check"), dir, dir, cgo ? 1 : 0, out, cgo ? "cgo.go" : "");
	cr_assert(system(cmd) == 0, "go build failed: %s", cmd);
}

static void copy_file(const char *from, const char *to)
{
	const char *argv[] = {"cp", from, to, NULL};
	struct run_result r;

	run_plain(argv, NULL, false, &r);
	cr_assert_eq(r.exit_code, 0, "cp: %s", r.out);
	run_result_free(&r);
}

/* ---- describe ---------------------------------------------------------------------------------- */

Test(describe, version)
{
	const char *argv[] = {shim_path(), "--version", NULL};
	struct run_result r;
	char expected[128];

	run_plain(argv, NULL, false, &r);
	snprintf(expected, sizeof expected, "reap.so %s " REAP_TARGET_TRIPLE "\n", version());
	cr_assert_str_eq(r.out, expected);
	cr_assert_eq(r.exit_code, 0);
	run_result_free(&r);
}

Test(describe, defaults)
{
	const char *argv[] = {shim_path(), NULL};
	struct run_result r;
	char preload[PATH_MAX + 32];

	run_plain(argv, NULL, false, &r);
	cr_assert_eq(r.exit_code, 0, "output:\n%s", r.out);
	assert_has(&r, "reap.so ");
	assert_has(&r, " for " REAP_TARGET_TRIPLE " (" REAP_LIBC_NAME ", loader " REAP_LOADER ")\n");
	snprintf(preload, sizeof preload, "  LD_PRELOAD=%s\n", shim_path());
	assert_has(&r, preload);
	assert_has(&r, "  REAP_MODE=auto          default\n");
	assert_has(&r, "  REAP_VERBOSE=0          default\n");
	assert_has(&r, "  REAP_GRACE=5            default\n");
	assert_has(&r, "  REAP_SIGNALS=on         default\n");
	assert_has(&r, "  REAP_EXIT_ZERO=         default\n");
	cr_assert(strstr(r.out, "reap: ") == NULL, "a complaint without a bad setting:\n%s", r.out);
	run_result_free(&r);
}

/* The values as the library parsed them, not as written: sorted codes, seconds without zeros. */
Test(describe, settings_parsed)
{
	const char *argv[] = {shim_path(), NULL};
	const char *env[] = {"REAP_MODE=off", "REAP_VERBOSE=2", "REAP_GRACE=0.250", "REAP_SIGNALS=off",
			     "REAP_EXIT_ZERO=143,130", NULL};
	struct run_result r;

	run_plain(argv, env, false, &r);
	cr_assert_eq(r.exit_code, 0, "output:\n%s", r.out);
	assert_has(&r, "  REAP_MODE=off           set to \"off\"\n");
	assert_has(&r, "  REAP_VERBOSE=2          set to \"2\"\n");
	assert_has(&r, "  REAP_GRACE=0.25         set to \"0.250\"\n");
	assert_has(&r, "  REAP_SIGNALS=off        set to \"off\"\n");
	assert_has(&r, "  REAP_EXIT_ZERO=130,143  set to \"143,130\"\n");
	run_result_free(&r);
}

Test(describe, bad_setting)
{
	const char *argv[] = {shim_path(), NULL};
	const char *env[] = {"REAP_GRACE=soon", NULL};
	struct run_result r;
	const char *complaint = "reap: REAP_GRACE=\"soon\" is not valid";

	run_plain(argv, env, false, &r);
	cr_assert_eq(r.exit_code, 0, "output:\n%s", r.out);
	assert_has(&r, "  REAP_GRACE=5            set to \"soon\"\n");
	assert_has(&r, complaint);
	cr_assert(strstr(strstr(r.out, complaint) + 1, complaint) == NULL, "said twice:\n%s", r.out);
	run_result_free(&r);
}

Test(describe, usage_errors)
{
	const char *bogus[] = {shim_path(), "--bogus", NULL};
	const char *no_program[] = {shim_path(), "--check", NULL};
	struct run_result r;

	run_plain(bogus, NULL, false, &r);
	cr_assert_eq(r.exit_code, 2, "output:\n%s", r.out);
	assert_has(&r, "usage: reap.so");
	run_result_free(&r);
	run_plain(no_program, NULL, false, &r);
	cr_assert_eq(r.exit_code, 2, "output:\n%s", r.out);
	assert_has(&r, "--check needs a program");
	run_result_free(&r);
}

/* README's configuration table, the manual page and the self-description name the same settings. */
Test(describe, manual_in_step)
{
	const char *argv[] = {shim_path(), NULL};
	char line[1024], name[64], entry[96];
	struct run_result r;
	int from_readme = 0, in_manual = 0;
	FILE *f;
	char *manual;
	size_t len = 0;

	run_plain(argv, NULL, false, &r);
	cr_assert((f = fopen(repo("docs/reap.so.8"), "r")) != NULL);
	manual = calloc(1, 1 << 20);
	len = fread(manual, 1, (1 << 20) - 1, f);
	fclose(f);
	manual[len] = '\0';
	cr_assert((f = fopen(repo("README.md"), "r")) != NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "| `%63[A-Z_]` |", name) == 1 && strncmp(name, "REAP_", 5) == 0) {
			from_readme++;
			snprintf(entry, sizeof entry, "\n.B %s\n", name);
			cr_assert(strstr(manual, entry) != NULL, "README's %s is not in docs/reap.so.8", name);
			snprintf(entry, sizeof entry, "\n  %s=", name);
			assert_has(&r, entry);
		}
	}
	fclose(f);
	/* The manual's entries: the first ".B REAP_X" line of each name (EXIT STATUS repeats one). */
	for (const char *at = manual; (at = strstr(at, "\n.B REAP_")) != NULL; at++) {
		size_t n = strspn(at + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

		snprintf(entry, sizeof entry, "\n.B %.*s\n", (int)n, at + 4);
		in_manual += at[4 + n] == '\n' && strstr(manual, entry) == at;
	}
	cr_assert(from_readme >= 5 && from_readme == in_manual, "README's table has %d settings, the manual %d",
		  from_readme, in_manual);
	free(manual);
	run_result_free(&r);
}

Test(describe, manual_renders)
{
	const char *argv[] = {"groff", "-man", "-ww", "-z", repo("docs/reap.so.8"), NULL};
	struct run_result r;

	if (!have("groff")) {
		cr_skip_test("no groff");
	}
	run_plain(argv, NULL, false, &r);
	cr_assert(r.exit_code == 0 && r.out[0] == '\0', "groff warns:\n%s", r.out);
	run_result_free(&r);
}

/* make install: the library, executable (it runs as a program), and the manual page. */
Test(describe, make_install)
{
	const char *dir = workdir();
	char destdir[PATH_MAX + 16], path[PATH_MAX + 64];
	const char *argv[] = {"make", "--no-print-directory", "-C", repo(""), "install", destdir, "PREFIX=/usr", NULL};
	struct run_result r;
	struct stat st;

	snprintf(destdir, sizeof destdir, "DESTDIR=%s", dir);
	run_plain(argv, NULL, false, &r);
	cr_assert_eq(r.exit_code, 0, "make install:\n%s", r.out);
	run_result_free(&r);
	snprintf(path, sizeof path, "%s/usr/lib/reap.so", dir);
	cr_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0755, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/usr/share/man/man8/reap.so.8", dir);
	cr_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "%s: %s", path, strerror(errno));
	remove_dir(dir);
}

/* ---- check: one verdict each, against what the loader does ------------------------------------ */

Test(check, dynamic)
{
	const char *dir = workdir();
	char probe[PATH_MAX];

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	expect_verdict(probe, NULL, 0, "reached: a dynamically linked glibc program; as PID 1 the library acts in it");
	expect_probe_says(probe, "preloaded");
	remove_dir(dir);
}

Test(check, mode_off)
{
	const char *dir = workdir();
	const char *env[] = {"REAP_MODE=off", NULL};
	char probe[PATH_MAX];

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	expect_verdict(probe, env, 0, "reached: a dynamically linked glibc program; REAP_MODE=off keeps the library inert");
	remove_dir(dir);
}

Test(check, static)
{
	const char *dir = workdir();
	char probe[PATH_MAX];

	if (!build_probe(dir, "probe-static", "cc", "-static", probe)) {
		remove_dir(dir);
		cr_skip_test("cc -static fails here (no libc.a)");
	}
	expect_verdict(probe, NULL, 1, "not reached: a statically linked program: no dynamic loader runs");
	expect_probe_says(probe, "not preloaded");
	remove_dir(dir);
}

/* Owned by nobody and set-user-ID: root starting it gets euid nobody, a secure-mode start. */
Test(check, setuid)
{
	const char *dir = workdir();
	char probe[PATH_MAX], setuid[PATH_MAX];

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	snprintf(setuid, sizeof setuid, "%s/probe-setuid", dir);
	copy_file(probe, setuid);
	cr_assert(chown(setuid, NOBODY, NOBODY) == 0 && chmod(setuid, 04755) == 0);
	expect_verdict(setuid, NULL, 1, "not reached: a set-user-ID program (owner uid 65534): started by another user");
	expect_probe_says(setuid, "not preloaded");
	cr_assert(chmod(setuid, 0755) == 0);
	expect_verdict(setuid, NULL, 0, "reached: a dynamically linked glibc program");
	expect_probe_says(setuid, "preloaded");
	remove_dir(dir);
}

Test(check, setgid)
{
	const char *dir = workdir();
	char probe[PATH_MAX], setgid[PATH_MAX];

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	snprintf(setgid, sizeof setgid, "%s/probe-setgid", dir);
	copy_file(probe, setgid);
	cr_assert(chown(setgid, 0, NOBODY) == 0 && chmod(setgid, 02755) == 0);
	expect_verdict(setgid, NULL, 1, "not reached: a set-group-ID program (group gid 65534): started with another group");
	expect_probe_says(setgid, "not preloaded");
	remove_dir(dir);
}

/* File capabilities put a start by any user but root in secure mode: the verdict's words, held
 * against a start as root and one as nobody, with nobody and no capabilities as the control. */
Test(check, capabilities)
{
	const char *dir = workdir();
	char probe[PATH_MAX], caps[PATH_MAX];
	struct vfs_cap_data cap = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data = {{.permitted = 1u << CAP_NET_BIND_SERVICE}},
	};

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	snprintf(caps, sizeof caps, "%s/probe-caps", dir);
	copy_file(probe, caps);
	if (setxattr(caps, "security.capability", &cap, XATTR_CAPS_SZ_2, 0) != 0) {
		remove_dir(dir);
		cr_skip_test("this file system keeps no file capabilities: %s", strerror(errno));
	}
	expect_verdict(caps, NULL, 1, "not reached: a program with file capabilities (security.capability): "
				      "started by another user than root");
	expect_probe_says(caps, "preloaded");
	{
		const char *as_nobody[] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", caps, NULL};
		const char *control[] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", probe, NULL};

		expect_probe(as_nobody, "not preloaded");
		expect_probe(control, "preloaded");
	}
	remove_dir(dir);
}

Test(check, musl)
{
	const char *dir = workdir();
	char probe[PATH_MAX], verdict[256];
	const char *argv[] = {probe, NULL};
	struct run_result r;

	if (!have("musl-gcc") || !build_probe(dir, "probe-musl", "musl-gcc", "", probe)) {
		remove_dir(dir);
		cr_skip_test("no musl-gcc (Debian's musl-tools)");
	}
	snprintf(verdict, sizeof verdict,
		 "not reached: a musl program (loader /lib/ld-musl-" REAP_ARCH_NAME ".so.1), and this reap.so is "
		 "for glibc: the program would not even start with it preloaded; use reap-%s-" REAP_ARCH_NAME
		 "-linux-musl.so\n", version());
	expect_verdict(probe, NULL, 1, verdict);
	/* "would not even start": the loader fails on the preload, and the program never runs. */
	run_plain(argv, NULL, true, &r);
	cr_assert_eq(r.exit_code, 127, "exit %d; output:\n%s", r.exit_code, r.out);
	cr_assert(strstr(r.out, "preloaded") == NULL, "the program ran:\n%s", r.out);
	run_result_free(&r);
	run_plain(argv, NULL, false, &r);
	cr_assert_str_eq(r.out, "not preloaded\n", "the control without the preload");
	run_result_free(&r);
	remove_dir(dir);
}

Test(check, other_machine)
{
	const char *cross = strcmp(REAP_ARCH_NAME, "x86_64") == 0 ? "aarch64-linux-gnu-gcc" : "x86_64-linux-gnu-gcc";
	const char *other = strcmp(REAP_ARCH_NAME, "x86_64") == 0 ? "aarch64" : "x86_64";
	const char *dir = workdir();
	char probe[PATH_MAX], verdict[256];

	if (!have(cross) || !build_probe(dir, "probe-cross", cross, "", probe)) {
		remove_dir(dir);
		cr_skip_test("no %s", cross);
	}
	snprintf(verdict, sizeof verdict,
		 "not reached: a program for %s, and this reap.so is for " REAP_ARCH_NAME ": the loader cannot "
		 "load it; use reap-%s-%s-linux-gnu.so\n", other, version(), other);
	expect_verdict(probe, NULL, 1, verdict);
	remove_dir(dir);
}

Test(check, go_cgo)
{
	const char *dir;
	char probe[PATH_MAX];

	if (!have("go")) {
		cr_skip_test("no go (Debian's golang-go)");
	}
	dir = workdir();
	build_go_probe(dir, "probe-cgo", true, probe);
	expect_verdict(probe, NULL, 0, "reached: a Go program linked with glibc (cgo); as PID 1 it runs in split mode");
	expect_probe_says(probe, "preloaded");
	remove_dir(dir);
}

Test(check, go_static)
{
	const char *dir;
	char probe[PATH_MAX];

	if (!have("go")) {
		cr_skip_test("no go (Debian's golang-go)");
	}
	dir = workdir();
	build_go_probe(dir, "probe-go", false, probe);
	expect_verdict(probe, NULL, 1, "not reached: a statically linked Go program (built without cgo): no dynamic loader");
	expect_probe_says(probe, "not preloaded");
	remove_dir(dir);
}

/* A script is its interpreter's case, named directly or through env and PATH. The check runs
 * through env to get that PATH: the harness puts the test's own PATH first. */
Test(check, script)
{
	const char *dir = workdir();
	char probe[PATH_MAX], direct[PATH_MAX], via_env[PATH_MAX], path_env[PATH_MAX + 8], verdict[PATH_MAX + 128];
	const char *check_via_env[] = {"/usr/bin/env", path_env, shim_path(), "--check", via_env, NULL};
	struct run_result r;
	FILE *f;

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	snprintf(direct, sizeof direct, "%s/direct.sh", dir);
	snprintf(via_env, sizeof via_env, "%s/via-env.sh", dir);
	snprintf(path_env, sizeof path_env, "PATH=%s", dir);
	cr_assert((f = fopen(direct, "w")) != NULL);
	fprintf(f, "#!%s\n", probe);
	fclose(f);
	cr_assert((f = fopen(via_env, "w")) != NULL);
	fprintf(f, "#!/usr/bin/env probe\n");
	fclose(f);
	cr_assert(chmod(direct, 0755) == 0 && chmod(via_env, 0755) == 0);

	snprintf(verdict, sizeof verdict, "reached: a script run by %s, a dynamically linked glibc program", probe);
	expect_verdict(direct, NULL, 0, verdict);
	expect_probe_says(direct, "preloaded");
	run_plain(check_via_env, NULL, false, &r);
	assert_has(&r, "via-env.sh: reached: a script run by probe, a dynamically linked glibc program");
	cr_assert_eq(r.exit_code, 0);
	run_result_free(&r);
	remove_dir(dir);
}

Test(check, path_lookup)
{
	const char *dir = workdir();
	char probe[PATH_MAX], path_env[PATH_MAX + 8];
	struct run_result r;

	cr_assert(build_probe(dir, "probe-in-path", "cc", "", probe));
	snprintf(path_env, sizeof path_env, "PATH=/nonexistent::%s", dir);
	{
		const char *argv[] = {"/usr/bin/env", path_env, shim_path(), "--check", "probe-in-path", NULL};

		run_plain(argv, NULL, false, &r);
	}
	cr_assert(strncmp(r.out, "probe-in-path: reached: a dynamically linked glibc program", 58) == 0, "output:\n%s", r.out);
	cr_assert_eq(r.exit_code, 0);
	run_result_free(&r);
	remove_dir(dir);
}

Test(check, cannot_tell)
{
	const char *dir = workdir();
	char text[PATH_MAX], library[PATH_MAX], missing[PATH_MAX];
	FILE *f;

	snprintf(text, sizeof text, "%s/notes.txt", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	cr_assert((f = fopen(text, "w")) != NULL);
	fputs("not a program\n", f);
	fclose(f);
	cr_assert(build_probe(dir, "library.so", "cc", "-shared -fPIC -Dmain=entry", library));
	expect_verdict(text, NULL, 2, "cannot tell: neither an ELF program nor a script\n");
	expect_verdict(missing, NULL, 2, "cannot tell: cannot read it: No such file or directory\n");
	expect_verdict(library, NULL, 2, "cannot tell: a shared library, not a program\n");
	remove_dir(dir);
}

/* Several programs: one line each, in order; the exit status is the worst verdict's. */
Test(check, several)
{
	const char *dir = workdir();
	char probe[PATH_MAX], missing[PATH_MAX], expected[3 * PATH_MAX];
	struct run_result r;

	cr_assert(build_probe(dir, "probe", "cc", "", probe));
	snprintf(missing, sizeof missing, "%s/missing", dir);
	{
		const char *reached[] = {shim_path(), "--check", probe, probe, NULL};
		const char *worst[] = {shim_path(), "--check", probe, missing, NULL};

		run_plain(reached, NULL, false, &r);
		cr_assert_eq(r.exit_code, 0, "output:\n%s", r.out);
		run_result_free(&r);
		run_plain(worst, NULL, false, &r);
		snprintf(expected, sizeof expected, "%s: reached: ", probe);
		cr_assert(strncmp(r.out, expected, strlen(expected)) == 0, "output:\n%s", r.out);
		snprintf(expected, sizeof expected, "\n%s: cannot tell: ", missing);
		assert_has(&r, expected);
		cr_assert_eq(r.exit_code, 2, "output:\n%s", r.out);
		run_result_free(&r);
	}
	remove_dir(dir);
}

/* ---- make dist ---------------------------------------------------------------------------------- */

static const char *const dist_targets[] = {"x86_64-linux-gnu", "x86_64-linux-musl", "aarch64-linux-gnu",
					   "aarch64-linux-musl"};

/* Runs a release file's --version where this machine can: natively for its own machine, under
 * qemu-user for the other; false where it cannot (no qemu, no loader of that C library). */
static bool run_version(const char *file, const char *target, struct run_result *r)
{
	bool native = strncmp(target, REAP_ARCH_NAME "-", strlen(REAP_ARCH_NAME) + 1) == 0;
	bool glibc = strstr(target, "-gnu") != NULL;
	char qemu[64], musl_loader[64];
	const char *sysroot;

	snprintf(qemu, sizeof qemu, "qemu-%.*s-static", (int)strcspn(target, "-"), target);
	snprintf(musl_loader, sizeof musl_loader, "/lib/ld-musl-%.*s.so.1", (int)strcspn(target, "-"), target);
	if (native) {
		const char *argv[] = {file, "--version", NULL};

		if (!glibc && access(musl_loader, X_OK) != 0) {
			return false;
		}
		run_plain(argv, NULL, false, r);
		return true;
	}
	sysroot = glibc ? (strncmp(target, "aarch64", 7) == 0 ? "/usr/aarch64-linux-gnu" : "/usr/x86_64-linux-gnu") : "/";
	if (!have(qemu) || (!glibc && access(musl_loader, R_OK) != 0)) {
		return false;
	}
	{
		const char *argv[] = {qemu, "-L", sysroot, file, "--version", NULL};

		run_plain(argv, NULL, false, r);
	}
	return true;
}

Test(dist, release_files)
{
	const char *dir = workdir();
	char dist_arg[PATH_MAX + 16], dist[PATH_MAX + 8], file[PATH_MAX + 128], line[256], sums[2 * PATH_MAX];
	const char *make[] = {"env", "-u", "MAKEFLAGS", "-u", "MAKELEVEL", "make", "--no-print-directory", "-C",
			      repo(""), "dist", dist_arg, NULL};
	struct run_result r, v;
	int built = 0;
	FILE *f;
	char *dockerfile;
	size_t len;

	snprintf(dist, sizeof dist, "%s/dist", dir);
	snprintf(dist_arg, sizeof dist_arg, "DIST=%s", dist);
	{
		struct run_opts opts = {.timeout_s = 800};

		run(make, &opts, &r);
		cr_assert(!r.timed_out, "make dist timed out:\n%s", r.out);
	}
	for (int i = 0; i < 4; i++) {
		const char *target = dist_targets[i];

		snprintf(file, sizeof file, "%s/reap-%s-%s.so", dist, version(), target);
		if (access(file, F_OK) != 0) {
			snprintf(line, sizeof line, "dist: %s: ", target);
			cr_assert(strstr(r.out, line) != NULL && strstr(r.out, "dist: INCOMPLETE, not built:") != NULL &&
				  strstr(strstr(r.out, "dist: INCOMPLETE"), target) != NULL && r.exit_code != 0,
				  "%s neither built nor reported as missing; exit %d, output:\n%s", target, r.exit_code, r.out);
			continue;
		}
		built++;
		if (run_version(file, target, &v)) {
			snprintf(line, sizeof line, "reap.so %s %s\n", version(), target);
			cr_assert_str_eq(v.out, line, "%s says it is something else", file);
			run_result_free(&v);
		}
	}
	cr_assert(built > 0 || r.exit_code != 0, "output:\n%s", r.out);
	cr_assert((r.exit_code == 0) == (built == 4), "exit %d with %d targets built:\n%s", r.exit_code, built, r.out);
	snprintf(sums, sizeof sums, "cd '%s' && sha256sum --strict -c SHA256SUMS >/dev/null && test $(wc -l <SHA256SUMS) = %d",
		 dist, built);
	cr_assert(built == 0 || system(sums) == 0, "dist/SHA256SUMS does not hold the %d files", built);

	snprintf(file, sizeof file, "%s/Dockerfile", dist);
	cr_assert((f = fopen(file, "r")) != NULL, "no dist/Dockerfile");
	dockerfile = calloc(1, 65536);
	len = fread(dockerfile, 1, 65535, f);
	fclose(f);
	dockerfile[len] = '\0';
	cr_assert(strstr(dockerfile, "@VERSION@") == NULL);
	cr_assert(strstr(dockerfile, "\nFROM glibc-${TARGETARCH} AS glibc\n") != NULL);
	cr_assert(strstr(dockerfile, "\nFROM musl-${TARGETARCH} AS musl\n") != NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "\nCOPY --chmod=0755 reap-%s-%s.so /lib/reap.so\n", version(), dist_targets[i]);
		cr_assert(strstr(dockerfile, line) != NULL, "the Dockerfile lacks %s", line + 1);
	}
	free(dockerfile);
	run_result_free(&r);
	remove_dir(dir);
}
