#!/bin/sh
# Entry point of `make demo`: needs root, makes sure Debian's python3 is there, runs the driver.
# Everything else (the servers, tini, dumb-init, catatonit, podman) the driver installs itself.
if [ "$(id -u)" != 0 ]; then
	cat >&2 <<'MSG'
reap demo: needs root. It creates PID and mount namespaces (unshare --pid --mount-proc needs
CAP_SYS_ADMIN), signals the servers inside them from outside, and installs the servers from
Debian's packages with apt-get. Run it as root, e.g.: sudo make demo
MSG
	exit 2
fi
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/python3 ]; then
	echo "installing python3 from Debian's packages"
	"$here/../tests/apt-install.sh" python3
fi
# Debian's python3 explicitly: a pyenv or venv python3 earlier on PATH lacks Debian's servers.
exec /usr/bin/python3 "$here/reapdemo.py" "$@"
