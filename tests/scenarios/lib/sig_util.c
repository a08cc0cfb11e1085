/* Helpers shared by the sig_* scenarios; see sig_util.h. */
#include "sig_util.h"
#include "write_all.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t probes;

void sig_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	write_all(STDOUT_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	errno = saved;
}

void sig_die(const char *what)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "scenario broken: %s: %s\n", what, strerror(errno));
	if (n > 0) {
		write_all(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	}
	_exit(SIG_EXIT_BROKEN);
}

/* May run in a signal handler. */
static size_t put_long(char *buf, size_t len, size_t size, long n)
{
	char digits[24];
	size_t nd = 0;
	unsigned long u = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;

	if (n < 0 && len < size) {
		buf[len++] = '-';
	}
	do {
		digits[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (nd > 0 && len < size) {
		buf[len++] = digits[--nd];
	}
	return len;
}

/* May run in a signal handler. */
void sig_write_fmt(int fd, const char *fmt, ...)
{
	char buf[256];
	size_t len = 0;
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	for (const char *f = fmt; *f != '\0' && len < sizeof buf; f++) {
		if (f[0] == '%' && f[1] == 'd') {
			len = put_long(buf, len, sizeof buf, va_arg(ap, int));
			f++;
		} else if (f[0] == '%' && f[1] == 'l' && f[2] == 'd') {
			len = put_long(buf, len, sizeof buf, va_arg(ap, long));
			f += 2;
		} else if (f[0] == '%' && f[1] == 's') {
			for (const char *s = va_arg(ap, const char *); *s != '\0' && len < sizeof buf; s++) {
				buf[len++] = *s;
			}
			f++;
		} else {
			buf[len++] = *f;
		}
	}
	va_end(ap);
	write_all(fd, buf, len);
	errno = saved;
}

double sig_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sig_handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0) {
		sig_die("sigaction");
	}
}

void sig_handle_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0) {
		sig_die("sigaction");
	}
}

void sig_set_disp(int sig, void (*disp)(int))
{
	sig_handle(sig, disp, 0);
}

static void on_probe(int sig)
{
	(void)sig;
	probes++;
	sig_write_fmt(STDOUT_FILENO, "PROBE %d\n", (int)probes);
}

void sig_install_probe(void)
{
	sig_handle(SIG_PROBE, on_probe, SA_RESTART);
}

int sig_probes(void)
{
	return probes;
}

static struct timespec remaining(double deadline)
{
	double left = deadline - sig_now();
	struct timespec ts = { 0, 0 };
	if (left > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	}
	return ts;
}

bool sig_wait_flag(volatile sig_atomic_t *flag, int target, const int *sigs, double seconds)
{
	double deadline = sig_now() + seconds;
	sigset_t block;
	sigset_t old;
	bool reached;

	sigemptyset(&block);
	for (const int *s = sigs; *s != 0; s++) {
		sigaddset(&block, *s);
	}
	if (sigprocmask(SIG_BLOCK, &block, &old) != 0) {
		sig_die("sigprocmask");
	}
	for (;;) {
		reached = *flag >= target;
		if (reached || sig_now() >= deadline) {
			break;
		}
		struct timespec ts = remaining(deadline);
		ppoll(NULL, 0, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return reached;
}

bool sig_wait_probes(int n, double seconds)
{
	int probe_sigs[2] = { SIG_PROBE, 0 };
	return sig_wait_flag(&probes, n, probe_sigs, seconds);
}

void sig_idle(double seconds)
{
	double deadline = sig_now() + seconds;
	while (sig_now() < deadline) {
		struct timespec ts = remaining(deadline);
		ppoll(NULL, 0, &ts, NULL);
	}
}

bool sig_wait_readable(int fd, double seconds)
{
	double deadline = sig_now() + seconds;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - sig_now();
		if (left <= 0) {
			return false;
		}
		int r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR) {
			return false;
		}
		if (r > 0) {
			return true;
		}
	}
}

int sig_read_byte(int fd, double seconds)
{
	double deadline = sig_now() + seconds;
	for (;;) {
		double left = deadline - sig_now();
		if (!sig_wait_readable(fd, left)) {
			return -1;
		}
		unsigned char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 1) {
			return c;
		}
		if (n == 0 || errno != EINTR) {
			return -1;
		}
	}
}

pid_t sig_fork_reporting(int *fd)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		sig_die("pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		sig_die("fork");
	}
	close(fds[pid == 0 ? 0 : 1]);
	*fd = fds[pid == 0 ? 1 : 0];
	return pid;
}

void sig_await_step(int fd, char step, const char *what)
{
	if (sig_read_byte(fd, 10) != step) {
		sig_say("scenario broken: %s\n", what);
		exit(SIG_EXIT_BROKEN);
	}
}

unsigned long long sig_status_mask(pid_t pid, const char *field)
{
	char path[64];
	char line[256];
	size_t flen = strlen(field);
	unsigned long long mask = 0;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		sig_die(path);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			mask = strtoull(line + flen + 1, NULL, 16);
			break;
		}
	}
	fclose(f);
	return mask;
}

/* May run in a signal handler. */
bool sig_write_mark(const char *path, const char *text)
{
	int saved = errno;
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = false;

	if (fd >= 0) {
		ok = write(fd, text, len) == (ssize_t)len;
		close(fd);
	}
	errno = saved;
	return ok;
}
