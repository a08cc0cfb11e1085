/* exit.c: owns every way PID 1 ends by itself, caught where it begins, while the program is still
 * whole (its threads run on intact state, its exit handlers and destructors have not run, its
 * output can still be flushed): exit, a return from main, quick_exit, _exit, _Exit, and err,
 * errx, verr, verrx, which exit from inside libc; syscall(SYS_exit_group) and the last thread's
 * syscall(SYS_exit) are caught in spawn.c.
 * What the end of PID 1 gives the rest of the namespace is terminate.c's.
 *
 * glibc's start code calls exit without the PLT when main returns, so no exit wrapper would see
 * it: __libc_start_main is wrapped to run main inside a function that calls the shim's exit with
 * main's result. Other exits made inside libc (the last thread's pthread_exit, error, argp) reach
 * an on_exit handler registered just before main, which runs after the exit handlers the program
 * registered in main but before the static destructors and the libraries' destructors. */
#include "exit.h"

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "active.h"
#include "exports.h"
#include "real.h"
#include "terminate.h"

static main_fn *program_main;

static void __attribute__((noreturn)) end_then_exit(int status)
{
	terminate_before_exit();
	LIBC(exit)(status);
}

/* An exit the shim's wrappers did not see. */
static void end_late(int status, void *arg)
{
	(void)status;
	(void)arg;
	terminate_before_exit();
}

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

static int __attribute__((noreturn)) main_then_exit(int argc, char **argv, char **envp)
{
	on_exit(end_late, NULL);
	end_then_exit(program_main(argc, argv, envp));
}

REAP_EXPORT int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void), void (*fini)(void),
				  void (*rtld_fini)(void), void *stack_end)
{
	if (reap_is_init()) {
		program_main = main;
		main = main_then_exit;
	}
	return LIBC(__libc_start_main)(main, argc, argv, init, fini, rtld_fini, stack_end);
}

REAP_EXPORT void exit(int status)
{
	end_then_exit(status);
}

REAP_EXPORT void quick_exit(int status)
{
	LIBC(quick_exit)(terminate_at_exit(status));
}

REAP_EXPORT void _exit(int status)
{
	LIBC(_exit)(terminate_at_exit(status));
}

REAP_EXPORT void _Exit(int status)
{
	LIBC(_Exit)(terminate_at_exit(status));
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
	on_exit(apply_exit_zero, NULL);
}
