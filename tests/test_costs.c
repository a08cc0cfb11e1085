/* What the program's own child work costs in system calls and page faults with the shim, as PID 1,
 * and what an inert program's waits cost (issue 11):
 * tests/scenarios/child_costs.c runs each kind of operation in a loop under strace -f -c, twice
 * with different counts, so that start-up cancels out and what is left is the cost of one
 * operation, its children included. Counts, not times. The bounds are what each operation needs:
 * the child's SIGCHLD action back to SIG_DFL (when the program has no handler), the SIGCHLD
 * delivery with its rt_sigreturn, one look at the zombie in front. A fork changes no mask: the
 * registry records the child without its lock (the library before blocked every signal around
 * the fork and restored the mask in both processes, 3 rt_sigprocmask). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum { SIGPROCMASK, SIGACTION, WAITID, SIGRETURN, KINDS };
static const char *const names[KINDS] = {"rt_sigprocmask", "rt_sigaction", "waitid", "rt_sigreturn"};

#define FEW 40
#define MANY 240

/* The calls of each name in strace -c's table at path (columns: % time, seconds, usecs/call,
 * calls, [errors,] syscall). */
static void read_table(const char *path, long calls[KINDS])
{
	char line[256];
	FILE *f = fopen(path, "r");

	cr_assert(f != NULL, "no strace summary at %s", path);
	memset(calls, 0, KINDS * sizeof(calls[0]));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *words[8], *save = NULL;
		int n = 0;

		for (char *w = strtok_r(line, " \t\n", &save); w != NULL && n < 8; w = strtok_r(NULL, " \t\n", &save)) {
			words[n++] = w;
		}
		for (int k = 0; n >= 5 && k < KINDS; k++) {
			if (strcmp(words[n - 1], names[k]) == 0) {
				calls[k] = atol(words[3]);
			}
		}
	}
	fclose(f);
}

static void count(const char *kind, int ops, const char *mode, long calls[KINDS])
{
	char summary[32], n[16];
	struct run_result r;

	snprintf(n, sizeof(n), "%d", ops);
	const char *program[] = {scenario("child_costs"), kind, n, mode, NULL};

	run_counted("rt_sigprocmask,rt_sigaction,waitid,rt_sigreturn", program, 120, summary, &r);
	read_table(summary, calls);
	unlink(summary);
	cr_assert(!r.timed_out && r.exit_code == 0 && strstr(r.out, "OK ") != NULL,
		  "child_costs %s %d %s under strace: exit %d; output:\n%s", kind, ops, mode, r.exit_code, r.out);
	run_result_free(&r);
}

static void per_op(const char *kind, const char *mode, double per[KINDS])
{
	long few[KINDS], many[KINDS];

	count(kind, FEW, mode, few);
	count(kind, MANY, mode, many);
	for (int k = 0; k < KINDS; k++) {
		per[k] = (double)(many[k] - few[k]) / (MANY - FEW);
	}
}

/* Each name's calls per operation must stay within most[] (a negative bound: not checked). */
static void costs_at_most(const char *kind, const char *mode, const double most[KINDS])
{
	double per[KINDS];

	per_op(kind, mode, per);
	for (int k = 0; k < KINDS; k++) {
		cr_expect(most[k] < 0 || per[k] <= most[k] + 0.1, "%s%s%s: %.2f %s per operation (at most %g)", kind,
			  mode[0] != '\0' ? " with a SIGCHLD " : "", mode, per[k], names[k], most[k]);
	}
}

/* Child: SIGCHLD back to SIG_DFL; handler: one look at the zombie in front, which finds no child once the wait has reaped it (the look at the reported pid
 * is then not needed: the library before made it, 2 waitid). A child that ends before the wait
 * begins is in front, and the wait looks behind it after: up to half an operation more. */
Test(costs, fork, .timeout = 300)
{
	costs_at_most("fork", "", (const double[KINDS]){0, 1, 1.5, 1});
}

/* With a handler of the program the child leaves SIGCHLD alone, and the program's handler gets its
 * own mask: one rt_sigprocmask. */
Test(costs, fork_with_a_handler, .timeout = 300)
{
	costs_at_most("fork", "handler", (const double[KINDS]){1, 0, 1.5, 1});
}

/* With a clone child listed that only __WALL waits see (no exit signal), a pid the look in front
 * cannot see held may be held by it: the handler looks at each reported pid again, one waitid
 * more. The check that keeps the second look for that case, counted. */
Test(costs, fork_with_a_clone_child_listed, .timeout = 300)
{
	double per[KINDS];

	per_op("fork", "clonekind", per);
	cr_expect(per[WAITID] >= 1.9, "fork with a clone child listed: %.2f waitid per operation (at least 2)",
		  per[WAITID]);
}

/* Parent: block and restore, the registry's lock inside that window; child: its restore; the look
 * at the zombie in front and the look behind it after the wait. */
Test(costs, vfork, .timeout = 300)
{
	costs_at_most("vfork", "", (const double[KINDS]){3, -1, 2, 1});
}

