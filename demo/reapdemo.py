#!/usr/bin/python3
"""`make demo`: the seed's experiment re-run on this machine, reap.so beside the wrapper inits.

The seed's WSGI application (per request: fork a child that forks a grandchild and exits without
waiting) runs under each of the seed's servers as PID 1 of a fresh PID namespace on 127.0.0.1, in
five columns: bare, reap.so (LD_PRELOAD and nothing else), tini, dumb-init, catatonit. For every
cell the demo measures, from outside the namespace:

  - zombies left after N requests, counted after a bounded settle window (long enough for the
    once-a-second reapers of uWSGI's master and Apache's parent);
  - whether every request got its answer;
  - how long SIGTERM sent from outside took to stop PID 1 (it is SIGKILLed after a stop timeout,
    like `docker stop`), and the exit code;
  - for servers with a master and workers (gunicorn, uWSGI --master, Apache): one worker is
    SIGKILLed from outside and the master must replace it.

Usage (as root; `make demo` is the usual way in):
    demo/reapdemo.py [--quick] [--runtime unshare|podman] [--out DIR] [--shim PATH] ...
    demo/reapdemo.py selftest      # checks the demo's own machinery (used by `make test`)

Every wait is bounded; every namespace and container is killed on the way out, also on Ctrl-C.
"""
import argparse
import csv
import ctypes
import http.client
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEMO = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO)
PY = "/usr/bin/python3"          # Debian's python3: the one whose packages hold the servers
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BODY = b"Hello World!"
SEED_NOTE = "the seed (shared/seed/, 2015): 'Issues with running as PID 1 in a Docker container'"


# ----------------------------------------------------------------------------------------------
# Small helpers

def now():
    return time.monotonic()


def say(text="", end="\n"):
    sys.stdout.write(text + end)
    sys.stdout.flush()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def clean_env(extra=None):
    """The environment every cell starts with: no preload or REAP_* leaking in from the caller."""
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("REAP_") and not k.startswith("PYENV")
           and not k.lower().endswith("_proxy")}
    env["PATH"] = SAFE_PATH
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_driver():
    """preexec_fn: the launched process gets SIGKILL if the driver dies, so nothing outlives us."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
    return r.returncode == 0 and r.stdout.decode() == "install ok installed"


def apt_install(pkgs):
    """Install the missing Debian packages through tests/apt-install.sh, which waits (bounded) for
    the package manager while another install or an automatic update holds it."""
    missing = [p for p in pkgs if not installed(p)]
    if not missing:
        return True
    say("installing from Debian's packages: " + " ".join(missing))
    cmd = [os.path.join(ROOT, "tests", "apt-install.sh")] + missing
    try:
        if subprocess.run(cmd, env=clean_env(), timeout=3600).returncode == 0:
            return True
    except subprocess.TimeoutExpired as e:
        say("error: %s did not finish in %.0f s" % (cmd[0], e.timeout))
    say("error: could not install: " + " ".join(missing))
    return False


# ----------------------------------------------------------------------------------------------
# The process table, read from the host's /proc

def proc_table():
    """{pid: (ppid, state, comm)} for every process on the host."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        lp, rp = data.find(b"("), data.rfind(b")")
        fields = data[rp + 2:].split()
        if lp < 0 or rp < 0 or len(fields) < 2:
            continue
        comm = data[lp + 1:rp].decode("utf-8", "replace")
        table[int(name)] = (int(fields[1]), fields[0].decode(), comm)
    return table


def descendants(root_pid, table=None):
    """[(pid, state, comm)] of every descendant of root_pid (not root_pid itself).

    Every process of a PID namespace descends from its PID 1 (orphans are re-parented to it or to a
    subreaper inside it), so the descendants of the namespace's init are exactly the namespace."""
    table = proc_table() if table is None else table
    kids = {}
    for pid, (ppid, _state, _comm) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], list(kids.get(root_pid, []))
    while todo:
        pid = todo.pop()
        out.append((pid, table[pid][1], table[pid][2]))
        todo.extend(kids.get(pid, []))
    return sorted(out)


def children(pid, table=None):
    table = proc_table() if table is None else table
    return sorted(p for p, (pp, _s, _c) in table.items() if pp == pid)


def count_ns(init_pid):
    """(zombies, live) among the processes of init_pid's namespace (init_pid excluded)."""
    procs = descendants(init_pid)
    zombies = sum(1 for _p, state, _c in procs if state == "Z")
    return zombies, len(procs) - zombies


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].split()[0].decode()


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


# ----------------------------------------------------------------------------------------------
# The servers (rows)

class Server:
    def __init__(self, key, label, seed, packages, argv, workers=0, worker_filter=None,
                 prepare=None, ready_timeout=30.0, note=""):
        self.key, self.label, self.seed, self.packages = key, label, seed, packages
        self.argv, self.workers, self.worker_filter = argv, workers, worker_filter
        self.prepare, self.ready_timeout, self.note = prepare, ready_timeout, note


def py_server(name):
    return lambda port, cell: [PY, os.path.join(DEMO, "servers.py"), name, str(port)]


def uwsgi_argv(master):
    def argv(port, cell):
        a = ["/usr/bin/uwsgi", "--plugin", "python3", "--http-socket", "127.0.0.1:%d" % port,
             "--chdir", DEMO, "--wsgi-file", "app.py", "--disable-logging", "--die-on-term"]
        return a + (["--master", "--processes", "2"] if master else [])
    return argv


def gunicorn_argv(port, cell):
    return ["/usr/bin/gunicorn", "--bind", "127.0.0.1:%d" % port, "--workers", "2",
            "--chdir", DEMO, "app:application"]


