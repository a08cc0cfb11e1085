/* inert_pages: how many pages of one shared object (argv[1]) this process has mapped, counted by
 * the kernel (/proc/self/smaps), executable and other, in pages, and in how many mappings. Run as
 * a plain process with the shim preloaded (inert): with nothing of the shim's called, what every
 * program of the container pays for the shim's start alone; with "calls", after what nearly every
 * program does as it starts (sigaction, signal) and a shell does (waitpid). Reads with open and
 * read, which the shim does not wrap. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char smaps[1 << 20];

int main(int argc, char **argv)
{
	char object[PATH_MAX], perms[8], path[PATH_MAX];
	long page_kb = sysconf(_SC_PAGESIZE) / 1024, code_kb = 0, other_kb = 0, mappings = 0;
	bool mine = false, executable = false;
	size_t used = 0;
	ssize_t n;
	int fd = open("/proc/self/smaps", O_RDONLY);

	if (argc < 2 || argc > 3 || realpath(argv[1], object) == NULL || fd < 0) {
		printf("FAIL inert_pages: usage: inert_pages OBJECT [calls] (an existing file), and /proc mounted\n");
		return 1;
	}
	if (argc == 3) {
		struct sigaction act = {.sa_handler = SIG_IGN};

		sigaction(SIGUSR1, &act, NULL);
		signal(SIGUSR2, SIG_IGN);
		waitpid(-1, NULL, WNOHANG);
	}
	while ((n = read(fd, smaps + used, sizeof(smaps) - 1 - used)) > 0) {
		used += (size_t)n;
	}
	smaps[used] = '\0';
	for (char *line = strtok(smaps, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		long kb;

		if (sscanf(line, "%*x-%*x %7s %*x %*s %*u %4095s", perms, path) == 2) {
			mine = strcmp(path, object) == 0;
			executable = strchr(perms, 'x') != NULL;
			mappings += mine;
		} else if (sscanf(line, "%*x-%*x %7s", perms) == 1) {
			mine = false;
		} else if (mine && sscanf(line, "Rss: %ld kB", &kb) == 1) {
			*(executable ? &code_kb : &other_kb) += kb;
		}
	}
	printf("RESIDENT code=%ld other=%ld mappings=%ld\n", code_kb / page_kb, other_kb / page_kb, mappings);
	return 0;
}
