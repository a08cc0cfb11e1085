/* init.c: owns the decision, once per process image, whether and how the shim acts (active.h), and
 * the start-up of everything else in that order: list the loaded objects (symbols.c), read the
 * configuration, record the children the image already has as its own, then put the signal
 * handlers in place.
 *
 * The shim acts in PID 1 (unless REAP_MODE=off), and in any process that REAP_MODE=subreaper or
 * REAP_MODE=split opts in. It acts in split mode (split.c) when REAP_MODE=split asks for it, or when
 * the program carries a Go runtime, which in-process reaping would harm; otherwise in-process.
 *
 * An opt-in is pinned to the process that acts on it by rewriting the variable to "MODE:PID", PID 1
 * included: the process keeps it across its own exec, its descendants (which LD_PRELOAD reaches)
 * do not act on it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "active.h"
#include "children.h"
#include "config.h"
#include "exec.h"
#include "exit.h"
#include "kernel.h"
#include "log.h"
#include "real.h"
#include "registry.h"
#include "sigchld.h"
#include "signals.h"
#include "spawn.h"
#include "split.h"
#include "start.h"
#include "symbols.h"
#include "terminate.h"
#include "unshared.h"

/* Read by every wrapper, in every process (start.h). */
struct active_page *active_page START_STATE;
pid_t active_pid START_STATE;
__thread int inert_thread __attribute__((tls_model("initial-exec")));

bool reap_active_by_pid(void)
{
	return __atomic_load_n(&active_pid, __ATOMIC_ACQUIRE) == getpid();
}

static void mark_active(pid_t self)
{
	static struct active_page page UNSHARED;

	__atomic_store_n(&active_pid, self, __ATOMIC_RELEASE);
	unshared_init();
	if (unshared_wiped) {
		page.pid = self;
		__atomic_store_n(&active_page, &page, __ATOMIC_RELEASE);
	}
}

/* The mode this process acts in: an opt-in pinned to another process is not its own. */
static enum reap_mode own_mode(pid_t self)
{
	return config.pinned_pid != 0 && config.pinned_pid != self ? MODE_AUTO : config.mode;
}

/* REAP_MODE=MODE becomes MODE:PID, so that the descendants, which inherit it, do not act on it. */
static void pin_opt_in(enum reap_mode mode, pid_t self)
{
	struct log_line value;

	if (mode != MODE_SUBREAPER && mode != MODE_SPLIT) {
		return;
	}
	log_clear(&value);
	log_str(&value, config_mode_name(mode));
	log_str(&value, ":");
	log_int(&value, self);
	setenv("REAP_MODE", log_text(&value), 1);
}

/* REAP_VERBOSE=2: which mode, and why. */
static void say_mode(const char *mode, const char *why, const char *detail)
{
	struct log_line line;

	if (config.verbose < 2) {
		return;
	}
	log_begin(&line);
	log_str(&line, "mode ");
	log_str(&line, mode);
	log_str(&line, ": ");
	log_str(&line, why);
	log_str(&line, detail);
	log_end(&line);
}

/* One system call instead of a read of /proc when there are none, as for a container's first
 * process. */
static bool has_children(void)
{
	siginfo_t info;

	return LIBC(waitid)(P_ALL, 0, &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) == 0 ||
	       errno != ECHILD;
}

static void adopt(pid_t pid, void *ctx)
{
	(void)ctx;
	registry_adopt(pid);
}

/* In-process: the shim stands in the program itself. */
static void act_in_process(pid_t self, enum reap_mode mode)
{
	bool listed;

	if (self != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		log_verbose2("cannot become a child subreaper; staying inert", "");
		unsetenv(EXEC_OWN_VARIABLE);
		return;
	}
	say_mode(self == 1 ? "in-process" : "in-process subreaper", mode == MODE_AUTO ? "PID 1" : "REAP_MODE=",
		 mode == MODE_AUTO ? "" : config_mode_name(mode));
	/* Children inherited across exec stay the program's (a re-exec'ing master keeps its workers):
	 * those the previous image listed, or all of them when it did not run the shim. */
	listed = exec_adopt_listed();
	if (!listed && has_children()) {
		children_foreach(adopt, NULL);
	}
	mark_active(self);
	sigchld_init();
	terminate_init();
	signals_adopt_handlers();
}

static const char mode_variable[] START_CONST = "REAP_MODE";
static const char own_variable[] START_CONST = EXEC_OWN_VARIABLE;

/* Whether entry sets the variable name (start.h: no getenv, no string literal). */
START_PATH static bool sets(const char *entry, const char *name)
{
	while (*name != '\0' && *entry == *name) {
		entry++;
		name++;
	}
	return *name == '\0' && *entry == '=';
}

/* PID 1, or a process with REAP_MODE: the settings decide. argv is the program's argument list,
 * NULL where libc does not hand it to constructors. Out of the start's section (start.h). */
static __attribute__((noinline)) void decide(pid_t self, char **argv)
{
	enum reap_mode mode;
	const char *go;

	config_load();
	mode = own_mode(self);
	if (mode == MODE_OFF || (self != 1 && mode == MODE_AUTO)) {
		unsetenv(EXEC_OWN_VARIABLE);
		return;
	}
	/* The fork children of a process that acts (inert there) must not inherit a lock held by
	 * another thread. */
	pthread_atfork(NULL, NULL, spawn_reset_in_child);
	pin_opt_in(mode, self);
	config_report();
	go = split_go_symbol();
	if (mode == MODE_SPLIT || go != NULL) {
		/* The program no longer has the children of the image before it: they stay with the init. */
		unsetenv(EXEC_OWN_VARIABLE);
		if (split_start(self, argv)) {
			/* the program, with the shim inert, once its init is in place */
			say_mode(self == 1 ? "split" : "split subreaper",
				 go != NULL ? "Go runtime detected, by its symbol " : "REAP_MODE=", go != NULL ? go : "split");
			return;
		}
		if (go != NULL) {
			return; /* never in-process in a Go program; split_start said why not split */
		}
	}
	act_in_process(self, mode);
}

START_PATH static void start(char **argv)
{
	pid_t self = (pid_t)kernel_call4(SYS_getpid, 0, 0, 0, 0);
	bool mode_set = false, own_set = false;

	symbols_init();
	for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
		mode_set = mode_set || sets(*entry, mode_variable);
		own_set = own_set || sets(*entry, own_variable);
	}
	if (self == 1 || mode_set) {
		decide(self, argv);
	} else if (own_set) {
		/* Most processes: not PID 1, and no REAP_MODE to opt them in. An image inert from the
		 * start takes none of the shim's locks, so its fork children run none of its code; nor
		 * does it hand a list of children to its exec. */
		unsetenv(own_variable);
	}
}

/* The split-mode init reuses the memory of the program's arguments: glibc hands them to every
 * constructor; musl runs the constructors inside __libc_start_main, whose wrapper kept them. */
#ifdef __GLIBC__
START_PATH __attribute__((constructor)) static void reap_start(int argc, char **argv)
{
	(void)argc;
	start(argv);
}
#else
START_PATH __attribute__((constructor)) static void reap_start(void)
{
	start(exit_program_argv());
}
#endif
