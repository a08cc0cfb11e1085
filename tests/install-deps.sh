#!/bin/sh
# Install from Debian's packages what the tests need, and only what is missing.
# Idempotent; non-interactive; runs as root (or through sudo) on a fresh Debian 12 machine.
# Add a package by adding it to the list below.
set -eu

PACKAGES="
build-essential
libcriterion-dev
util-linux
procps
coreutils
python3
valgrind
strace
"

missing=""
for pkg in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
APT="$SUDO apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"

# Other installs may hold apt's locks for a while: retry the update a bounded number of times.
tries=0
until $APT update </dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -ge 10 ]; then
		echo "install-deps: apt-get update failed $tries times" >&2
		exit 1
	fi
	sleep 15
done
# shellcheck disable=SC2086 # the list is meant to split
$APT install -y --no-install-recommends $missing </dev/null
