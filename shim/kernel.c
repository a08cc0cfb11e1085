/* kernel.c: owns the system calls the shim makes itself instead of through a libc function that
 * some of its targets lack (kernel.h). */
#include "kernel.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"

int kernel_queue_to_this_thread(int sig, union sigval value)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value = value;
	return (int)LIBC(syscall)(SYS_rt_tgsigqueueinfo, getpid(), LIBC(syscall)(SYS_gettid), sig, &info);
}
