/* core_shell: libc's helpers that make and wait for children internally — system, popen/pclose,
 * wordexp — keep their exact semantics under a storm of foreign orphans (issue 2, property 3):
 * exact statuses, system(NULL), SIGINT/SIGQUIT ignored and SIGCHLD blocked during system, popen
 * modes r/w/e, pclose of a stream popen did not open, command substitution in wordexp.
 * Usage: core_shell system|system_signals|system_handler|system_merged|system_ign|nocldwait|popen|wordexp|all */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include "scn.h"

static void expect_system(const char *cmd, int expect)
{
	errno = 0;
	int got = system(cmd);
	char t[64];
	scn_say("system(\"%s\") -> %s", cmd, got == -1 ? "-1" : st_text(got, t));
	scn_expect_status(cmd, expect, got);
}

static void variant_system(void)
{
	scn_stage("system", 20);
	int r = system(NULL);
	scn_say("system(NULL) -> %s", r != 0 ? "nonzero" : "0");
	if (r == 0) {
		scn_fail("system(NULL): expected nonzero (a shell is there), got 0");
	}
	expect_system("exit 0", st_exit(0));
	expect_system("exit 7", st_exit(7));
	expect_system("kill -KILL $$", st_signal(SIGKILL));
	expect_system("/nonexistent/command 2>/dev/null", st_exit(127));
	int n = scn_scale(10);
	for (int i = 0; i < n; i++) {
		char cmd[32];
		snprintf(cmd, sizeof cmd, "exit %d", 100 + i % 100);
		int got = system(cmd);
		scn_expect_status(cmd, st_exit(100 + i % 100), got);
	}
	scn_say("system() x%d -> exact", n);
}

/* What the shell's parent (the program, inside system) looks like while system runs. */
static void variant_system_signals(void)
{
	scn_stage("system signals", 20);
	int fds[2];
	if (pipe(fds) != 0) { /* not close-on-exec: the shell writes to it */
		scn_broken("pipe");
	}
	char cmd[160];
	snprintf(cmd, sizeof cmd, "grep -E '^(SigBlk|SigIgn):' /proc/$PPID/status >&%d", fds[1]);
	int r = system(cmd);
	scn_expect_status("system(grep /proc/$PPID/status)", st_exit(0), r);
	close(fds[1]);
	char buf[512] = { 0 };
	ssize_t len = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	unsigned long long blk = 0, ign = 0;
	char *p = len > 0 ? strstr(buf, "SigBlk:") : NULL;
	char *q = len > 0 ? strstr(buf, "SigIgn:") : NULL;
	if (p == NULL || q == NULL) {
		scn_fail("could not read the program's masks during system(): '%s'", buf);
		return;
	}
	blk = strtoull(p + 7, NULL, 16);
	ign = strtoull(q + 7, NULL, 16);
	bool chld_blocked = blk & (1ULL << (SIGCHLD - 1));
	bool int_ignored = ign & (1ULL << (SIGINT - 1));
	bool quit_ignored = ign & (1ULL << (SIGQUIT - 1));
	scn_say("during system: SIGCHLD blocked %d, SIGINT ignored %d, SIGQUIT ignored %d", chld_blocked,
	        int_ignored, quit_ignored);
	if (!chld_blocked || !int_ignored || !quit_ignored) {
		scn_fail("during system(): expected SIGCHLD blocked and SIGINT, SIGQUIT ignored");
	}

	/* afterwards: everything as it was */
	sigset_t mask;
	sigprocmask(SIG_BLOCK, NULL, &mask);
	struct sigaction si, sq;
	sigaction(SIGINT, NULL, &si);
	sigaction(SIGQUIT, NULL, &sq);
	bool restored = !sigismember(&mask, SIGCHLD) && si.sa_handler == SIG_DFL && sq.sa_handler == SIG_DFL;
	scn_say("after system: mask and dispositions restored %d", restored);
	if (!restored) {
		scn_fail("after system(): expected SIGCHLD unblocked, SIGINT and SIGQUIT at SIG_DFL");
	}
}

