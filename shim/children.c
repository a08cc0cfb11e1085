/* children.c: owns the reading of the kernel's child lists from /proc (see children.h). A list
 * can miss a child created or re-parented while it is read; callers sweep again on the next
 * SIGCHLD, so a miss only delays.
 *
 * The kernel starts every read() of such a list by walking it from its head to the file position,
 * counted in children: a child reaped between two reads would shift the rest, and the next read
 * would skip one. So a list is read whole before any child in it is visited (whose visit may reap
 * it), in as few calls as possible: into a large static buffer, or, while another scan (another
 * thread, or a handler nested in this one) holds that, or when the list outgrows it, into memory
 * from mmap (a signal handler may be reading). */
#include "children.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel.h"
#include "real.h"

#define LARGE_BUFFER 65536

static char large[LARGE_BUFFER];
static int large_taken;

struct text {
	char *buf;
	size_t size, len;
	bool mapped;
};

static bool take_large(struct text *t)
{
	if (__atomic_exchange_n(&large_taken, 1, __ATOMIC_ACQUIRE)) {
		return false;
	}
	*t = (struct text){.buf = large, .size = sizeof(large)};
	return true;
}

/* Four times the room, the text kept; false when memory is short. */
static bool grow(struct text *t)
{
	size_t size = t->size != 0 ? t->size * 4 : LARGE_BUFFER;
	char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED) {
		return false;
	}
	if (t->len != 0) {
		memcpy(buf, t->buf, t->len);
	}
	if (t->mapped) {
		munmap(t->buf, t->size);
	} else if (t->buf == large) {
		__atomic_store_n(&large_taken, 0, __ATOMIC_RELEASE);
	}
	*t = (struct text){.buf = buf, .size = size, .len = t->len, .mapped = true};
	return true;
}

static void release(struct text *t)
{
	if (t->mapped) {
		munmap(t->buf, t->size);
	} else if (t->buf == large) {
		__atomic_store_n(&large_taken, 0, __ATOMIC_RELEASE);
	}
}

/* The whole file into t; what could be read if memory ran short. */
static void read_whole(int fd, struct text *t)
{
	for (;;) {
		ssize_t n;

		if (t->len == t->size && !grow(t)) {
			return;
		}
		n = read(fd, t->buf + t->len, t->size - t->len);
		if (n <= 0) {
			return;
		}
		t->len += (size_t)n;
	}
}

static void read_task_children(const char *tid, void (*visit)(pid_t, void *), void *ctx)
{
	char path[64] = "/proc/self/task/";
	size_t len = sizeof("/proc/self/task/") - 1;
	const char *tail = "/children";
	struct text text = {0};
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
	if (!take_large(&text) && !grow(&text)) {
		close(fd);
		return;
	}
	read_whole(fd, &text);
	close(fd);
	for (size_t i = 0; i <= text.len; i++) {
		if (i < text.len && text.buf[i] >= '0' && text.buf[i] <= '9') {
			pid = pid * 10 + (text.buf[i] - '0');
			in_number = true;
		} else if (in_number) {
			visit(pid, ctx);
			pid = 0;
			in_number = false;
		}
	}
	release(&text);
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