APACHE_CONF = """# Written by demo/reapdemo.py for one cell; nothing else reads it.
ServerRoot "/etc/apache2"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
DefaultRuntimeDir "{dir}"
PidFile "{dir}/apache2.pid"
Mutex file:{dir} default
ErrorLog "/dev/stderr"
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so
# Two worker processes, and a replacement as soon as one goes away.
StartServers 2
ServerLimit 4
ThreadsPerChild 4
MinSpareThreads 8
MaxSpareThreads 16
MaxRequestWorkers 16
WSGISocketPrefix "{dir}/wsgi"
WSGIDaemonProcess demo processes=1 threads=4 display-name=%{{GROUP}} home="{dir}"
WSGIProcessGroup demo
WSGIApplicationGroup %{{GLOBAL}}
WSGIScriptAlias / "{dir}/app.py"
<Directory "{dir}">
    Require all granted
</Directory>
"""


def apache_prepare(port, cell):
    # The daemon process runs as www-data: give it a copy of the app in a world-readable directory.
    shutil.copy(os.path.join(DEMO, "app.py"), os.path.join(cell.dir, "app.py"))
    with open(os.path.join(cell.dir, "apache2.conf"), "w") as f:
        f.write(APACHE_CONF.format(port=port, dir=cell.dir))


def apache_argv(port, cell):
    return ["/usr/sbin/apache2", "-f", os.path.join(cell.dir, "apache2.conf"), "-DFOREGROUND"]


def apache_worker(pid):
    return "wsgi:" not in cmdline(pid)   # the mod_wsgi daemon process is not an MPM worker


SERVERS = [
    Server("django", "django (runserver)", "FAIL", ["python3-django"], py_server("django"),
           note="runserver with its default autoreloader: PID 1 is the reloader, the server "
           "its child"),
    Server("flask", "flask (builtin)", "FAIL", ["python3-flask"], py_server("flask")),
    Server("gunicorn", "gunicorn", "PASS", ["gunicorn"], gunicorn_argv, workers=2),
    Server("apache", "Apache/mod_wsgi", "PASS", ["apache2", "libapache2-mod-wsgi-py3"], apache_argv,
           workers=2, worker_filter=apache_worker, prepare=apache_prepare,
           note="event MPM, mod_wsgi daemon mode"),
    Server("tornado-async", "tornado (async)", "FAIL", ["python3-tornado"],
           py_server("tornado-async")),
    Server("tornado-wsgi", "tornado (wsgi)", "FAIL", ["python3-tornado"],
           py_server("tornado-wsgi")),
    Server("uwsgi", "uWSGI", "FAIL", ["uwsgi", "uwsgi-plugin-python3"], uwsgi_argv(False),
           note="--die-on-term (uWSGI 2.0 otherwise reloads on SIGTERM); without a master, "
           "uWSGI's own exit status after SIGTERM is 30"),
    Server("uwsgi-master", "uWSGI (master)", "PASS", ["uwsgi", "uwsgi-plugin-python3"],
           uwsgi_argv(True), workers=2, note="--master --processes 2 --die-on-term"),
    Server("waitress", "waitress", "FAIL", ["python3-waitress"], py_server("waitress")),
    Server("wsgiref", "wsgiref", "FAIL", [], py_server("wsgiref")),
]

# Why a bare row may differ today from the seed's 2015 table (filled in from what the demo measured
# on Debian 12; printed only for rows that do differ).
SEED_DIFFERENCES = {}


# ----------------------------------------------------------------------------------------------
# The columns

class Column:
    def __init__(self, key, label, binary=None, package=None, prefix=(), preload=False,
                 podman_init=False):
        self.key, self.label, self.binary, self.package = key, label, binary, package
        self.prefix, self.preload, self.podman_init = list(prefix), preload, podman_init

    def available(self):
        return self.binary is None or os.access(self.binary, os.X_OK)


COLUMNS = [
    Column("bare", "bare"),
    Column("reap", "reap.so", preload=True),
    Column("tini", "tini", "/usr/bin/tini", "tini", ["/usr/bin/tini", "--"]),
    Column("dumb-init", "dumb-init", "/usr/bin/dumb-init", "dumb-init", ["/usr/bin/dumb-init"]),
    Column("catatonit", "catatonit", "/usr/bin/catatonit", "catatonit",
           ["/usr/bin/catatonit", "--"]),
]

# With podman, the catatonit column is `podman run --init` (podman's own catatonit).
PODMAN_COLUMNS = COLUMNS[:4] + [
    Column("podman-init", "podman --init", "/usr/libexec/podman/catatonit", "catatonit",
           podman_init=True),
]


# ----------------------------------------------------------------------------------------------
# Runtimes: how a cell's PID 1 is started, signalled, and cleaned up

LIVE = []   # every handle not yet cleaned up; main()'s finally kills whatever is left


class Cell:
    def __init__(self, base, server, column):
        self.dir = tempfile.mkdtemp(prefix="%s-%s-" % (server.key, column.key), dir=base)
        os.chmod(self.dir, 0o755)


