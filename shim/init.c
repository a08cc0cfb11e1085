/* init.c: owns the decision, once per process image, whether the shim acts (active.h), and the
 * start-up of everything else in that order: bind libc, read the configuration, record the
 * children the image already has as its own, then put the signal handlers in place.
 *
 * Active: PID 1 (unless REAP_MODE=off), or any process with REAP_MODE=subreaper, which then
 * becomes a child subreaper. The opt-in is pinned to that process by rewriting the variable to
 * "subreaper:PID", so that it survives the process's own exec but does not reach its descendants,
 * which LD_PRELOAD does reach. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "active.h"
#include "children.h"
#include "config.h"
#include "exec.h"
#include "log.h"
#include "real.h"
#include "registry.h"
#include "sigchld.h"
#include "signals.h"
#include "spawn.h"
#include "terminate.h"

struct active_page *active_page;
pid_t active_pid;
__thread int in_vfork_child __attribute__((tls_model("initial-exec")));

static void mark_active(pid_t self)
{
	long size = sysconf(_SC_PAGESIZE);
	struct active_page *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	__atomic_store_n(&active_pid, self, __ATOMIC_RELEASE);
	if (page == MAP_FAILED) {
		return;
	}
	if (madvise(page, (size_t)size, MADV_WIPEONFORK) != 0) {
		munmap(page, (size_t)size);
		return;
	}
	page->pid = self;
	__atomic_store_n(&active_page, page, __ATOMIC_RELEASE);
}

static bool become_subreaper(pid_t self)
{
	struct log_line value;

	if (config.mode != MODE_SUBREAPER || (config.subreaper_pid != 0 && config.subreaper_pid != self)) {
		return false;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		log_verbose2("cannot become a child subreaper; staying inert", "");
		return false;
	}
	log_begin(&value);
	value.len = 0;
	log_str(&value, "subreaper:");
	log_int(&value, self);
	value.text[value.len] = '\0';
	setenv("REAP_MODE", value.text, 1);
	return true;
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

__attribute__((constructor)) static void reap_start(void)
{
	pid_t self = getpid();
	bool listed;

	real_bind_async_safe();
	config_load();
	/* Also in an inert process: its fork children must not inherit a lock held by a sibling. */
	pthread_atfork(NULL, NULL, spawn_reset_in_child);
	if (config.mode == MODE_OFF || (self != 1 && !become_subreaper(self))) {
		unsetenv(EXEC_OWN_VARIABLE);
		return;
	}
	/* Children inherited across exec stay the program's (a re-exec'ing master keeps its workers):
	 * those the previous image listed, or all of them when it did not run the shim. */
	listed = exec_adopt_listed();
	if (!listed && has_children()) {
		children_foreach(adopt, NULL);
	}
	mark_active(self);
	config_report();
	sigchld_init();
	terminate_init();
	signals_adopt_handlers();
	log_debug2("active in this process", "");
}
