/* The entry points whose meaning is the C library's own (scenario core_entries): signal and its
 * relatives, sigpause and sigwait, select's timeout, popen's modes and fclose of a popen stream
 * behave under the shim exactly as glibc makes them, as PID 1 under a storm and loaded but inert.
 * The musl tier (test_musl.c) runs the same scenario built for musl.
 * Run one: build/tests/test_core_entries --filter 'entries/popen' */
#include <criterion/criterion.h>

#include "modes.h"

TestSuite(entries, .timeout = 900);

#define ENTRIES(variant)                                                                              \
	Test(entries, variant) { expect_like_libc("core_entries", ARGS(#variant)); }                  \
	Test(entries, variant##_inert) { expect_inert("core_entries", ARGS(#variant)); }

ENTRIES(signal)
ENTRIES(sigwaits)
ENTRIES(select)
ENTRIES(popen)