/* The program's SIGCHLD handler hears of system()'s shell when system() unblocks SIGCHLD. */
static void variant_system_handler(void)
{
	scn_stage("system and a SIGCHLD handler", 20);
	struct sigaction old;
	sigrec_catch_sigchld(SA_RESTART, &old);
	int fds[2];
	if (pipe(fds) != 0) {
		scn_broken("pipe");
	}
	char cmd[64];
	snprintf(cmd, sizeof cmd, "echo $$ >&%d; exit 5", fds[1]);
	int from = sigrec_count();
	int r = system(cmd);
	close(fds[1]);
	char buf[32] = { 0 };
	ssize_t len = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	pid_t sh = len > 0 ? (pid_t)atoi(buf) : 0;
	if (sh <= 0) {
		scn_fail("system(): the shell did not tell its pid");
		sigaction(SIGCHLD, &old, NULL);
		return;
	}
	own_add(sh, OWN_ANY); /* made by system(): the program's own, and collected by it */
	own_collect("system()", sh, OWN_ANY);
	scn_expect_status("system(\"... exit 5\")", st_exit(5), r);
	bool heard = sigrec_wait(sh, CLD_EXITED, from, 2, NULL);
	scn_say("the program's SIGCHLD handler heard of system()'s shell: %d", heard);
	if (!heard) {
		scn_fail("the program's SIGCHLD handler was not told of system()'s shell %d", (int)sh);
	}
	sigaction(SIGCHLD, &old, NULL);
	sigrec_check_own(from);
}

/* system()'s shell ends while an orphan's SIGCHLD is pending, held back by system(): the kernel
 * merges the shell's signal into the orphan's, so the shell's own never comes. The program's
 * handler must still hear of the shell, once, and never of the orphan. The shell releases the
 * orphan and ends once it is a zombie; where orphans are not this process's (not PID 1 nor a
 * subreaper), there is nothing to merge and only the report is checked. */
static void variant_system_merged(void)
{
	scn_stage("system and a merged SIGCHLD", 20);
	struct sigaction old;
	sigrec_catch_sigchld(SA_RESTART, &old);
	struct foreign orphan;
	foreign_make(&orphan, 7, NULL);
	bool orphans_come_here = scn_orphan_reaper() == getpid();
	int fds[2];
	int release = dup(orphan.gate.w); /* not close-on-exec: the shell writes to both */
	if (release < 0 || pipe(fds) != 0) {
		scn_broken("dup, pipe");
	}
	char cmd[360];
	snprintf(cmd, sizeof cmd,
	         "echo $$ >&%d; echo >&%d; i=0; while [ $i -lt 100000 ] && { read -r p c s rest </proc/%d/stat; } 2>/dev/null && "
	         "[ \"$s\" != Z ]; do i=$((i+1)); done; echo \"$s\" >&%d; exit 23",
	         fds[1], release, (int)orphan.pid, fds[1]);
	int from = sigrec_count();
	int r = system(cmd);
	close(release);
	close(fds[1]);
	char buf[64] = { 0 };
	ssize_t len = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	gate_close(&orphan.gate);
	pid_t sh = len > 0 ? (pid_t)atoi(buf) : 0;
	if (sh <= 0) {
		scn_fail("system(): the shell did not tell its pid");
		sigaction(SIGCHLD, &old, NULL);
		return;
	}
	own_add(sh, OWN_ANY);
	own_collect("system()", sh, OWN_ANY);
	scn_expect_status("system(\"... exit 23\")", st_exit(23), r);
	if (orphans_come_here && strstr(buf, "\nZ") == NULL) {
		scn_fail("system and a merged SIGCHLD: not set up (the shell did not see the orphan a zombie: %s)", buf);
	}
	struct sigrec_entry e;
	bool heard = sigrec_wait(sh, CLD_EXITED, from, 2, &e);
	int times = 0;
	for (int i = from; i < sigrec_count(); i++) {
		times += sigrec_get(i).pid == sh;
	}
	scn_say("the program's SIGCHLD handler heard of system()'s shell behind an orphan's signal: %d", heard);
	if (!heard || e.status != 23 || times != 1) {
		scn_fail("system and a merged SIGCHLD: the handler was told of the shell %d %d times (status %d), "
		         "expected once with 23", (int)sh, times, heard ? e.status : -1);
	}
	sigaction(SIGCHLD, &old, NULL);
	sigrec_check_own(from);
}

