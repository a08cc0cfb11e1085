#!/bin/sh
# The wrapper inits `make bench` compares reap.so with, from Debian's packages; installed only when
# missing, waiting for the package manager while another install holds it (tests/apt-install.sh).
set -eu
exec "$(dirname "$0")/../apt-install.sh" tini dumb-init catatonit
