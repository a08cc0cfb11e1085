/* core_exec: children the process already had when its image started stay its own (issue 2,
 * property 3): a re-exec'ing master keeps its old workers. Before exec: two children wait at a
 * gate, a third has already ended (a zombie). After exec, under a storm of foreign orphans: the
 * zombie is still there to wait for, the others' ends reach the program's SIGCHLD handler and its
 * wait calls, exact, and no foreign pid shows.
 * The exec function is chosen by the argument; the environment must come through unchanged.
 * Usage: core_exec [execv|execve|execvp|execl|fexecve]   (default execv; re-executes itself as
 *        core_exec stage2 A B C GATE_A GATE_B ENV_COUNT) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scn.h"

extern char **environ;

static int env_count(void)
{
	int n = 0;
	while (environ[n] != NULL) {
		n++;
	}
	return n;
}

/* Execute this program again with args, through `how`. */
static void exec_by(const char *how, char **args)
{
	if (strcmp(how, "execve") == 0) {
		/* a copy of the environment, not environ itself */
		int n = env_count();
		char **env = calloc((size_t)n + 1, sizeof *env);
		for (int i = 0; i < n; i++) {
			env[i] = strdup(environ[i]);
		}
		execve("/proc/self/exe", args, env);
	} else if (strcmp(how, "execvp") == 0) {
		execvp("/proc/self/exe", args);
	} else if (strcmp(how, "execl") == 0) {
		execl("/proc/self/exe", args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
		      (char *)NULL);
	} else if (strcmp(how, "fexecve") == 0) {
		int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		fexecve(fd, args, environ);
	} else {
		execv("/proc/self/exe", args);
	}
	scn_broken(how);
}

static int stage1(char *argv0, const char *how)
{
	scn_stage("before exec", 10);
	struct gate ga, gb;
	gate_make(&ga);
	gate_make(&gb);
	pid_t a = kid_gated(&ga, 31);
	pid_t b = kid_gated(&gb, 32);
	pid_t c = kid_exit(33);
	if (!proc_wait_state(c, 'Z', 5)) {
		scn_broken("the third child did not end");
	}
	fcntl(ga.w, F_SETFD, 0); /* the new image lets the children go */
	fcntl(gb.w, F_SETFD, 0);
	char sa[16], sb[16], sc[16], sga[16], sgb[16], se[16];
	snprintf(sa, sizeof sa, "%d", (int)a);
	snprintf(sb, sizeof sb, "%d", (int)b);
	snprintf(sc, sizeof sc, "%d", (int)c);
	snprintf(sga, sizeof sga, "%d", ga.w);
	snprintf(sgb, sizeof sgb, "%d", gb.w);
	snprintf(se, sizeof se, "%d", env_count());
	char *args[] = { argv0, (char *)"stage2", sa, sb, sc, sga, sgb, se, NULL };
	exec_by(how, args);
	return SCN_EXIT_BROKEN;
}

/* Let the child at gate g go; the program's handler must be told of its end. */
static void release_told(struct gate *g, pid_t kid, int code)
{
	int from = sigrec_count();
	gate_release(g, 1);
	struct sigrec_entry e;
	if (!sigrec_wait(kid, CLD_EXITED, from, 5, &e)) {
		scn_fail("the SIGCHLD handler was not told of child %d from before exec (exit %d); it was told of:",
		         (int)kid, code);
		for (int i = from; i < sigrec_count(); i++) {
			e = sigrec_get(i);
			scn_say("  pid %d si_code %d si_status %d", (int)e.pid, e.code, e.status);
		}
	} else if (e.status != code) {
		scn_fail("the SIGCHLD handler was told of child %d from before exec: expected si_status %d, got %d",
		         (int)kid, code, e.status);
	}
	close(g->w);
}

static int stage2(char **argv)
{
	pid_t a = atoi(argv[2]), b = atoi(argv[3]), c = atoi(argv[4]);
	struct gate ga = { -1, atoi(argv[5]) }, gb = { -1, atoi(argv[6]) };
	int env_before = atoi(argv[7]), env_after = env_count();
	if (env_before != env_after) {
		scn_fail("exec changed the environment: %d variables before, %d after", env_before, env_after);
		for (int i = 0; environ[i] != NULL; i++) {
			if (strncmp(environ[i], "REAP_", 5) == 0) {
				scn_say("  after exec: %.60s", environ[i]);
			}
		}
	}
	own_add(a, st_exit(31));
	own_add(b, st_exit(32));
	own_add(c, st_exit(33));
	storm_start();
	storm_batches(3);

	scn_stage("after exec", 20);
	if (proc_state(c) != 'Z') {
		scn_fail("the child that ended before exec: expected a zombie to wait for, state '%c'",
		         proc_state(c) ? proc_state(c) : '-');
	}
	int status;
	pid_t got = waitpid(c, &status, 0);
	if (scn_expect_int("waitpid(child that ended before exec)", c, got)) {
		own_collect("waitpid(child that ended before exec)", got, status);
	}

	struct sigaction old;
	sigrec_catch_sigchld(SA_RESTART, &old);
	int from = sigrec_count();
	release_told(&ga, a, 31);
	release_told(&gb, b, 32);
	storm_batches(1);
	for (int n = 0, calls = 0; n < 2 && calls < 50; calls++) {
		errno = 0;
		got = wait(&status);
		if (got < 0) {
			scn_fail("wait(): expected a child from before exec, got -1 (%s)", strerror(errno));
			break;
		}
		if (own_collect("wait()", got, status)) {
			n++;
		}
	}
	sigaction(SIGCHLD, &old, NULL);
	sigrec_check_own(from);
	scn_say("children from before exec: all three collected after exec");
	return scn_finish();
}

int main(int argc, char **argv)
{
	scn_init();
	if (argc == 8 && strcmp(argv[1], "stage2") == 0) {
		return stage2(argv);
	}
	return stage1(argv[0], argc > 1 ? argv[1] : "execv");
}
