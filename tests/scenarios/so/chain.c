/* libscn_chain.so, preloaded after reap.so by tests/test_binding.c: another interposer of fork, as
 * a tracing or sandboxing library would be. It says it was called and hands over to the next fork
 * in the chain, so the run shows whether the shim's own fork reached it (the shim must continue
 * the chain, as dlsym(RTLD_NEXT) would) or went past it to libc. */
#include <dlfcn.h>
#include <unistd.h>

pid_t fork(void)
{
	static const char line[] = "CHAIN fork\n";
	pid_t (*next)(void) = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");

	if (write(STDOUT_FILENO, line, sizeof line - 1) < 0 || next == NULL) {
		_exit(2);
	}
	return next();
}
