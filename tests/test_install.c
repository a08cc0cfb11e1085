/* The set-up survives a busy machine (issue 10, item 7): tests/apt-install.sh, through which
 * tests/install-deps.sh, the benchmarks' and the demo's installs go, waits for the package manager
 * while another install or an automatic update holds it, and gives up in bounded time.
 * Each test has a package manager of its own (tests/scripts/apt-sandbox.sh): the real apt-get and
 * dpkg with their state in a fresh directory, one local package, no network. The test holds apt's
 * locks itself, as another apt-get would (fcntl write locks on the same files), and lets go once the
 * script shows it is waiting; the script must then finish and the package be installed.
 * The negative control is the way tests/install-deps.sh used before: apt-get update with
 * DPkg::Lock::Timeout fails at once while the lists are locked.
 * Run one: build/tests/test_install --filter 'install/two_runs_at_once' */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TestSuite(install, .timeout = 300);

/* A sandbox: its directory and the environment that selects it for apt-get, dpkg-query and the
 * script (APT_WAIT is given by each test). */
struct sandbox {
	char dir[PATH_MAX];
	char apt_config[PATH_MAX + 32];
	char dpkg_admindir[PATH_MAX + 32];
	char install_lock[PATH_MAX + 32];
	const char *env[5];
};

static const char *repo(const char *rel)
{
	static char ring[4][PATH_MAX];
	static unsigned next;
	char *buf = ring[next++ % 4];
	size_t root_len = strlen(shim_path()) - strlen("build/reap.so");

	snprintf(buf, PATH_MAX, "%.*s%s", (int)root_len, shim_path(), rel);
	return buf;
}

static void run_plain(const char *const argv[], const char *const *env, struct run_result *r)
{
	struct run_opts opts = {.env = env, .timeout_s = 120};

	run(argv, &opts, r);
	cr_assert(!r->timed_out, "%s timed out; output:\n%s", argv[0], r->out);
}

static void sandbox_make(struct sandbox *sb, const char *apt_wait)
{
	const char *argv[] = {repo("tests/scripts/apt-sandbox.sh"), sb->dir, NULL};
	struct run_result r;

	snprintf(sb->dir, sizeof sb->dir, "%s", repo("build/tests/apt-XXXXXX"));
	cr_assert(mkdtemp(sb->dir) != NULL, "mkdtemp: %s", strerror(errno));
	run_plain(argv, NULL, &r);
	cr_assert_eq(r.exit_code, 0, "apt-sandbox.sh failed:\n%s", r.out);
	run_result_free(&r);
	snprintf(sb->apt_config, sizeof sb->apt_config, "APT_CONFIG=%s/apt.conf", sb->dir);
	snprintf(sb->dpkg_admindir, sizeof sb->dpkg_admindir, "DPKG_ADMINDIR=%s/dpkg", sb->dir);
	snprintf(sb->install_lock, sizeof sb->install_lock, "APT_INSTALL_LOCK=%s/install.lock", sb->dir);
	sb->env[0] = sb->apt_config;
	sb->env[1] = sb->dpkg_admindir;
	sb->env[2] = sb->install_lock;
	sb->env[3] = apt_wait;
	sb->env[4] = NULL;
}

static void sandbox_remove(struct sandbox *sb)
{
	const char *argv[] = {"rm", "-rf", sb->dir, NULL};
	struct run_result r;

	run_plain(argv, NULL, &r);
	run_result_free(&r);
}

/* Takes the lock apt-get would take on DIR/rel (a write lock on the whole file); close to let go. */
static int hold_lock(const struct sandbox *sb, const char *rel)
{
	char path[PATH_MAX + 64];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd;

	snprintf(path, sizeof path, "%s/%s", sb->dir, rel);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert(fcntl(fd, F_SETLK, &fl) == 0, "lock %s: %s", path, strerror(errno));
	return fd;
}

static void start_install(struct proc *p, const struct sandbox *sb)
{
	const char *argv[] = {repo("tests/apt-install.sh"), "reap-lock-probe", NULL};
	struct run_opts opts = {.env = sb->env, .timeout_s = 200};

	proc_start(p, argv, &opts);
}

static void expect_line(struct proc *p, const char *prefix)
{
	cr_assert(proc_wait_line(p, prefix, 60) != NULL, "no line \"%s...\" within 60 s; output:\n%s", prefix, p->out);
}

static void expect_success(struct proc *p)
{
	struct run_result r;

	proc_finish(p, &r);
	cr_assert(!r.timed_out && r.exit_code == 0, "apt-install.sh: exit %d%s; output:\n%s", r.exit_code,
		  r.timed_out ? " (timed out)" : "", r.out);
	run_result_free(&r);
}

