#!/bin/sh
# Install from Debian's packages what the tests need, and only what is missing.
# Idempotent; non-interactive; runs as root (or through sudo) on a fresh Debian 12 machine.
# Add a package by adding it to the list below. tests/apt-install.sh installs them, waiting for the
# package manager while another install or an automatic update holds it.
set -eu

PACKAGES="
build-essential
libcriterion-dev
util-linux
procps
coreutils
python3
valgrind
golang-go
strace
"

# The toolchains of the other targets (musl, arm64; see the Makefile) and qemu for running the arm64
# builds.
PACKAGES="$PACKAGES musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"

# The musl tier's /bin/sh (tests/test_musl.c): a static busybox loads no preload, where Debian's
# glibc shell could not load the musl build of the library. (It takes the place of the dynamically
# linked busybox package where that is installed.)
PACKAGES="$PACKAGES busybox-static"

# shellcheck disable=SC2086 # the list is meant to split
exec "$(dirname "$0")/apt-install.sh" $PACKAGES