/* libc's own posix_spawn (parent: block and restore; child: a look at its mask, and its restore);
 * the registry records the child without its lock. The SIGCHLD and its looks are not counted here: a child may end before
 * the shim has recorded it (on a busy machine, one spawn in ten), and its report is then parked
 * and replayed with one SIGCHLD more; the fork cases count the same handler. */
Test(costs, posix_spawn, .timeout = 300)
{
	costs_at_most("spawn", "", (const double[KINDS]){4, -1, -1, -1});
}

/* One window with every signal blocked for the dispositions and the shell's birth, one for their
 * restore, each ended by the mask of the wait or the caller; libc's posix_spawn inside. */
Test(costs, system, .timeout = 300)
{
	costs_at_most("system", "", (const double[KINDS]){8, -1, 2, 1});
}

/* libc's posix_spawn and pclose's look at the caller's mask (the SIGCHLD not counted, as for
 * posix_spawn). */
Test(costs, popen, .timeout = 300)
{
	costs_at_most("popen", "", (const double[KINDS]){5, -1, -1, -1});
}

/* system's changes of SIGINT and SIGQUIT cost what libc's do (four rt_sigaction: the shim learns
 * once how libc stores an action instead of asking after each), less the two looks its child skips
 * for them: two more than posix_spawn's child alone, whose resets depend on the C library. */
Test(costs, system_dispositions, .timeout = 300)
{
	double system[KINDS], spawn[KINDS];

	per_op("system", "", system);
	per_op("spawn", "", spawn);
	cr_expect(system[SIGACTION] - spawn[SIGACTION] <= 2.1, "system: %.2f rt_sigaction per operation, posix_spawn %.2f",
		  system[SIGACTION], spawn[SIGACTION]);
}

/* Page faults per operation of the scenario's loop (FAULTS line), in the program and in its
 * children, as PID 1 with preload (an absolute path; NULL: none). */
struct faults {
	double self, children;
};

/* Whether a signal handler's frames cross into one more page of stack than another handler's
 * depends on where the stack stands in its page: each count is the mean over LAYOUTS runs whose
 * environment (at the top of the stack) is padded by an eighth of a page more each time (four
 * layouts left the two means apart by up to 0.87 in about one run in ten, from layout alone). */
#define LAYOUTS 8
#define LAYOUT_STEP (4096 / LAYOUTS)

static struct faults faults_per_op(const char *kind, const char *preload)
{
	struct faults mean = {0, 0};

	for (int layout = 0; layout < LAYOUTS; layout++) {
		long few[2] = {0, 0}, many[2] = {0, 0};

		for (int round = 0; round < 2; round++) {
			char n[16], variable[512], pad[4096] = "PAD=";
			const char *env[] = {variable, pad, NULL};
			struct run_result r;
			const char *faults;

			memset(pad + 4, 'x', (size_t)layout * LAYOUT_STEP);
			pad[4 + layout * LAYOUT_STEP] = '\0';
			snprintf(n, sizeof(n), "%d", round == 0 ? FEW : MANY);
			snprintf(variable, sizeof(variable), "LD_PRELOAD=%s", preload != NULL ? preload : "");
			const char *program[] = {scenario("child_costs"), kind, n, NULL};
			struct run_opts opts = {.pid1 = true, .env = env, .timeout_s = 120};

			run(program, &opts, &r);
			faults = strstr(r.out, "FAULTS ");
			cr_assert(!r.timed_out && r.exit_code == 0 && faults != NULL &&
					  sscanf(faults, "FAULTS %ld %ld", round == 0 ? &few[0] : &many[0],
						 round == 0 ? &few[1] : &many[1]) == 2,
				  "child_costs %s %s with %s: exit %d; output:\n%s", kind, n,
				  preload ? preload : "no preload", r.exit_code, r.out);
			run_result_free(&r);
		}
		mean.self += (double)(many[0] - few[0]) / (MANY - FEW) / LAYOUTS;
		mean.children += (double)(many[1] - few[1]) / (MANY - FEW) / LAYOUTS;
	}
	return mean;
}

/* Page faults, counted by the kernel, against floor.so: the least any in-process reaper does
 * (tests/bench/so/floor.c, a handler that looks once). After a fork, every page the parent writes
 * costs it a fault (and a copy while the child lives): the shim's writes per child land in pages
 * no child inherits (shim/unshared.h), and its handler stays as shallow as the floor's where the
 * program has no handler. A fork child faults in each run of the library's or libc's code it
 * executes: the child's way out of the shim is one run of pages, and it resets its signals with
 * the system calls themselves, so it faults no more than a child of a program without any
 * preload. The library before this counted 7.2 in the parent (floor 4.0) and 20 per child (16). */
Test(costs, fork_page_faults, .timeout = 300)
{
	struct faults shim = faults_per_op("fork", shim_path());
	struct faults floor = faults_per_op("fork", built("bench/floor.so"));
	struct faults bare = faults_per_op("fork", NULL);

	/* The shim's handler runs about 1 kB deeper than floor.so's: in some layouts its frames reach
	 * one more page of stack (up to half a fault per operation over the layouts). */
	cr_expect(shim.self <= floor.self + 0.75, "fork as PID 1: %.2f page faults per fork + wait in the program, floor.so %.2f",
		  shim.self, floor.self);
	cr_expect(shim.children <= bare.children + 0.5, "fork as PID 1: %.2f page faults per child, %.2f without a preload",
		  shim.children, bare.children);
}

