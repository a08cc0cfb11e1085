"""The seed's WSGI application, rewritten for the demo.

Every request forks a child; the child forks a grandchild and exits at once without waiting for it.
The request handler waits for its own child (so the child never lingers), but the grandchild is
orphaned: the kernel re-parents it to PID 1 of the PID namespace (or to the nearest subreaper),
and when it exits somebody there has to reap it, or it stays a zombie as long as the namespace does.
"""
import os

BODY = b"Hello World!"


def _grandchild():
    os._exit(0)


def _child():
    if os.fork() == 0:
        _grandchild()
    # Exit without waiting: the grandchild becomes an orphan.
    os._exit(0)


def make_orphan():
    """Fork a child that leaves an orphan behind; wait for the child only."""
    pid = os.fork()
    if pid == 0:
        try:
            _child()
        finally:
            os._exit(1)
    os.waitpid(pid, 0)


def application(environ, start_response):
    make_orphan()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
