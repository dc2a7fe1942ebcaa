"""How fast each adapter's op is on realistic shapes, against the memory-bound floor.

For each shape (a language model's logits: 4096 x 32000 float32, 64 x 128256 bfloat16;
the axis last and not last) the input is made once, converted to the backend's tensor
outside the timer, called once to warm up, then timed ``repeats`` times: the best time
counts (a call ends when its result is ready: JAX and Keras on JAX return before they have
computed, so the timer waits for ``block_until_ready``). ``np.copyto`` of the same bytes
is timed the same way in the same run, and each time is reported as a ratio to it (1
would be as fast as copying the input once). The peak memory of one more call is
measured where the backend reports its allocations: NumPy (and SciPy and scikit-learn,
which allocate through it) to ``tracemalloc``; torch and TensorFlow on CPU report none,
so theirs is left out rather than guessed.

Each adapter is timed in a worker process of its own (conformance.execute.bench_run),
so an implementation that never returns on a shape (a Jacobian built per row is n^2 per
row) is killed, not waited for. The whole bench stops starting measurements once
``budget`` seconds are spent; what was not reached is recorded as such.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.base import Adapter, Unavailable
from cases.dtypes import np_dtype
from cases.model import Case
from conformance.ops import get_op

__all__ = ["QUICK_SHAPES", "SHAPES", "Measurement", "Shape", "copy_seconds", "logits",
           "measure_adapter", "shape_by_label", "time_best"]


@dataclass(frozen=True)
class Shape:
    label: str
    shape: tuple[int, ...]
    dtype: str
    axis: int

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np_dtype(self.dtype).itemsize


SHAPES = (
    Shape("4096x32000 float32, last axis", (4096, 32000), "float32", -1),
    Shape("4096x32000 float32, axis 0", (4096, 32000), "float32", 0),
    Shape("64x128256 bfloat16, last axis", (64, 128256), "bfloat16", -1),
    Shape("64x128256 bfloat16, axis 0", (64, 128256), "bfloat16", 0),
)
QUICK_SHAPES = (
    Shape("64x1000 float32, last axis", (64, 1000), "float32", -1),
    Shape("64x1000 float32, axis 0", (64, 1000), "float32", 0),
    Shape("8x4096 bfloat16, last axis", (8, 4096), "bfloat16", -1),
)


def shape_by_label(label: str) -> Shape:
    return next(s for s in (*SHAPES, *QUICK_SHAPES) if s.label == label)


@dataclass(frozen=True)
class Measurement:
    adapter: str
    op: str
    shape: str  # Shape.label
    status: str  # ok, error, unsupported, unavailable, not-reached
    seconds: float | None = None  # best of the repeats
    repeats: int = 0
    ratio: float | None = None  # seconds / np.copyto's best on the same bytes
    peak_bytes: int | None = None  # beyond the inputs, during one call (tracemalloc)
    detail: str = ""


def logits(shape: Shape) -> np.ndarray:
    """Logits as a language model produces them: normal, scale 3, seeded."""
    x = np.random.default_rng(0).standard_normal(shape.shape, dtype=np.float32) * 3
    return x.astype(np_dtype(shape.dtype))


def time_best(call: Callable[[], Any], repeats: int, deadline: float) -> tuple[float, int]:
    """The best of up to ``repeats`` timed calls after one warm-up call; fewer when the
    deadline (time.perf_counter) passes. When it passed during the warm-up, the warm-up's
    own time, with 0 repeats."""
    t0 = time.perf_counter()
    call()
    best, n = time.perf_counter() - t0, 0
    if time.perf_counter() > deadline:
        return best, 0
    best = math.inf
    while n < repeats:
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
        n += 1
        if time.perf_counter() > deadline:
            break
    return best, n


def _peak(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        return max(tracemalloc.get_traced_memory()[1] - base, 0)
    finally:
        tracemalloc.stop()


def copy_seconds(x: np.ndarray, repeats: int) -> float:
    """The best time of np.copyto of x's bytes (the memory-bound floor)."""
    dst = np.empty_like(x)
    seconds, _ = time_best(lambda: np.copyto(dst, x), repeats, time.perf_counter() + 5.0)
    return seconds


def measure_adapter(adapter: Adapter, ops: Sequence[str], shapes: Sequence[Shape],
                    repeats: int, seconds: float, emit: Callable[[Measurement], None]) -> None:
    """Every (op, shape) of one adapter, in that order, each passed to ``emit`` as soon as
    it is measured; no measurement starts after ``seconds``. Runs in a bench worker."""
    stop = time.perf_counter() + seconds
    try:
        loaded: Any = adapter.load()
    except Unavailable as exc:
        loaded = exc
    for op in ops:
        if op not in adapter.ops:
            continue
        record = get_op(op)
        for shape in shapes:
            arrays: list[np.ndarray] = []
            runnable = not isinstance(loaded, Exception) and not \
                adapter.capabilities.unsupported_reason(shape.shape, shape.axis, shape.dtype)
            if runnable and time.perf_counter() <= stop:  # past the budget: no input made
                case = Case("bench", logits(shape), shape.axis, origin="generated",
                            note=shape.label)
                arrays = record.prepare(case).arrays()
                del case
            emit(_measure(adapter, loaded, op, shape, arrays, repeats, stop))
            del arrays


def _ready(out: Any) -> Any:
    """The output once computed: a backend that dispatches asynchronously (JAX, Keras on
    JAX) returns before it is, so the timer waits for ``block_until_ready``."""
    wait = getattr(out, "block_until_ready", None)
    return wait() if callable(wait) else out


def _measure(adapter: Adapter, loaded: Any, op: str, shape: Shape, arrays: list[np.ndarray],
             repeats: int, stop: float) -> Measurement:
    def made(status: str, detail: str = "", **kw: Any) -> Measurement:
        return Measurement(adapter.name, op, shape.label, status, detail=detail, **kw)

    if isinstance(loaded, Exception):
        return made("unavailable", str(loaded).splitlines()[0])
    why = adapter.capabilities.unsupported_reason(shape.shape, shape.axis, shape.dtype)
    if why:
        return made("unsupported", why)
    if time.perf_counter() > stop or not arrays:
        return made("not-reached", "the budget was spent")
    native = [loaded.to_native(a) for a in arrays]
    fn = loaded.ops[op]

    def call() -> Any:
        return _ready(fn(*native, shape.axis))

    try:
        seconds, n = time_best(call, repeats, stop)
        numpy_in = all(isinstance(v, np.ndarray) for v in native)
        in_time = time.perf_counter() <= stop
        peak = _peak(call) if numpy_in and in_time else None
    except Exception as exc:  # an adapter that raises is a measurement, never the end
        return made("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
    detail = "" if n else "one cold call: the budget ran out during the warm-up"
    if numpy_in and not in_time:
        detail = (detail + "; " if detail else "") + "peak memory not measured: no budget left"
    return made("ok", seconds=seconds, repeats=n, peak_bytes=peak, detail=detail)
