"""Implementations that misbehave in every way a worker must survive (used by the tests)."""

import ctypes
import os
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


def prints(x, axis=-1):
    print("python print")
    os.write(1, b"raw write to fd 1\n")
    return _stable(x, axis)


def reads_environment(x, axis=-1):
    """SC_PROBE from the worker's environment, everywhere (worker_env reaches the worker)."""
    return np.full_like(x, float(os.environ.get("SC_PROBE", "nan")))
