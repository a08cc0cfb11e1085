/* scan.h: reading every child from /proc to find what waitid(P_ALL, WNOWAIT) cannot show behind an
 * own zombie, and paying for it (scan.c). Every function here is async-signal-safe. */
#ifndef REAP_SCAN_H
#define REAP_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Each SIGCHLD handled and each wrapped wait earns credit towards the next scan. */
void scan_earn(void);
/* Scans if the credit covers it (or the owed-scan timer fired); whether it did. Reaps the foreign
 * zombies it finds, and adds to reports (up to max, from *n on) the own exits the program's
 * handler has not heard of. */
bool scan_if_paid(siginfo_t *reports, size_t max, size_t *n);
/* From the SIGCHLD handler: a scan is owed and not paid for; should no event follow, a timer
 * makes one. */
void scan_owed(void);
/* Whether info is the owed-scan timer's SIGCHLD (then the scan it brings is paid for by time). */
bool scan_timer_fired(const siginfo_t *info);

#endif
