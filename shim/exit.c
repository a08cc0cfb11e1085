/* exit.c: owns every way PID 1 ends by itself, caught where it begins, while the program is still
 * whole (its threads run on intact state, its exit handlers and destructors have not run, its
 * output can still be flushed): exit, a return from main, quick_exit, _exit, _Exit, and err,
 * errx, verr, verrx, which exit from inside libc; syscall(SYS_exit_group) and the last thread's
 * syscall(SYS_exit) are caught in spawn.c.
 * What the end of PID 1 gives the rest of the namespace is terminate.c's.
 *
 * Both libcs' start code calls exit without the PLT when main returns, so no exit wrapper would
 * see it: __libc_start_main is wrapped to run main inside a function that calls the shim's exit
 * with main's result. Other exits made inside libc (the last thread's pthread_exit; glibc's error
 * and argp) reach an exit handler registered just before main, which runs after the exit handlers
 * the program registered in main but before the static destructors and the libraries' destructors.
 *
 * REAP_EXIT_ZERO: glibc hands exit's status to the program's on_exit handlers, so there it is
 * changed only by a handler registered before all others, which runs last. musl has no on_exit
 * (nothing in the process sees the status), and changes it where exit begins; its only exits
 * that no wrapper sees have status 0 (the last thread's pthread_exit, daemon's parent). */
#include "exit.h"

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "active.h"
#include "exports.h"
#include "real.h"
#include "start.h"
#include "terminate.h"

/* glibc's atexit names the object that registers a handler by __dso_handle, which the C runtime's
 * start files define; the library links without them (Makefile), and any value unique to it will
 * do. */
void *__dso_handle __attribute__((visibility("hidden"))) = &__dso_handle;

static main_fn *program_main START_STATE;
static char **program_argv START_STATE;

static void __attribute__((noreturn)) end_then_exit(int status)
{
	terminate_before_exit();
#if defined(__GLIBC__)
	LIBC(exit)(status);
#else
	LIBC(exit)(terminate_final_status(status));
#endif
}

/* An exit the shim's wrappers did not see. */
static void end_late(void)
{
	terminate_before_exit();
}

#if defined(__GLIBC__)
/* Registered before any other exit handler, so it runs last of all: REAP_EXIT_ZERO. */
static void apply_exit_zero(int status, void *arg)
{
	int code = terminate_final_status(status);

	(void)arg;
	if ((code & 0xff) != (status & 0xff)) {
		fflush(NULL); /* what exit would do next */
		LIBC(_exit)(code);
	}
}
#endif

static int __attribute__((noreturn)) main_then_exit(int argc, char **argv, char **envp)
{
	if (reap_is_init()) {
		atexit(end_late);
	}
	end_then_exit(program_main(argc, argv, envp));
}

#if defined(__GLIBC__)
/* Out of line: the start's section holds what an image the shim never acted in runs (start.h). */
static __attribute__((noinline)) bool acting_as_init(void)
{
	return reap_is_init();
}
#endif

/* Whether main must run inside main_then_exit. glibc has run the constructors before the program's
 * start code, so the shim knows already whether it acts as PID 1; musl runs them inside
 * __libc_start_main, after this wrapper, so main always runs inside main_then_exit, which asks
 * again (in any other process it is exactly musl's own exit(main(...))). */
static bool main_needs_wrapping(void)
{
#if defined(__GLIBC__)
	return !reap_never_acted() && acting_as_init();
#else
	return true;
#endif
}

START_PATH REAP_EXPORT int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void), void (*fini)(void),
				  void (*rtld_fini)(void), void *stack_end)
{
	__typeof__(real_libc.__libc_start_main) libc_start_main = LIBC_AT_START(__libc_start_main);

	program_argv = argv;
	if (main_needs_wrapping()) {
		program_main = main;
		main = main_then_exit;
	}
	return libc_start_main(main, argc, argv, init, fini, rtld_fini, stack_end);
}

START_PATH char **exit_program_argv(void)
{
	return program_argv;
}

/* In the start's section (start.h): most programs end where the shim never acted. */
START_PATH REAP_EXPORT void exit(int status)
{
	if (reap_never_acted()) {
		LIBC_AT_START(exit)(status);
	}
	end_then_exit(status);
}

REAP_EXPORT void quick_exit(int status)
{
	LIBC(quick_exit)(terminate_at_exit(status));
}

/* Their names are read once, at the first call, and most programs make it where the shim never
 * acted: they are kept with the start's (start.h). */
FORK_CHILD_PATH REAP_EXPORT void _exit(int status)
{
	LIBC_AT_START(_exit)(terminate_at_exit(status));
}

FORK_CHILD_PATH REAP_EXPORT void _Exit(int status)
{
	LIBC_AT_START(_Exit)(terminate_at_exit(status));
}

/* glibc's verr and verrx are vwarn and vwarnx followed by its internal exit. */
REAP_EXPORT void verr(int status, const char *format, va_list ap)
{
	if (!reap_is_init()) {
		LIBC(verr)(status, format, ap);
	}
	LIBC(vwarn)(format, ap);
	end_then_exit(status);
}

REAP_EXPORT void verrx(int status, const char *format, va_list ap)
{
	if (!reap_is_init()) {
		LIBC(verrx)(status, format, ap);
	}
	LIBC(vwarnx)(format, ap);
	end_then_exit(status);
}

REAP_EXPORT void err(int status, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	verr(status, format, ap);
}

REAP_EXPORT void errx(int status, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	verrx(status, format, ap);
}

void exit_init(void)
{
#if defined(__GLIBC__)
	on_exit(apply_exit_zero, NULL);
#endif
}
