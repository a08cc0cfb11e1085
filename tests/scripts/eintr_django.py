# A program's own EINTR must reach it even when an orphan was reaped during the same wait.
# Django's autoreloader as PID 1: a SIGTERM handler, a child it waits for, and an orphan that
# ends while it waits. SIGTERM from outside must run the handler at once (exit 0, "TERM").
import os, signal, sys, time

def on_term(sig, frame):
    print("TERM", flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
if os.fork() == 0:          # a middle child whose child becomes an orphan of PID 1
    if os.fork() == 0:
        time.sleep(0.3)
        print("ORPHAN ENDS", flush=True)
        os._exit(0)
    os._exit(0)
os.wait()
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
print("READY", flush=True)
os.waitpid(child, 0)
print("child ended first", flush=True)
