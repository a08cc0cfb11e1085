/* ptrace.c: owns what the shim knows of the processes the program traces (see ptrace.h): the
 * ptrace() wrapper, syscall(SYS_ptrace) (routed here by spawn.c), and the look at a pid's tracer.
 *
 * The kernel reports a tracee's stops and exit to its tracer's wait4(-1, __WALL) and SIGCHLD even
 * when the tracee is not the tracer's child (strace -f's auto-attached grandchildren, strace -p,
 * gdb -p): for the shim such a pid would be foreign, and its wait wrappers would drop the events
 * the tracer waits for while the tracee sits in its tracing stop. So a tracee is recorded in the
 * registry as own (registry_adopt_tracee): at PTRACE_ATTACH or PTRACE_SEIZE, and, for one the kernel
 * attached by itself (PTRACE_O_TRACEFORK, TRACEVFORK, TRACECLONE: its first stop may reach a wait
 * before the tracer learns its pid from PTRACE_GETEVENTMSG, or the tracer never asks), at the
 * first event of an unknown pid, from the TracerPid line of /proc/PID/status. That line is read
 * only in a process image that has made a ptrace request: a program that traces nothing pays no
 * system call for any of this. TracerPid names the tracing thread; any thread of the program may
 * be it.
 *
 * The kernel reports a tracee's exit to its tracer first: a tracee that is the program's child
 * (an orphan re-parented to PID 1 included) is reaped by that wait, any other stays a zombie for
 * its real parent. Either way the wait that returns the exit forgets the entry (wait.c), as for an
 * own child, and the program's SIGCHLD handler hears of it as of one. PTRACE_DETACH of a process
 * that the program did not create forgets its entry: the program no longer gets its events, and a
 * foreign orphan is an orphan again. */
#include "ptrace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "children.h"
#include "log.h"
#include "real.h"
#include "registry.h"

/* Set by the first request that makes this image a tracer; never cleared (tracees outlive it). */
static int traces;

bool ptrace_used(void)
{
	return __atomic_load_n(&traces, __ATOMIC_RELAXED) != 0;
}

/* The tracing thread of pid, from /proc/PID/status (0: none, or no such process). */
static pid_t tracer_of(pid_t pid)
{
	static const char key[] = "\nTracerPid:";
	struct log_line path;
	char text[1024];
	const char *at;
	ssize_t n;
	pid_t tracer = 0;
	int fd;

	log_clear(&path);
	log_str(&path, "/proc/");
	log_int(&path, pid);
	log_str(&path, "/status");
	fd = open(log_text(&path), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0) {
		return 0;
	}
	text[n] = '\0';
	at = strstr(text, key);
	if (at == NULL) {
		return 0;
	}
	for (at += sizeof(key) - 1; *at == ' ' || *at == '\t'; at++) {
	}
	for (; *at >= '0' && *at <= '9'; at++) {
		tracer = tracer * 10 + (*at - '0');
	}
	return tracer;
}

static bool is_our_thread(pid_t tid)
{
	struct log_line path;

	if (tid == getpid()) {
		return true;
	}
	log_clear(&path);
	log_str(&path, "/proc/self/task/");
	log_int(&path, tid);
	return access(log_text(&path), F_OK) == 0;
}

bool ptrace_claims(pid_t pid)
{
	pid_t tracer;
	int saved_errno = errno;

	if (!ptrace_used() || pid <= 0) {
		return false;
	}
	tracer = tracer_of(pid);
	if (tracer == 0 || !is_our_thread(tracer)) {
		errno = saved_errno;
		return false;
	}
	registry_adopt_tracee(pid);
	errno = saved_errno;
	return true;
}

static void claim_child(pid_t pid, void *ctx)
{
	bool *found = ctx;

	if (!registry_is_own(pid) && ptrace_claims(pid)) {
		*found = true;
	}
}

/* A tracee the registry does not know was attached by the kernel and has not shown itself yet.
 * Its real parent is then a tracee (listed: the registry is not empty), or it died and the tracee
 * came to this process: it is among the program's children. */
bool ptrace_unclaimed_tracees(void)
{
	bool found = false;

	if (ptrace_used()) {
		children_foreach(claim_child, &found);
	}
	return found;
}

static void before(long request)
{
	if (request != PTRACE_TRACEME && reap_active()) {
		__atomic_store_n(&traces, 1, __ATOMIC_RELAXED);
	}
}

static void after(long request, pid_t pid, long rc)
{
	if (rc == -1 || !reap_active()) {
		return;
	}
	switch (request) {
	case PTRACE_ATTACH:
	case PTRACE_SEIZE:
		registry_adopt_tracee(pid);
		break;
	case PTRACE_DETACH:
		registry_forget_tracee(pid);
		break;
	default:
		break;
	}
}

long ptrace_raw(const long args[6])
{
	long rc;

	before(args[0]);
	rc = LIBC(syscall)(SYS_ptrace, args[0], args[1], args[2], args[3]);
	after(args[0], (pid_t)args[1], rc);
	return rc;
}

/* glibc declares the request an enum, musl an int; both read pid, addr and data after it. */
#if defined(__GLIBC__)
REAP_EXPORT long ptrace(enum __ptrace_request request, ...)
#else
REAP_EXPORT long ptrace(int request, ...)
#endif
{
	va_list ap;
	pid_t pid;
	void *addr, *data;
	long rc;

	va_start(ap, request);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	before(request);
	rc = LIBC(ptrace)(request, pid, addr, data);
	after(request, pid, rc);
	return rc;
}
