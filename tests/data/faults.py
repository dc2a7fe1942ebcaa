"""Implementations that misbehave in every way a worker must survive (used by the tests)."""

import ctypes
import os
import signal
import sys
import time

import numpy as np


def _stable(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def raises(x, axis=-1):
    raise RuntimeError("boom")


def wrong_shape(x, axis=-1):
    return _stable(x, axis).ravel()[:1]


def returns_list(x, axis=-1):
    return _stable(x, axis).tolist()


def returns_nan(x, axis=-1):
    return np.full_like(x, np.nan)


def mutates(x, axis=-1):
    x[...] = 0
    return _stable(x, axis)


def hangs(x, axis=-1):
    time.sleep(3600)


def segfaults(x, axis=-1):
    ctypes.string_at(0)


def allocates(x, axis=-1):
    hoard = []
    while True:
        hoard.append(np.empty(2**27))  # 1 GiB of address space each


def exits(x, axis=-1):
    sys.exit(3)


def forks_then_segfaults(x, axis=-1):
    """A child that keeps the result pipe open, then a segfault: a crash, not a timeout."""
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)
    ctypes.string_at(0)


def prints(x, axis=-1):
    print("python print")
    os.write(1, b"raw write to fd 1\n")
    return _stable(x, axis)


# ---- for the gate: faults on inputs of 1000 elements or more, right answers below ----

BIG = 1000


def _big(x):
    return np.asarray(x).size >= BIG


def big_segfaults(x, axis=-1):
    if _big(x):
        ctypes.string_at(0)
    return _stable(x, axis)


def big_aborts(x, axis=-1):
    if _big(x):
        os.abort()
    return _stable(x, axis)


def big_os_exit_0(x, axis=-1):
    if _big(x):
        os._exit(0)
    return _stable(x, axis)


def big_sys_exit_0(x, axis=-1):
    if _big(x):
        sys.exit(0)
    return _stable(x, axis)


def big_kills_itself(x, axis=-1):
    if _big(x):
        os.kill(os.getpid(), signal.SIGKILL)
    return _stable(x, axis)


def big_kills_parent(x, axis=-1):
    if _big(x):
        os.kill(os.getppid(), signal.SIGKILL)
    return _stable(x, axis)


def big_spins(x, axis=-1):
    while _big(x):
        pass
    return _stable(x, axis)


def big_allocates(x, axis=-1):
    hoard = []
    while _big(x):
        hoard.append(np.empty(2**27))  # 1 GiB of address space each
    return _stable(x, axis)


def forks(x, axis=-1):
    """Right answers, and a child left sleeping behind every call (its pid in FORKS_LOG)."""
    pid = os.fork()
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    with open(os.environ["FORKS_LOG"], "a") as log:
        log.write(f"{pid}\n")
    return _stable(x, axis)


def big_forks_then_segfaults(x, axis=-1):
    """A child that keeps the result pipe open, then a crash: a crash, not a timeout."""
    if _big(x):
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
        ctypes.string_at(0)
    return _stable(x, axis)


def reads_environment(x, axis=-1):
    """SC_PROBE from the worker's environment, everywhere (worker_env reaches the worker)."""
    return np.full_like(x, float(os.environ.get("SC_PROBE", "nan")))


_KEPT = []  # what keeps_memory holds for good, as a cache that is never dropped would


def keeps_memory(x, axis=-1):
    """Correct, but keeps 80 MB (touched) per call."""
    _KEPT.append(np.ones(10 * 2**20))
    return _stable(x, axis)


def reads_wait_policy(x, axis=-1):
    """Correct where the worker's OpenMP threads sleep when idle; raises otherwise."""
    policy = os.environ.get("OMP_WAIT_POLICY")
    if policy != "PASSIVE":
        raise RuntimeError(f"OMP_WAIT_POLICY={policy!r}")
    return _stable(x, axis)


def needs_frozen_imports(x, axis=-1):
    """Correct where the worker froze what its imports made (gc.freeze); raises otherwise."""
    import gc

    if gc.get_freeze_count() == 0:
        raise RuntimeError("nothing frozen")
    return _stable(x, axis)
