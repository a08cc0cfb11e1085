/* Writing a whole buffer to a file descriptor: what both scenario families (scn.c's report lines and
 * watchdog, sig_util.c's output) use so that a line is never cut by a short write or EINTR. */
#ifndef REAP_TESTS_WRITE_ALL_H
#define REAP_TESTS_WRITE_ALL_H

#include <stddef.h>

/* write(2) until all len bytes of buf are written, retrying on EINTR; gives up silently on any other
 * error or a write of 0 bytes. Async-signal-safe. */
void write_all(int fd, const char *buf, size_t len);

#endif
