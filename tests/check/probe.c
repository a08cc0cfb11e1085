/* The program the --check tests judge (tests/test_describe.c), built at test time with each
 * compiler a case needs (glibc dynamic and static, musl, another machine). It prints "preloaded" if
 * a reap.so is mapped into it and "not preloaded" if not, so that a test can hold each verdict of
 * `reap.so --check` against what the loader really did. */
#include <stdio.h>
#include <string.h>

int main(void)
{
	char line[4096];
	FILE *maps = fopen("/proc/self/maps", "r");
	int found = 0;

	while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
		if (strstr(line, "/reap.so") != NULL) {
			found = 1;
		}
	}
	puts(found ? "preloaded" : "not preloaded");
	return 0;
}