class Handle:
    """What the runtimes' handles share: the driver's own child (self.popen, in a session of its
    own, its output to log), the host pid of the program's PID 1 (self.init_pid, None until found)
    and a place in LIVE until cleanup()."""

    def __init__(self, cmd, log, **popen_args):
        self.killed = False
        self.log = log
        self.popen = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=_die_with_driver, **popen_args)
        LIVE.append(self)
        self.init_pid = None

    def _find_init(self, timeout, pause, probe):
        """Poll probe() (a pid or None) every `pause` seconds while the run lives, for at most
        `timeout` seconds; the first pid it gives is PID 1's."""
        deadline = now() + timeout
        while now() < deadline and self.alive():
            pid = probe()
            if pid:
                self.init_pid = pid
                break
            time.sleep(pause)

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.init_pid and self.alive():
            try:
                os.kill(self.init_pid, sig)
            except ProcessLookupError:
                pass

    def _wait_or_kill(self, timeout):
        """Wait for the driver's child; SIGKILL it if it is still there after timeout seconds."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def _forget(self):
        if self in LIVE:
            LIVE.remove(self)


class UnshareHandle(Handle):
    """PID 1 of a fresh PID namespace: `unshare --pid --fork --mount-proc --kill-child -- argv`."""

    def __init__(self, argv, env, log, cwd):
        super().__init__(
            ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--"] + argv,
            log, env=env, cwd=cwd)
        self._find_init(5, 0.01, lambda: (children(self.popen.pid) or [None])[0])

    def stop(self, timeout):
        """SIGTERM from outside, then SIGKILL after timeout (like `docker stop`).
        Returns (seconds, stopped_by_sigterm)."""
        t0 = now()
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
            return now() - t0, True
        except subprocess.TimeoutExpired:
            self.kill()
            return now() - t0, False

    def kill(self):
        if self.alive():
            self.killed = True
            if self.init_pid:
                self.signal(signal.SIGKILL)     # PID 1 dying takes the whole namespace with it
            else:
                self.popen.kill()               # --kill-child: PID 1 goes with unshare
            self._wait_or_kill(5)

    def exit_code(self):
        rc = self.popen.returncode
        if rc is None:
            return None
        if rc < 0:
            return 128 - rc
        # util-linux 2.38's unshare cannot re-raise SIGKILL (it fails with "sigprocmask unblock
        # failed" and exits 1); the status we know we caused is what `docker stop` would report.
        if self.killed:
            return 128 + signal.SIGKILL
        return rc

    def cleanup(self):
        self.kill()
        self._forget()


class UnshareRuntime:
    name = "unshare"
    columns = COLUMNS
    packages = []

    def check(self):
        return None

    def start(self, server, column, argv, env, log, cell, shim):
        if column.preload:
            argv = ["/usr/bin/env", "LD_PRELOAD=" + shim] + argv
        return UnshareHandle(column.prefix + argv, env, log, cell.dir)


def podman_ulimits():
    """podman's default ulimits are above what this host lets root set (runc then fails with
    "error setting rlimits"): ask for the host's hard limits instead. podman also starts conmon
    (and so runc) with RLIMIT_NPROC capped at kernel.pid_max: nproc cannot be asked above that."""
    import resource
    out = []
    for name, res in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        hard = resource.getrlimit(res)[1]
        if name == "nproc":
            with open("/proc/sys/kernel/pid_max") as f:
                pid_max = int(f.read())
            hard = pid_max if hard == resource.RLIM_INFINITY else min(hard, pid_max)
        elif hard == resource.RLIM_INFINITY:
            hard = 1048576
        out += ["--ulimit", "%s=%d:%d" % (name, hard, hard)]
    return out


class PodmanHandle(Handle):
    """A rootful podman container whose PID 1 is the program (or the column's init)."""

    def __init__(self, name, cmd, env, log, stop_timeout):
        self.name = name                # before the run exists: cleanup() needs it
        self.stop_timeout = stop_timeout
        super().__init__(cmd, log, env=env)
        self._find_init(30, 0.1, self._inspect_pid)

    def _inspect_pid(self):
        """The host pid of the container's PID 1 as podman reports it, None while it has none."""
        r = subprocess.run(["podman", "inspect", "-f", "{{.State.Pid}}", self.name],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        pid = r.stdout.decode().strip()
        if r.returncode == 0 and pid.isdigit() and int(pid) > 0:
            return int(pid)
        return None

    def stop(self, timeout):
        t0 = now()
        subprocess.run(["podman", "stop", "-t", str(int(timeout)), self.name],
                       stdout=subprocess.DEVNULL, stderr=self.log, timeout=timeout + 60)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        took = now() - t0
        return took, self.exit_code() != 128 + signal.SIGKILL and took < timeout

    def kill(self):
        if self.alive():
            self.killed = True
            subprocess.run(["podman", "kill", self.name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            self._wait_or_kill(30)

    def exit_code(self):
        return self.popen.returncode

    def cleanup(self):
        self.kill()
        subprocess.run(["podman", "rm", "-f", "-t", "0", self.name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        self._forget()


class PodmanRuntime:
    """Real containers: rootful podman, runc, no image: --rootfs over an empty skeleton with the
    host's /usr and /etc mounted read-only, host network (the servers listen on 127.0.0.1)."""
    name = "podman"
    columns = PODMAN_COLUMNS
    packages = ["podman", "runc", "catatonit"]

    def __init__(self, base, stop_timeout):
        self.base, self.stop_timeout = base, stop_timeout
        self.skel = os.path.join(base, "rootfs")
        self.count = 0

    def check(self):
        for d in ("usr", "etc", "proc", "sys", "dev", "tmp", "run", "var/tmp", "opt/reap", "work"):
            os.makedirs(os.path.join(self.skel, d), exist_ok=True)
        os.chmod(os.path.join(self.skel, "tmp"), 0o1777)
        for link in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            if os.path.islink("/" + link):
                os.symlink(os.readlink("/" + link), os.path.join(self.skel, link))
        r = subprocess.run(["podman", "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            return "podman does not run: " + r.stdout.decode().strip()
        self.remove_stale()
        return None

    @staticmethod
    def remove_stale():
        """Containers left by a demo that was SIGKILLed (its name holds the driver's pid)."""
        r = subprocess.run(["podman", "ps", "-a", "--filter", "name=^reap-demo-",
                            "--format", "{{.Names}}"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=60)
        for name in r.stdout.decode().split():
            owner = name.split("-")[2] if name.count("-") >= 3 else ""
            if owner.isdigit() and not os.path.exists("/proc/" + owner):
                say("removing container %s left by an earlier demo run" % name)
                subprocess.run(["podman", "rm", "-f", "-t", "0", name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)

    def start(self, server, column, argv, env, log, cell, shim):
        self.count += 1
        name = "reap-demo-%d-%d" % (os.getpid(), self.count)
        cmd = ["podman", "run", "--name", name, "--runtime", "runc"] + podman_ulimits() + [
               "--network", "host",
               "-v", "/usr:/usr:ro", "-v", "/etc:/etc:ro",
               "-v", "%s:%s:ro" % (ROOT, ROOT),
               "-v", "%s:%s" % (cell.dir, cell.dir),
               "--tmpfs", "/tmp", "--tmpfs", "/run",
               "--workdir", cell.dir, "--stop-timeout", str(int(self.stop_timeout))]
        for k in ("PATH", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"):
            cmd += ["-e", "%s=%s" % (k, env[k])]
        if column.preload:
            cmd += ["-v", "%s:/opt/reap/reap.so:ro" % shim, "-e", "LD_PRELOAD=/opt/reap/reap.so"]
        if column.podman_init:
            cmd += ["--init"]
        # --rootfs is a flag: the first positional argument is then the root directory, not an
        # image, so every option has to come before it.
        cmd += ["--rootfs", self.skel]
        return PodmanHandle(name, cmd + column.prefix + argv, clean_env(), log,
                            self.stop_timeout)


# ----------------------------------------------------------------------------------------------
# One cell

def wait_ready(h, port, timeout):
    deadline = now() + timeout
    while now() < deadline:
        if not h.alive():
            return "exited before listening (exit %s)" % h.exit_code()
        if h.init_pid and port_open(port):
            return None
        time.sleep(0.05)
    return "not listening on 127.0.0.1:%d after %.0f s" % (port, timeout)


def request(port, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status == 200 and resp.read() == BODY
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def server_master(h, column):
    """The server's own top process: PID 1 itself, or the wrapper's (only) child."""
    if not (column.prefix or column.podman_init):
        return h.init_pid
    deadline = now() + 5
    while now() < deadline:
        kids = [p for p in children(h.init_pid) if proc_state(p) not in (None, "Z")]
        if kids:
            return kids[0]
        time.sleep(0.02)
    return None


def workers_of(master, server):
    kids = [p for p in children(master) if proc_state(p) not in (None, "Z")]
    return [p for p in kids if server.worker_filter is None or server.worker_filter(p)]


def wait_workers(master, server, timeout):
    deadline, ws = now() + timeout, []
    while now() < deadline:
        ws = workers_of(master, server)
        if len(ws) >= server.workers:
            return ws
        time.sleep(0.05)
    return ws


def settle(h, baseline_live, window):
    """Poll until no zombie is left and every orphan is gone, or the window ends.
    Returns (zombies, seconds waited)."""
    t0 = now()
    while True:
        zombies, live = count_ns(h.init_pid)
        if (zombies == 0 and live <= baseline_live) or now() - t0 >= window:
            return zombies, now() - t0
        time.sleep(0.05)


def worker_check(h, server, column):
    """SIGKILL one worker from outside; the master must reap it and start a replacement."""
    master = server_master(h, column)
    if master is None:
        return "no server process under the wrapper", None
    before = wait_workers(master, server, 15)
    if len(before) < server.workers:
        return "only %d worker(s) came up" % len(before), None
    victim = max(before)
    os.kill(victim, signal.SIGKILL)
    t0 = now()
    deadline = t0 + 10
    while now() < deadline:
        cur = workers_of(master, server)
        new = [p for p in cur if p not in before]
        if proc_state(victim) is None and new and len(cur) >= server.workers:
            took = now() - t0
            if not request(server_port(h)):
                return "replaced, but the next request got no answer", took
            return "replaced", took
        time.sleep(0.02)
    state = proc_state(victim)
    if state == "Z":
        return "NOT replaced: the killed worker is still a zombie", None
    if state is None:
        return "NOT replaced: the worker was reaped but no new worker started", None
    return "NOT replaced: the worker did not die", None


def last_line(path):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1][:300] if lines else "(empty log)"


def server_port(h):
    return h.port


def start_server(rt, server, column, log, logpath, base, shim):
    """Start one server under one column; returns (handle, cell, error)."""
    cell = Cell(base, server, column)
    port = free_port()
    if server.prepare:
        server.prepare(port, cell)
    h = rt.start(server, column, server.argv(port, cell), clean_env(), log, cell, shim)
    h.port = port
    err = None if h.init_pid else "PID 1 did not start: " + last_line(logpath)
    err = err or wait_ready(h, port, server.ready_timeout)
    if not err and server.workers:
        master = server_master(h, column)
        if master:
            wait_workers(master, server, 15)
    return h, cell, err


def run_cell(rt, server, column, args, base, logdir, shim, tag):
    """The experiment for one server under one column: requests, zombies, SIGTERM. Then, for
    servers with workers, a second run of the same server for the worker check (a worker killed
    right before SIGTERM would measure the server's respawn window, not its init)."""
    logpath = os.path.join(logdir, "%s__%s.log" % (server.key, column.key))
    res = {"runtime": rt.name, "server": server.key, "server_label": server.label,
           "column": column.key, "column_label": column.label, "seed": server.seed,
           "requests": args.requests, "answered": "", "zombies": "", "settle_s": "",
           "pass": "", "stop_s": "", "stop_timeout": "%g" % args.stop_timeout,
           "stopped_by_sigterm": "", "exit_code": "",
           "worker_check": "", "worker_replaced_s": "", "error": "",
           "log": os.path.relpath(logpath, ROOT)}
    say("%s %-20s %-14s" % (tag, server.label, column.label), end="")
    with open(logpath, "wb") as log:
        h, cell, err = start_server(rt, server, column, log, logpath, base, shim)
        try:
            if err:
                res["error"] = err
                say("ERROR: %s (log: %s)" % (err, res["log"]))
                return res
            baseline = count_ns(h.init_pid)[1]
            answered = sum(1 for _ in range(args.requests) if request(h.port))
            res["answered"] = answered
            say("%d/%d answered, " % (answered, args.requests), end="")
            zombies, waited = settle(h, baseline, args.settle)
            res["zombies"], res["settle_s"] = zombies, "%.2f" % waited
            res["pass"] = "PASS" if zombies == 0 and answered == args.requests else "FAIL"
            say("%d zombies, SIGTERM... " % zombies, end="")
            took, by_term = h.stop(args.stop_timeout)
            res["stop_s"], res["stopped_by_sigterm"] = "%.3f" % took, "yes" if by_term else "no"
            res["exit_code"] = h.exit_code()
            if by_term:
                say("stopped in %.3f s, exit %s" % (took, res["exit_code"]), end="")
            else:
                say("ignored, SIGKILL after %g s, exit %s"
                    % (args.stop_timeout, res["exit_code"]), end="")
        finally:
            h.cleanup()
            shutil.rmtree(cell.dir, ignore_errors=True)
        if server.workers and not args.no_workers:
            log.write(b"\n===== second run: one worker SIGKILLed from outside =====\n")
            log.flush()
            h, cell, err = start_server(rt, server, column, log, logpath, base, shim)
            try:
                what, took = ("did not start: " + err, None) if err else \
                    worker_check(h, server, column)
            finally:
                h.cleanup()
                shutil.rmtree(cell.dir, ignore_errors=True)
            res["worker_check"] = what
            res["worker_replaced_s"] = "%.3f" % took if took is not None else ""
            say("; worker %s%s" % (what, " in %.3f s" % took if took is not None else ""),
                end="")
        say()
        return res


# ----------------------------------------------------------------------------------------------
# Tables and verdict

def short(text, n=60):
    return text if len(text) <= n else text[:n - 3] + "..."


def cell_result(r):
    if not r:
        return "-"
    if r["error"]:
        return "ERROR: " + short(r["error"])
    parts = []
    if r["zombies"]:
        parts.append("%s zombies" % r["zombies"])
    if r["answered"] != r["requests"]:
        parts.append("%s/%s answered" % (r["answered"], r["requests"]))
    return r["pass"] + (" (" + ", ".join(parts) + ")" if parts else "")


def cell_stop(r):
    if not r:
        return "-"
    if r["error"]:
        return "ERROR"
    if r["stopped_by_sigterm"] == "yes":
        return "%s s, exit %s" % (r["stop_s"], r["exit_code"])
    return "ignored: SIGKILL after %s s, exit %s" % (r["stop_timeout"], r["exit_code"])


def cell_worker(r):
    if not r:
        return "-"
    if r["error"]:
        return "ERROR"
    if r["worker_replaced_s"] and r["worker_check"] == "replaced":
        return "replaced in %s s" % r["worker_replaced_s"]
    return r["worker_check"] or "-"


def build_tables(results, servers, columns):
    """[(title, header, rows, footnotes)] for the three tables."""
    by = {(r["server"], r["column"]): r for r in results}
    footnotes = []
    t1 = []
    for s in servers:
        row = [s.label, s.seed]
        for c in columns:
            r = by.get((s.key, c.key))
            text = cell_result(r)
            if c.key == "bare" and r and not r["error"] and r["pass"] != s.seed:
                n = len(footnotes) + 1
                text += " [%d]" % n
                why = SEED_DIFFERENCES.get(s.key, "no explanation on file: see %s" % r["log"])
                footnotes.append("[%d] %s: the seed says %s, measured %s today. %s"
                                 % (n, s.label, s.seed, r["pass"], why))
            row.append(text)
        t1.append(row)
    n = results[0]["requests"] if results else 0
    tables = [("Zombies left after %s requests (PASS: none left and every request answered)" % n,
               ["server", "seed"] + [c.label for c in columns], t1, footnotes)]
    t2 = [[s.label] + [cell_stop(by.get((s.key, c.key))) for c in columns] for s in servers]
    tables.append(("SIGTERM from outside: time until PID 1 was gone, and its exit code",
                   ["server"] + [c.label for c in columns], t2, []))
    wservers = [s for s in servers if s.workers]
    if wservers and any(by.get((s.key, c.key), {}).get("worker_check")
                        for s in wservers for c in columns):
        t3 = [[s.label] + [cell_worker(by.get((s.key, c.key))) for c in columns]
              for s in wservers]
        notes = []
        if any(faster_under_reap(by.get((s.key, "bare")), by.get((s.key, "reap")))
               for s in wservers):
            notes.append(FASTER_NOTE)
        tables.append(("One worker SIGKILLed from outside: does the master replace it?",
                       ["server"] + [c.label for c in columns], t3, notes))
    return tables


FASTER_NOTE = (
    "Faster under reap.so: Apache's and uWSGI's masters leave SIGCHLD at SIG_DFL and look for dead "
    "workers once a second. reap.so's SIGCHLD handler in PID 1 interrupts that sleep (select/"
    "epoll_wait return EINTR whatever SA_RESTART says), so they notice the dead worker, and their "
    "own workers' exit at SIGTERM, at once. The master still reaps and replaces its worker itself.")


def faster_under_reap(bare, reap):
    try:
        return float(reap["worker_replaced_s"]) < 0.5 * float(bare["worker_replaced_s"])
    except (TypeError, KeyError, ValueError):
        return False


def render_text(tables):
    out = io.StringIO()
    for title, header, rows, notes in tables:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        line = "+".join("-" * (w + 2) for w in widths)
        out.write("\n" + title + "\n+" + line + "+\n")
        out.write("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |\n")
        out.write("+" + line.replace("-", "=") + "+\n")
        for row in rows:
            out.write("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |\n")
        out.write("+" + line + "+\n")
        for note in notes:
            out.write(note + "\n")
    return out.getvalue()


def render_markdown(tables):
    out = io.StringIO()
    for title, header, rows, notes in tables:
        out.write("\n**%s**\n\n" % title)
        out.write("| " + " | ".join(header) + " |\n")
        out.write("|" + "|".join("---" for _ in header) + "|\n")
        for row in rows:
            out.write("| " + " | ".join(str(x).replace("|", "\\|") for x in row) + " |\n")
        if notes:
            out.write("\n" + "\n".join(notes) + "\n")
    return out.getvalue()


def names(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cell_problems(r):
    """What is wrong with one cell, in words; empty when the cell passes everywhere."""
    if r["error"]:
        return ["did not run: " + short(r["error"])]
    out = []
    if r["zombies"]:
        out.append("%s zombies left" % r["zombies"])
    if r["answered"] != r["requests"]:
        out.append("%s of %s requests answered" % (r["answered"], r["requests"]))
    if r["stopped_by_sigterm"] != "yes":
        out.append("SIGTERM ignored (SIGKILL after %s s, exit %s)"
                   % (r["stop_timeout"], r["exit_code"]))
    if r["worker_check"] and r["worker_check"] != "replaced":
        out.append("killed worker " + r["worker_check"])
    return out


def verdict(results, servers, columns, stop_timeout):
    by = {(r["server"], r["column"]): r for r in results}
    text = []

    def col(key):
        return [(s, by[(s.key, key)]) for s in servers if (s.key, key) in by]

    bare = col("bare")
    if bare:
        leak = [s.label for s, r in bare if r["pass"] == "FAIL"]
        deaf = [s.label for s, r in bare if r["stopped_by_sigterm"] == "no"]
        same = sum(1 for s, r in bare if r["pass"] == s.seed)
        text.append("Bare, %d of %d servers leave zombies behind (%s) and %d ignore SIGTERM "
                    "until they are killed after %s s (%s); the bare column matches the seed's "
                    "table on %d of %d rows."
                    % (len(leak), len(bare), names(leak) or "none", len(deaf), stop_timeout,
                       names(deaf) or "none", same, len(bare)))
    reap = col("reap")
    reap_ok = None
    if reap:
        bad = [(s, cell_problems(r)) for s, r in reap if cell_problems(r)]
        reap_ok = not bad
        stops = [float(r["stop_s"]) for s, r in reap if r["stopped_by_sigterm"] == "yes"]
        if not bad:
            text.append("With reap.so preloaded and nothing else changed, every row passes: no "
                        "zombie left, every request answered, SIGTERM stops PID 1 in at most "
                        "%.3f s%s." % (max(stops or [0.0]),
                                       ", and killed workers are replaced as they are bare"
                                       if any(r["worker_check"] for s, r in reap) else ""))
        else:
            text.append("With reap.so preloaded, %d of %d rows do NOT pass: %s; the other rows "
                        "pass." % (len(bad), len(reap), "; ".join(
                            "%s: %s" % (s.label, ", ".join(p)) for s, p in bad)))
    wraps = [c for c in columns if c.key not in ("bare", "reap")]
    wrap_bad = ["%s under %s: %s" % (s.label, c.label, ", ".join(cell_problems(r)))
                for c in wraps for s, r in col(c.key) if cell_problems(r)]
    ran_wraps = [c.label for c in wraps if col(c.key)]
    if ran_wraps:
        if wrap_bad:
            text.append("The wrapper inits (%s) fail in: %s." % (names(ran_wraps),
                                                                  "; ".join(wrap_bad)))
        else:
            text.append("The wrapper inits (%s) pass every row, at the price of a wrapper in "
                        "front of the program (an ENTRYPOINT change, or the runtime's --init) "
                        "and one more process." % names(ran_wraps))
    if reap_ok is True:
        text.append("So the shim fixes what the seed found, as the wrappers do, without touching "
                    "the command line.")
    elif reap_ok is False:
        text.append("So on the rows above the shim does not (yet) do what the wrappers do.")
    return " ".join(text)


def write_results(outdir, stem, results, servers, columns, header_lines, tables, verdict_text):
    os.makedirs(outdir, exist_ok=True)
    md_path = os.path.join(outdir, stem + ".md")
    csv_path = os.path.join(outdir, stem + ".csv")
    with open(md_path, "w") as f:
        f.write("# reap demo results\n\n")
        for line in header_lines:
            f.write("- %s\n" % line)
        f.write(render_markdown(tables))
        f.write("\n**Verdict.** %s\n" % verdict_text)
    fields = ["runtime", "server", "column", "seed", "requests", "answered", "zombies", "settle_s",
              "pass", "stop_s", "stop_timeout", "stopped_by_sigterm", "exit_code", "worker_check",
              "worker_replaced_s", "error", "log"]
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in results:
            w.writerow(r)
    return md_path, csv_path


# ----------------------------------------------------------------------------------------------
# Self-test of the machinery (used by tests/test_demo.c)

def selftest():
    """Checks zombie counting, stopping and exit codes against namespaces with known contents."""
    failures, checks = [], [0]

    def check(ok, msg):
        checks[0] += 1
        if not ok:
            failures.append(msg)

    base = tempfile.mkdtemp(prefix="reap-demo-selftest-")
    log = open(os.path.join(base, "log"), "wb")
    outside = subprocess.Popen(["/bin/true"])      # a zombie of ours, outside every namespace
    try:
        # 3 children of PID 1 that PID 1 (sleep, after exec) never waits for: exactly 3 zombies.
        h = UnshareHandle(["/bin/sh", "-c",
                           "/bin/true & /bin/true & /bin/true & exec /bin/sleep 60"],
                          clean_env(), log, base)
        deadline, got = now() + 10, (None, None)
        while now() < deadline:
            got = count_ns(h.init_pid)
            if got == (3, 0):
                break
            time.sleep(0.02)
        check(got == (3, 0),
              "zombie count: expected 3 zombies and 0 live, got %s" % (got,))
        # sleep as PID 1 leaves SIGTERM at SIG_DFL: the kernel drops it; stop must SIGKILL.
        took, by_term = h.stop(1.0)
        check(not by_term and h.exit_code() == 137 and 0.9 < took < 5,
              "stop of a deaf PID 1: expected ignored/137 after ~1 s, got %s/%s "
              "after %.2f s" % (by_term, h.exit_code(), took))
        h.cleanup()
        check(h.init_pid and proc_state(h.init_pid) is None,
              "namespace init %d still exists after cleanup" % h.init_pid)
        # A PID 1 with a SIGTERM handler stops promptly with its own exit code.
        h = UnshareHandle(["/bin/sh", "-c", "trap 'exit 7' TERM; echo up; "
                           "while :; do /bin/sleep 0.05; done"], clean_env(), log, base)
        deadline = now() + 5
        while now() < deadline and count_ns(h.init_pid)[1] == 0:
            time.sleep(0.01)
        took, by_term = h.stop(5.0)
        check(by_term and h.exit_code() == 7 and took < 2,
              "stop of a PID 1 that handles SIGTERM: expected stopped/7, got "
              "%s/%s after %.2f s" % (by_term, h.exit_code(), took))
        h.cleanup()
        # A PID 1 killed by a signal reports 128+N (a fault: the kernel drops a plain kill of an
        # init that has no handler, even from inside).
        h = UnshareHandle([PY, "-c", "import ctypes; ctypes.string_at(0)"], clean_env(), log, base)
        try:
            h.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        check(h.exit_code() == 128 + signal.SIGSEGV,
              "exit code of a PID 1 killed by SIGSEGV: expected %d, got %s"
              % (128 + signal.SIGSEGV, h.exit_code()))
        h.cleanup()
        # Table rendering.
        fake = [{"runtime": "t", "server": "wsgiref", "server_label": "wsgiref", "column": "bare",
                 "column_label": "bare", "seed": "FAIL", "requests": 4, "answered": 4,
                 "zombies": 4, "settle_s": "1.00", "pass": "FAIL", "stop_s": "3.00",
                 "stop_timeout": "3", "stopped_by_sigterm": "no", "exit_code": 137,
                 "worker_check": "",
                 "worker_replaced_s": "", "error": "", "log": "x"},
                {"runtime": "t", "server": "wsgiref", "server_label": "wsgiref", "column": "reap",
                 "column_label": "reap.so", "seed": "FAIL", "requests": 4, "answered": 4,
                 "zombies": 0, "settle_s": "0.01", "pass": "PASS", "stop_s": "0.02",
                 "stop_timeout": "3", "stopped_by_sigterm": "yes", "exit_code": 143,
                 "worker_check": "",
                 "worker_replaced_s": "", "error": "", "log": "x"}]
        servers = [s for s in SERVERS if s.key == "wsgiref"]
        text = render_text(build_tables(fake, servers, COLUMNS[:2]))
        for want in ("FAIL (4 zombies)", "PASS", "ignored: SIGKILL after 3 s, exit 137",
                     "0.02 s, exit 143"):
            check(want in text,
                  "table rendering: %r missing from:\n%s" % (want, text))
        v = verdict(fake, servers, COLUMNS[:2], 3)
        check("every row passes" in v and "1 of 1 servers leave zombies" in v,
              "verdict: unexpected text: " + v)
        # A bare row that differs from the seed gets a footnote; a failing reap.so row is named.
        odd = [dict(fake[0], zombies=0, **{"pass": "PASS"}),
               dict(fake[1], zombies=2, **{"pass": "FAIL"})]
        text = render_text(build_tables(odd, servers, COLUMNS[:2]))
        check("PASS [1]" in text and "[1] wsgiref: the seed says FAIL, measured PASS" in text,
              "seed footnote missing from:\n" + text)
        v = verdict(odd, servers, COLUMNS[:2], 3)
        check("1 of 1 rows do NOT pass: wsgiref: 2 zombies left" in v,
              "verdict on a failing reap.so row: " + v)
    finally:
        for h in list(LIVE):
            h.cleanup()
        outside.wait()
        log.close()
        shutil.rmtree(base, ignore_errors=True)
    for f in failures:
        say("selftest FAIL: " + f)
    say("selftest: %d passed, %d failed" % (checks[0] - len(failures), len(failures)))
    return 1 if failures else 0


# ----------------------------------------------------------------------------------------------
# Main

class Interrupted(Exception):
    pass


def _interrupt(signum, _frame):
    raise Interrupted("signal %d" % signum)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="reapdemo.py", description=__doc__.split("\n")[0])
    p.add_argument("command", nargs="?", default="run", choices=["run", "selftest"],
                   help="run the demo (default) or check the demo's own machinery")
    p.add_argument("--quick", action="store_true",
                   help="wsgiref only, fewer requests, short timeouts; no package installed")
    p.add_argument("--runtime", default="unshare", choices=["unshare", "podman"],
                   help="PID namespaces made with unshare (default) or rootful podman containers")
    p.add_argument("--shim", default=os.path.join(ROOT, "build", "reap.so"),
                   help="the library for the reap.so column (default build/reap.so)")
    p.add_argument("--out", default=os.path.join(DEMO, "results"),
                   help="results folder: RUNTIME[-quick].md and .csv, logs/ (default "
                   "demo/results)")
    p.add_argument("--servers", help="comma-separated subset of: " +
                   ",".join(s.key for s in SERVERS))
    p.add_argument("--columns", help="comma-separated subset of: bare,reap,tini,dumb-init,"
                   "catatonit (podman: podman-init instead of catatonit)")
    p.add_argument("--requests", type=int, help="requests per cell (default 10, quick 5)")
    p.add_argument("--settle", type=float,
                   help="longest wait for zombies to be reaped, s (default 4, quick 1.5)")
    p.add_argument("--stop-timeout", type=float,
                   help="SIGKILL this long after SIGTERM, s (default 10 like docker stop; quick 3)")
    p.add_argument("--no-install", action="store_true", help="never run apt-get")
    p.add_argument("--no-workers", action="store_true", help="skip the worker-replacement check")
    a = p.parse_args(argv)
    a.requests = a.requests or (5 if a.quick else 10)
    a.settle = a.settle if a.settle is not None else (1.5 if a.quick else 4.0)
    a.stop_timeout = a.stop_timeout if a.stop_timeout is not None else (3.0 if a.quick else 10.0)
    return a


def debian_version():
    try:
        with open("/etc/debian_version") as f:
            return f.read().strip()
    except OSError:
        return "?"


def need_root():
    if os.geteuid() == 0:
        return False
    sys.stderr.write(
        "reap demo: needs root. It creates PID and mount namespaces (unshare --pid --mount-proc "
        "needs CAP_SYS_ADMIN), sends signals to the servers inside them, and installs the servers "
        "from Debian's packages with apt-get. Run it as root, e.g.: sudo make demo\n")
    return True


def main(argv):
    args = parse_args(argv)
    if need_root():
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if args.command == "selftest":
        return selftest()

    base = tempfile.mkdtemp(prefix="reap-demo-")
    os.chmod(base, 0o755)
    rt = (PodmanRuntime(base, args.stop_timeout) if args.runtime == "podman" else UnshareRuntime())
    notes = []
    try:
        servers = SERVERS
        if args.quick:
            servers = [s for s in SERVERS if s.key == "wsgiref"]
        if args.servers:
            want = args.servers.split(",")
            unknown = [w for w in want if w not in {s.key for s in SERVERS}]
            if unknown:
                say("error: unknown server(s): " + ",".join(unknown))
                return 2
            servers = [s for s in SERVERS if s.key in want]
        columns = rt.columns
        if args.columns:
            want = args.columns.split(",")
            unknown = [w for w in want if w not in {c.key for c in columns}]
            if unknown:
                say("error: unknown column(s) for %s: %s (known: %s)" % (
                    rt.name, ",".join(unknown), ",".join(c.key for c in columns)))
                return 2
            columns = [c for c in columns if c.key in want]
        shim = os.path.abspath(args.shim)
        if any(c.preload for c in columns) and not os.path.exists(shim):
            say("error: %s does not exist; build it with `make` (make demo does)" % shim)
            return 2

        pkgs = list(rt.packages)
        if not args.quick:
            for s in servers:
                pkgs += s.packages
            pkgs += [c.package for c in columns if c.package]
        if pkgs and not args.no_install:
            if not apt_install(sorted(set(pkgs))):
                return 1
        problem = rt.check()
        if problem:
            say("error: the %s runtime cannot run here: %s" % (rt.name, problem))
            return 1
        usable = []
        for c in columns:
            if c.available():
                usable.append(c)
            else:
                notes.append("%s column skipped: %s is not installed (%s; `make demo` installs "
                             "it)" % (c.label, c.binary, "quick mode installs nothing"
                                      if args.quick else "--no-install"))
        columns = usable
        for n in notes:
            say("note: " + n)

        logdir = os.path.join(args.out, "logs", rt.name + ("-quick" if args.quick else ""))
        shutil.rmtree(logdir, ignore_errors=True)
        os.makedirs(logdir)
        total = len(servers) * len(columns)
        say("reap demo: %d server(s) x %d column(s) as PID 1 of fresh %s on 127.0.0.1; "
            "%d requests each, zombies counted after up to %.1f s, SIGKILL %.0f s after SIGTERM"
            % (len(servers), len(columns),
               "PID namespaces (unshare)" if rt.name == "unshare" else "podman containers",
               args.requests, args.settle, args.stop_timeout))
        results, i, t_start = [], 0, now()
        for s in servers:
            for c in columns:
                i += 1
                results.append(run_cell(rt, s, c, args, base, logdir, shim,
                                        "[%2d/%d]" % (i, total)))
        elapsed = now() - t_start

        tables = build_tables(results, servers, columns)
        v = verdict(results, servers, columns, "%g" % args.stop_timeout)
        cmd = "make demo" + (" QUICK=1" if args.quick else "") + (
            " RUNTIME=podman" if args.runtime == "podman" else "")
        header = [
            "command: `%s` (driver: `demo/reapdemo.py %s`)" % (cmd, " ".join(argv)),
            "machine: %s, kernel %s, Debian %s" % (
                os.uname().nodename, os.uname().release, debian_version()),
            "runtime: %s; every server is PID 1 (or the wrapper is, with the server as its child)"
            % ("`unshare --pid --fork --mount-proc`" if rt.name == "unshare" else
               "rootful podman, `--runtime runc --rootfs` skeleton, host network"),
            "%d requests per cell; zombies counted after up to %.1f s; SIGKILL %g s after "
            "SIGTERM; total %.0f s" % (args.requests, args.settle, args.stop_timeout, elapsed),
            "seed column: " + SEED_NOTE,
        ] + [s.label + ": " + s.note for s in servers if s.note] + notes
        stem = rt.name + ("-quick" if args.quick else "")
        md, csvp = write_results(args.out, stem, results, servers, columns, header, tables, v)
        say(render_text(tables))
        say("Verdict: " + v)
        say("\nwritten: %s, %s (logs in %s)" % (os.path.relpath(md), os.path.relpath(csvp),
                                               os.path.relpath(logdir)))
        failed = [r for r in results if r["column"] == "reap" and cell_problems(r)]
        if failed:
            say("reap.so failed on %d row(s): %s (exit status 3)"
                % (len(failed), ", ".join(r["server_label"] for r in failed)))
            return 3
        return 0
    except (KeyboardInterrupt, Interrupted) as e:
        say("\ninterrupted (%s): cleaning up" % (e or "Ctrl-C"))
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)      # a second Ctrl-C must not stop the cleanup
        for h in list(LIVE):
            h.cleanup()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