/* glibc's system() with SIGCHLD ignored: the kernel reaps the shell, system returns -1 (ECHILD). */
static void variant_system_ign(void)
{
	scn_stage("system with SIGCHLD ignored", 20);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old);
	errno = 0;
	int r = system("exit 3");
	int err = errno;
	sigaction(SIGCHLD, &old, NULL);
	scn_say("system(\"exit 3\") with SIGCHLD ignored -> %d (%s)", r, r == -1 ? strerror(err) : "-");
}

/* A handler with SA_NOCLDWAIT: the kernel reaps the shell before libc's wait can, so system() and
 * pclose() fail with ECHILD, and the handler still hears of each shell with its status. */
static void variant_nocldwait(void)
{
	scn_stage("system and pclose under SA_NOCLDWAIT", 20);
	struct sigaction old;
	sigrec_catch_sigchld(SA_RESTART | SA_NOCLDWAIT, &old);
	int fds[2];
	if (pipe(fds) != 0) { /* not close-on-exec: the shells write to it */
		scn_broken("pipe");
	}
	char cmd[64];
	snprintf(cmd, sizeof cmd, "echo $$ >&%d; exit 5", fds[1]);
	int from = sigrec_count();
	errno = 0;
	int by_system = system(cmd);
	int system_errno = errno;
	snprintf(cmd, sizeof cmd, "echo $$ >&%d; exit 6", fds[1]);
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		scn_broken("popen");
	}
	errno = 0;
	int by_pclose = pclose(f);
	int pclose_errno = errno;
	close(fds[1]);
	char buf[64] = { 0 };
	ssize_t len = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	pid_t shells[2] = { 0, 0 };
	if (len <= 0 || sscanf(buf, "%d %d", &shells[0], &shells[1]) != 2) {
		scn_broken("the shells did not tell their pids");
	}
	scn_say("SA_NOCLDWAIT: system -> %d (%s), pclose -> %d (%s)", by_system, strerror(system_errno), by_pclose,
	        strerror(pclose_errno));
	if (by_system != -1 || system_errno != ECHILD || by_pclose != -1 || pclose_errno != ECHILD) {
		scn_fail("SA_NOCLDWAIT: expected system and pclose -1 with ECHILD");
	}
	for (int i = 0; i < 2; i++) {
		struct sigrec_entry e = { 0, 0, 0 };
		own_add(shells[i], OWN_ANY); /* made by system() and popen(): the program's own */
		own_collect("SA_NOCLDWAIT (the kernel's)", shells[i], OWN_ANY);
		if (!sigrec_wait(shells[i], CLD_EXITED, from, 2, &e) || e.status != 5 + i) {
			scn_fail("SA_NOCLDWAIT: the handler was not told of shell %d with exit %d", (int)shells[i], 5 + i);
		}
	}
	sigaction(SIGCHLD, &old, NULL);
	sigrec_check_own(from);
}

/* ---- popen ------------------------------------------------------------------------------------ */

static bool cloexec(FILE *f)
{
	int flags = fcntl(fileno(f), F_GETFD);
	return flags >= 0 && (flags & FD_CLOEXEC);
}

static void popen_read(const char *mode, int code)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "echo hello; exit %d", code);
	FILE *f = popen(cmd, mode);
	if (f == NULL) {
		scn_fail("popen(\"%s\", \"%s\"): %s", cmd, mode, strerror(errno));
		return;
	}
	bool ce = cloexec(f);
	char line[64] = { 0 };
	if (fgets(line, sizeof line, f) == NULL || strcmp(line, "hello\n") != 0) {
		scn_fail("popen(\"%s\", \"%s\"): expected to read 'hello', got '%s'", cmd, mode, line);
	}
	int r = pclose(f);
	char t[64];
	scn_say("popen(\"%s\", \"%s\"): read hello, close-on-exec %d, pclose -> %s", cmd, mode, ce,
	        r == -1 ? "-1" : st_text(r, t));
	scn_expect_status("pclose(popen(r))", st_exit(code), r);
	scn_expect_int("close-on-exec of popen's stream", strchr(mode, 'e') != NULL, ce);
}

static void popen_write(const char *mode, int code)
{
	FILE *f = popen("read x; exit $x", mode);
	if (f == NULL) {
		scn_fail("popen(\"read x; exit $x\", \"%s\"): %s", mode, strerror(errno));
		return;
	}
	bool ce = cloexec(f);
	fprintf(f, "%d\n", code);
	int r = pclose(f);
	char t[64];
	scn_say("popen(\"read x; exit $x\", \"%s\"): wrote %d, close-on-exec %d, pclose -> %s", mode, code, ce,
	        r == -1 ? "-1" : st_text(r, t));
	scn_expect_status("pclose(popen(w))", st_exit(code), r);
	scn_expect_int("close-on-exec of popen's stream", strchr(mode, 'e') != NULL, ce);
}

