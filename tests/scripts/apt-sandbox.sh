#!/bin/sh
# apt-sandbox.sh DIR: a package manager of its own in DIR, for the tests of tests/apt-install.sh
# (tests/test_install.c): the real apt-get and dpkg, with their state, locks, cache and install root
# in DIR, reading one local repository that holds one small package, reap-lock-probe. Nothing of
# the machine's own package state is read or touched, and nothing goes to the network. Prints the
# environment that selects it, one NAME=value a line:
#   APT_CONFIG=DIR/apt.conf      read by apt-get instead of the machine's configuration
#   DPKG_ADMINDIR=DIR/dpkg       read by dpkg-query (apt-install.sh's "is it installed?")
# The locks a test may hold: DIR/state/lists/lock (apt-get update), DIR/dpkg/lock-frontend (every
# install), DIR/cache/archives/lock (downloads).
set -eu
dir=$1
mkdir -p "$dir/pkg/DEBIAN" "$dir/pkg/usr/share/reap-lock-probe" "$dir/repo" "$dir/state/lists/partial" \
	"$dir/cache/archives/partial" "$dir/dpkg/info" "$dir/dpkg/updates" "$dir/dpkg/triggers" "$dir/root" \
	"$dir/etc/parts" "$dir/etc/sources.list.d" "$dir/etc/preferences.d" "$dir/log"
: >"$dir/dpkg/status"
: >"$dir/dpkg/available"

cat >"$dir/pkg/DEBIAN/control" <<EOF
Package: reap-lock-probe
Version: 1.0
Architecture: all
Maintainer: reap tests <root@localhost>
Description: installed by the tests of tests/apt-install.sh into a sandbox
EOF
echo ok >"$dir/pkg/usr/share/reap-lock-probe/ok"
dpkg-deb --root-owner-group --build "$dir/pkg" "$dir/repo/reap-lock-probe_1.0_all.deb" >/dev/null
(cd "$dir/repo" && dpkg-scanpackages . /dev/null 2>/dev/null >Packages)

echo "deb [trusted=yes] file:$dir/repo ./" >"$dir/etc/sources.list"
cat >"$dir/apt.conf" <<EOF
Dir::Etc::parts "$dir/etc/parts";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "$dir/etc/sources.list";
Dir::Etc::sourceparts "$dir/etc/sources.list.d";
Dir::Etc::preferencesparts "$dir/etc/preferences.d";
Dir::State "$dir/state";
Dir::State::status "$dir/dpkg/status";
Dir::Cache "$dir/cache";
Dir::Log "$dir/log";
APT::Sandbox::User "root";
Acquire::Languages "none";
DPkg::Options { "--root=$dir/root"; "--admindir=$dir/dpkg"; "--log=$dir/log/dpkg.log"; "--force-script-chrootless"; };
EOF
echo "APT_CONFIG=$dir/apt.conf"
echo "DPKG_ADMINDIR=$dir/dpkg"
