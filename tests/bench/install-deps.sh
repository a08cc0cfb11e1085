#!/bin/sh
# What `make bench` needs from the machine: the wrapper inits it compares reap.so with, from Debian's
# packages, installed only when missing, waiting for the package manager while another install
# holds it (tests/apt-install.sh); and tracefs, whose tracepoints measurement 3b counts with (a
# fresh machine may not have it mounted; without it that measurement says so and is skipped).
set -eu
if [ ! -e /sys/kernel/tracing/events ] && [ ! -e /sys/kernel/debug/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || echo "bench: cannot mount tracefs; no attribution" >&2
fi
exec "$(dirname "$0")/../apt-install.sh" tini dumb-init catatonit