static void expect_installed(const struct sandbox *sb)
{
	const char *argv[] = {"dpkg-query", "-W", "-f=${Status}", "reap-lock-probe", NULL};
	struct run_result r;

	run_plain(argv, sb->env, &r);
	cr_assert_str_eq(r.out, "install ok installed", "the sandbox's dpkg says: %s", r.out);
	run_result_free(&r);
}

/* The negative control: what tests/install-deps.sh did before, while another apt-get updates. */
Test(install, plain_update_fails_while_lists_locked)
{
	struct sandbox sb;
	const char *argv[] = {"apt-get", "-o", "DPkg::Lock::Timeout=600", "update", NULL};
	struct run_result r;
	int lock;

	sandbox_make(&sb, "APT_WAIT=60");
	lock = hold_lock(&sb, "state/lists/lock");
	run_plain(argv, sb.env, &r);
	cr_assert_neq(r.exit_code, 0, "apt-get update succeeded with its lists locked:\n%s", r.out);
	cr_assert(strstr(r.out, "Could not get lock") != NULL, "output:\n%s", r.out);
	run_result_free(&r);
	close(lock);
	sandbox_remove(&sb);
}

/* No lists yet, so the script must update; it waits for the lists lock and then installs. */
Test(install, waits_for_lists_lock)
{
	struct sandbox sb;
	struct proc p;
	int lock;

	sandbox_make(&sb, "APT_WAIT=120");
	lock = hold_lock(&sb, "state/lists/lock");
	start_install(&p, &sb);
	expect_line(&p, "apt-install: the package manager is busy");
	close(lock);
	expect_success(&p);
	expect_installed(&sb);
	sandbox_remove(&sb);
}

/* dpkg's lock: apt-get itself waits for it (DPkg::Lock::Timeout), saying so. */
Test(install, waits_for_dpkg_lock)
{
	struct sandbox sb;
	const char *update[] = {"apt-get", "update", NULL};
	struct run_result r;
	struct proc p;
	int lock;

	sandbox_make(&sb, "APT_WAIT=120");
	run_plain(update, sb.env, &r);
	cr_assert_eq(r.exit_code, 0, "apt-get update in the sandbox:\n%s", r.out);
	run_result_free(&r);
	lock = hold_lock(&sb, "dpkg/lock-frontend");
	start_install(&p, &sb);
	expect_line(&p, "Waiting for cache lock");
	close(lock);
	expect_success(&p);
	expect_installed(&sb);
	sandbox_remove(&sb);
}

/* The download cache's lock, held by a download-only run: apt-get fails at once, the script retries. */
Test(install, waits_for_archives_lock)
{
	struct sandbox sb;
	const char *update[] = {"apt-get", "update", NULL};
	struct run_result r;
	struct proc p;
	int lock;

	sandbox_make(&sb, "APT_WAIT=120");
	run_plain(update, sb.env, &r);
	run_result_free(&r);
	lock = hold_lock(&sb, "cache/archives/lock");
	start_install(&p, &sb);
	expect_line(&p, "apt-install: the package manager is busy");
	close(lock);
	expect_success(&p);
	expect_installed(&sb);
	sandbox_remove(&sb);
}

/* Two runs at once (two `make test` in a fresh clone): the second waits for the first, and both
 * succeed. The first is held up by the lists lock so that the two surely overlap. */
Test(install, two_runs_at_once)
{
	struct sandbox sb;
	struct proc first, second;
	int lock;

	sandbox_make(&sb, "APT_WAIT=120");
	lock = hold_lock(&sb, "state/lists/lock");
	start_install(&first, &sb);
	expect_line(&first, "apt-install: the package manager is busy");
	start_install(&second, &sb);
	expect_line(&second, "apt-install: another run is installing; waiting for it");
	close(lock);
	expect_success(&first);
	expect_success(&second);
	expect_installed(&sb);
	sandbox_remove(&sb);
}

/* A lock that is never let go: the script gives up after APT_WAIT seconds, not never. */
Test(install, gives_up_in_time)
{
	struct sandbox sb;
	const char *argv[] = {repo("tests/apt-install.sh"), "reap-lock-probe", NULL};
	struct run_result r;
	double start;
	int lock;

	sandbox_make(&sb, "APT_WAIT=3");
	lock = hold_lock(&sb, "state/lists/lock");
	start = now_s();
	run_plain(argv, sb.env, &r);
	cr_assert_neq(r.exit_code, 0, "output:\n%s", r.out);
	cr_assert(strstr(r.out, "apt-install: gave up after 3s") != NULL, "output:\n%s", r.out);
	cr_assert(now_s() - start < 60, "took %.0f s", now_s() - start);
	run_result_free(&r);
	close(lock);
	sandbox_remove(&sb);
}
