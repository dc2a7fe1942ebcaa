"""Calling an adapter's op on fresh inputs, with its warnings, prints and exit captured.

NumPy only (no ml_dtypes, no conformance), so a worker process in another
Python environment can import it.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adapters.base import Loaded

__all__ = ["MAX_STDOUT", "Call", "call_op"]

MAX_STDOUT = 2000


@dataclass(frozen=True)
class Call:
    """What one call produced: the output (None unless status is ok) and what came with it."""

    y: np.ndarray | None
    error: str | None
    seconds: float
    warnings: tuple[str, ...]
    stdout: str
    mutated: bool
    status: str = "ok"  # ok, error, crash, timeout
    # the whole time inside the adapter: conversions and an untimed warm-up (a compile)
    # besides the timed call that ``seconds`` is
    total_seconds: float = 0.0


def call_op(loaded: Loaded, op: str, arrays: Sequence[np.ndarray], axis: int) -> Call:
    """Call ``op(*arrays, axis)`` on arrays the caller owns; they are checked for mutation."""
    before = [np.array(a, copy=True) for a in arrays]
    start = time.perf_counter()
    captured = io.StringIO()
    y = error = None
    status = "error"
    seconds = 0.0
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(captured):
        warnings.simplefilter("always")
        try:
            native = [loaded.to_native(a) for a in arrays]
            if loaded.warm_up:  # compile (or load the compiled code) outside the timer
                loaded.ops[op](*native, axis)
            t0 = time.perf_counter()
            out = loaded.ops[op](*native, axis)
            seconds = time.perf_counter() - t0
            y = loaded.to_numpy(out)
            if isinstance(y, np.generic):  # a NumPy scalar (np.sum's answer) is a 0-d result
                y = np.asarray(y)
            if not isinstance(y, np.ndarray):
                error = f"returned {type(y).__name__}, expected numpy.ndarray"
                y = None
            elif y.dtype.hasobject or y.dtype.fields is not None:  # JAX's float0, objects
                error = f"returned an array of dtype {y.dtype}, not numbers"
                y = None
        except SystemExit as exc:  # sys.exit() inside an implementation must not end the run
            error, status = f"called sys.exit({exc.code!r})", "crash"
        except Exception as exc:  # an adapter that raises never stops the run
            error = f"{type(exc).__name__}: {exc}"
    mutated = any(not np.array_equal(b, a, equal_nan=True) for b, a in zip(before, arrays,
                                                                             strict=True))
    total = time.perf_counter() - start
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return Call(y, error, seconds, messages, captured.getvalue()[:MAX_STDOUT], mutated,
                "ok" if y is not None else status, total)