static void variant_popen(void)
{
	scn_stage("popen", 30);
	popen_read("r", 3);
	popen_read("re", 4);
	popen_write("w", 5);
	popen_write("we", 6);

	/* two at once, closed in the other order; the second child must not hold the first's pipe */
	FILE *a = popen("cat >/dev/null; exit 8", "w");
	FILE *b = popen("ls /proc/self/fd | tr '\\n' ' '", "r");
	char fds[256] = { 0 };
	if (a == NULL || b == NULL || fgets(fds, sizeof fds, b) == NULL) {
		scn_fail("two popen at once: %s", strerror(errno));
	}
	int rb = b != NULL ? pclose(b) : -1;
	int ra = a != NULL ? pclose(a) : -1;
	scn_say("popen child's fds while another popen is open: %s", fds);
	scn_expect_status("pclose(second popen)", st_exit(0), rb);
	scn_expect_status("pclose(first popen)", st_exit(8), ra);

	/* under a storm, again and again */
	int n = scn_scale(10);
	for (int i = 0; i < n; i++) {
		char cmd[32];
		snprintf(cmd, sizeof cmd, "exit %d", 60 + i);
		FILE *f = popen(cmd, i % 2 ? "r" : "w");
		int r = f != NULL ? pclose(f) : -1;
		scn_expect_status(cmd, st_exit(60 + i), r);
	}
	scn_say("popen/pclose x%d -> exact", n);

#if defined(__GLIBC__)
	/* a stream popen did not open: whatever libc's pclose does with it (musl's waits for any child
	 * of the process group, since the stream names no child) */
	FILE *f = fopen("/dev/null", "r");
	errno = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"
	int r = pclose(f); /* on purpose */
#pragma GCC diagnostic pop
	scn_say("pclose(fopen(\"/dev/null\")) -> %d (%s)", r, r == 0 ? "-" : strerror(errno));
#endif
}

/* ---- wordexp ---------------------------------------------------------------------------------- */

static void expect_words(const char *words, int flags, int expect_rc, const char *expect)
{
	wordexp_t we;
	memset(&we, 0, sizeof we);
	int rc = wordexp(words, &we, flags);
	char got[256] = { 0 };
	for (size_t i = 0; rc == 0 && i < we.we_wordc; i++) {
		size_t len = strlen(got);
		snprintf(got + len, sizeof got - len, "%s%s", i ? "|" : "", we.we_wordv[i]);
	}
	if (rc == 0) {
		wordfree(&we);
	}
	if (rc != expect_rc || strcmp(got, expect) != 0) {
		scn_fail("wordexp(\"%s\"): expected %d '%s', got %d '%s'", words, expect_rc, expect, rc, got);
	}
}

static void variant_wordexp(void)
{
	scn_stage("wordexp", 30);
	expect_words("a$(echo b c)d $(exit 3)e", 0, 0, "ab|cd|e");
	expect_words("$(echo x)", WRDE_NOCMD, WRDE_CMDSUB, "");
	int n = scn_scale(10);
	for (int i = 0; i < n; i++) {
		expect_words("$(echo one two) `echo three`", 0, 0, "one|two|three");
	}
	scn_say("wordexp with command substitution x%d -> exact", n + 2);
}

static const struct scn_variant variants[] = {
	{ "system", variant_system },
	{ "system_signals", variant_system_signals },
	{ "system_handler", variant_system_handler },
	{ "system_merged", variant_system_merged },
	{ "system_ign", variant_system_ign },
	{ "nocldwait", variant_nocldwait },
	{ "popen", variant_popen },
	{ "wordexp", variant_wordexp },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

/* After each variant, one more batch of foreign orphans before the next. */
static void one_storm_batch(void)
{
	storm_batches(1);
}

int main(int argc, char **argv)
{
	return scn_variants_main(argc, argv, variants, N_VARIANTS, one_storm_batch,
	                         "usage: core_shell system|system_signals|system_handler|system_merged|system_ign|popen|wordexp|all");
}
