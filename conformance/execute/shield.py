"""The parent of every worker process: ``python -S shield.py ARGS`` runs ``python ARGS``.

Builtin modules only (it starts in milliseconds, in any environment). It ends as the
worker ended: with the same exit status, or killed by the same signal. It also answers
the worker's "are you there?" (a byte on one pipe, echoed on another; the pipes' ends
are in ``CONFORMANCE_SHIELD_FDS`` as ``write,read``): a worker whose call killed its
parent learns so before it answers, since a process with a fatal signal pending never
runs another instruction and its end of the pipe closes when it dies.
"""

import os
import select
import signal
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the harness to handle
    ping_r, ping_w = os.pipe()
    echo_r, echo_w = os.pipe()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGINT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        for fd in (ping_r, echo_w, wake_r, wake_w):
            os.close(fd)
        os.set_inheritable(ping_w, True)
        os.set_inheritable(echo_r, True)
        os.environ["CONFORMANCE_SHIELD_FDS"] = f"{ping_w},{echo_r}"
        os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
    os.close(ping_w)
    os.close(echo_r)
    watched = [ping_r, wake_r]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        try:
            ready = select.select(watched, [], [])[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 512)
        if ping_r in ready:
            data = os.read(ping_r, 512)
            if data:
                try:
                    os.write(echo_w, data)
                except OSError:
                    pass
            else:  # the worker closed its end: only its exit is left to wait for
                watched.remove(ping_r)
    if os.WIFSIGNALED(status):
        try:
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP have no handler to reset
            pass
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
