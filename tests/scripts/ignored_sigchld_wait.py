# With SIGCHLD ignored the kernel reaps every child itself; once the program's own children are
# gone, wait() must fail with ECHILD at once, though an orphan is still alive. The orphan lives
# until this program closes a pipe after its wait: without the shim the wait never returns.
import os, signal, time

signal.signal(signal.SIGCHLD, signal.SIG_IGN)
r, w = os.pipe()
middle = os.fork()
if middle == 0:                 # a middle child whose child becomes an orphan of PID 1
    if os.fork() == 0:
        os.close(w)
        os.read(r, 1)           # until PID 1 closes its end
        os._exit(0)
    os._exit(0)
os.close(r)
own = os.fork()
if own == 0:
    os._exit(3)
# The kernel reaps both own children by itself; wait until it has (bounded), so that no own child
# is left when wait() is called (a wait that starts while the middle child still lives waits, as
# without the shim, for every child, the orphan included).
deadline = time.monotonic() + 5
for child in (middle, own):
    while time.monotonic() < deadline:
        try:
            os.waitid(os.P_PID, child, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            break
        time.sleep(0.001)   # pacing of a bounded poll
try:
    got = os.wait()
    print("wait returned", got, flush=True)
except ChildProcessError:
    print("ECHILD", flush=True)
os.close(w)
