/* children.c: owns the reading of the kernel's child lists from /proc (see children.h). A list
 * can miss a child created or re-parented while it is read; callers sweep again on the next
 * SIGCHLD, so a miss only delays. */
#include "children.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel.h"
#include "real.h"

static void read_task_children(const char *tid, void (*visit)(pid_t, void *), void *ctx)
{
	char path[64] = "/proc/self/task/";
	size_t len = sizeof("/proc/self/task/") - 1;
	const char *tail = "/children";
	char buf[1024];
	pid_t pid = 0;
	bool in_number = false;
	int fd;

	while (*tid != '\0' && len < sizeof(path) - 16) {
		path[len++] = *tid++;
	}
	while (*tail != '\0') {
		path[len++] = *tail++;
	}
	path[len] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			break;
		}
		/* A number may straddle two reads, so the parse state outlives the buffer. */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				in_number = true;
			} else if (in_number) {
				visit(pid, ctx);
				pid = 0;
				in_number = false;
			}
		}
	}
	if (in_number) {
		visit(pid, ctx);
	}
	close(fd);
}

bool children_foreach(void (*visit)(pid_t, void *), void *ctx)
{
	char buf[512];
	long n;
	int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0) {
		return false;
	}
	while ((n = LIBC(syscall)(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (d->d_name[0] >= '0' && d->d_name[0] <= '9') {
				/* A thread may end between the listing and the read: not an error. */
				read_task_children(d->d_name, visit, ctx);
			}
			off += d->d_reclen;
		}
	}
	close(dir);
	return n == 0;
}
