/* idle: a handler-less program that has no children. It says READY and pauses forever; whatever
 * ends it is the business of PID 1 (itself under reap.so, or the wrapper). */
#include <unistd.h>

int main(void)
{
	static const char ready[] = "READY\n";

	if (write(1, ready, sizeof ready - 1) < 0) {
		return 1;
	}
	for (;;) {
		pause();
	}
}