/* Every program the container runs besides PID 1 loads the shim inert, and its event loop's waits
 * must cost what libc's do: the shim's handlers cannot cut them short there, so they go to libc
 * without the deadline (two clock readings a call) that an active process needs to wait again for
 * the time left. Counted by an interposer of clock_gettime preloaded after the shim; the library
 * before this read the clock 10,000 times for these 6,000 calls. */
Test(costs, inert_waits_read_no_clock, .timeout = 60)
{
	char variable[1024];
	const char *env[] = {variable, NULL};
	const char *program[] = {scenario("inert_waits"), NULL};
	struct run_opts opts = {.env = env, .timeout_s = 30};
	struct run_result r;
	long clocks = -1;
	const char *line;

	snprintf(variable, sizeof(variable), "LD_PRELOAD=%s %s", shim_path(), scenario("libscn_clocks.so"));
	run(program, &opts, &r);
	line = strstr(r.out, "CLOCKS ");
	cr_assert(r.exit_code == 0 && line != NULL && sscanf(line, "CLOCKS %ld", &clocks) == 1,
		  "inert_waits: exit %d; output:\n%s", r.exit_code, r.out);
	cr_expect(clocks == 0, "inert waits read the clock %ld times", clocks);
	run_result_free(&r);
}

/* Every program of the container loads the shim, and most leave it inert. Each mapping of an object
 * costs an exec its set-up and take-down, and each fault in it the kernel's trip, with the cached
 * pages after the faulting one mapped too, up to 16 (fault-around): 4 to 6 us a mapping on the
 * machine of 2026-12-04 (docs/performance.md). The library is one read-only segment, code included
 * (-z noseparate-code), with what every process runs at start (the constructor's decision, the
 * listing of the loaded objects, the binding of __libc_start_main) right after the tables the loader
 * reads first (shim/start.ld): three mappings in all (that one, the part made read-only after
 * relocation, the writable part), and the start's code comes with the loader's own fault, or the
 * one after it when the segment begins at the last page of a 16-page window: at most 17 pages.
 * The library before this had six mappings (tables, code, constants, the start's code, the two
 * writable ones), and an empty object built with the toolchain's defaults has five. */
static void inert_pages(const char *calls, long *code, long *other, long *mappings)
{
	char variable[1024];
	const char *env[] = {variable, NULL};
	const char *program[] = {scenario("inert_pages"), shim_path(), calls, NULL};
	struct run_opts opts = {.env = env, .timeout_s = 30};
	struct run_result r;
	const char *line;

	snprintf(variable, sizeof(variable), "LD_PRELOAD=%s", shim_path());
	run(program, &opts, &r);
	line = strstr(r.out, "RESIDENT ");
	cr_assert(r.exit_code == 0 && line != NULL &&
			  sscanf(line, "RESIDENT code=%ld other=%ld mappings=%ld", code, other, mappings) == 3,
		  "inert_pages %s: exit %d; output:\n%s", calls ? calls : "", r.exit_code, r.out);
	run_result_free(&r);
}

static void expect_inert_layout(const char *calls, const char *what)
{
	long code, other, mappings;

	inert_pages(calls, &code, &other, &mappings);
	cr_expect(mappings <= 3, "an inert process that %s has the shim in %ld mappings", what, mappings);
	cr_expect(code <= 17, "an inert process that %s maps %ld pages of the shim's code", what, code);
	cr_expect(other <= 4, "an inert process that %s maps %ld pages of the shim's writable segments", what, other);
}

Test(costs, inert_start_maps_three_mappings, .timeout = 60)
{
	expect_inert_layout(NULL, "calls nothing of the shim's");
}

/* The entries nearly every program calls as it starts (sigaction, signal), and a shell's waits,
 * lie with the start too, with what they read (start.h): where the shim never acted they are
 * libc's. The library before the start's section mapped a window of its code (up to 16 pages) for
 * each, and its constants for the names it looked up in libc. */
Test(costs, inert_signal_actions_and_waits_map_nothing_more, .timeout = 60)
{
	expect_inert_layout("calls", "sets signal actions and waits");
}

/* Start-up as PID 1: the shim sets the action of every signal it manages in the call that returns
 * the action replaced, instead of a look and then a change: at most one rt_sigaction per signal
 * number (64), where looking first cost 101. Extrapolated to no operation from the fork runs. */
Test(costs, start, .timeout = 300)
{
	long few[KINDS], many[KINDS];

	count("fork", FEW, "", few);
	count("fork", MANY, "", many);
	double per = (double)(many[SIGACTION] - few[SIGACTION]) / (MANY - FEW);
	double start = (double)few[SIGACTION] - per * FEW;
	cr_expect(start <= 64.5, "start-up: %.1f rt_sigaction (at most 64)", start);
}
