/* ipcwaits.h: waits on IPC objects and asynchronous I/O that the kernel never restarts after a
 * signal handler (ipcwaits.c). */
#ifndef REAP_IPCWAITS_H
#define REAP_IPCWAITS_H

#include <stdbool.h>

/* Whether syscall(nr, ...) is a wait of this kind (io_uring_enter, io_getevents, io_pgetevents:
 * libc has no wrapper for them, so programs and libaio reach them through syscall()). */
bool ipcwaits_is_raw_wait(long nr);
/* Makes that call under the rule of sleeps.h; returns as syscall() does. */
long ipcwaits_raw_wait(long nr, const long args[6]);

#endif
