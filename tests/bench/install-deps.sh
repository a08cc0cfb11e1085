#!/bin/sh
# The wrapper inits `make bench` compares reap.so with, from Debian's packages; installed only
# when missing (other jobs may hold the dpkg lock: wait for it).
set -eu
missing=
for p in tini dumb-init catatonit; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bench: installing$missing" >&2
apt-get -o DPkg::Lock::Timeout=600 install -y $missing >/dev/null 2>&1 ||
	{ apt-get -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 &&
	  apt-get -o DPkg::Lock::Timeout=600 install -y $missing; }
