#!/bin/sh
# apt-install.sh PACKAGE...: installs those of the Debian packages named that are missing, and
# waits for the package manager instead of failing while another install or an automatic update
# holds it. tests/install-deps.sh, tests/bench/install-deps.sh and the demo install through it.
#
# apt-get waits for dpkg's own locks when told to (-o DPkg::Lock::Timeout), but not for the lock of
# the package lists (/var/lib/apt/lists/lock, held by any `apt-get update`) nor for that of the
# download cache (/var/cache/apt/archives/lock, held by a download-only run such as the automatic
# updates' first step): there it fails at once. Those failures are retried here until the deadline,
# other failures are not. Two runs of this script take turns (flock), so that the second finds the
# packages installed by the first and does nothing.
#   APT_WAIT=S          seconds to wait for locks in all, from the start (default 900)
#   APT_INSTALL_LOCK=F  the file the runs take turns on (default /run/lock/reap-apt-install.lock)
# The package lists are refreshed (apt-get update) only when an install fails, and the install is
# then tried once more: a machine whose lists are fresh installs without refreshing them. Needs root
# or sudo.
set -eu

wait_total=${APT_WAIT:-900}
deadline=$(($(date +%s) + wait_total))
say() { echo "apt-install: $*" >&2; }

missing() {
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
			printf ' %s' "$pkg"
		fi
	done
}

if [ -z "$(missing "$@")" ]; then
	exit 0
fi

lock_file=${APT_INSTALL_LOCK:-/run/lock/reap-apt-install.lock}
if [ ! -d "$(dirname "$lock_file")" ]; then
	lock_file=/tmp/reap-apt-install.lock
fi
# flock needs no write access: a lock file another user created serves too.
[ -e "$lock_file" ] || : >>"$lock_file"
exec 9<"$lock_file"
if ! flock -n 9; then
	say "another run is installing; waiting for it (at most ${wait_total}s)"
	flock -w "$wait_total" 9 || { say "gave up after ${wait_total}s: $lock_file stayed locked"; exit 1; }
fi
todo=$(missing "$@")
if [ -z "$todo" ]; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# apt-get "$@" with dpkg's locks awaited by apt itself and the other locks by a bounded poll.
# Returns 1 when apt-get failed for another reason than a lock, 2 when the deadline passed.
apt_get() {
	while :; do
		left=$((deadline - $(date +%s)))
		[ "$left" -gt 0 ] || left=1
		# shellcheck disable=SC2086 # $SUDO is empty or one word
		if $SUDO apt-get -o DPkg::Lock::Timeout="$left" -o Acquire::Retries=3 "$@" </dev/null 2>"$errors"; then
			cat "$errors" >&2
			return 0
		fi
		cat "$errors" >&2
		if ! grep -q -e 'Could not get lock' -e 'Unable to lock' -e 'Unable to acquire the dpkg' "$errors"; then
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			say "gave up after ${wait_total}s: the package manager stayed locked (see above)"
			return 2
		fi
		say "the package manager is busy; trying again in 5 s"
		sleep 5
	done
}

say "installing:$todo"
# shellcheck disable=SC2086 # the list is meant to split
if apt_get install -y --no-install-recommends $todo; then
	exit 0
elif [ $? -eq 2 ]; then
	exit 1
fi
say "refreshing the package lists (apt-get update) and trying once more"
apt_get update
# shellcheck disable=SC2086
apt_get install -y --no-install-recommends $todo
