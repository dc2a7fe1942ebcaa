"""How fast the reference oracle is, next to mpmath alone.

``conformance bench-oracle [--op softmax] [--n 100000] [--dtype float64] [--seed 0]``
times the oracle of ``--op`` (an op's record names its BenchOp here; or all) on
``n`` realistic logits (rows of 100 standard-normal values times 4) and on a
wide-spread input (times 300: many outputs subnormal or 0), times mpmath on a
subset of rows and extrapolates, reports the share of elements the fast
screen left to mpmath, and checks that both agree bit for bit on the subset.
Exit status 0 when they agree, 1 when they do not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cases.dtypes import np_dtype
from conformance.oracle.log_softmax import (
    label_rows,
    reference_cross_entropy_mpmath,
    reference_log_softmax_mpmath,
    solve_cross_entropy,
    solve_log_softmax,
)
from conformance.oracle.mp import reference_softmax_mpmath
from conformance.oracle.reference import SolveStats, solve_rows
from conformance.oracle.rows import from_rows, to_rows
from conformance.oracle.vjp import reference_softmax_vjp_mpmath, solve_vjp, vjp_rows

__all__ = ["CROSS_ENTROPY", "LOG_SOFTMAX", "SOFTMAX", "SOFTMAX_VJP", "BenchOp", "run"]

ROW = 100


@dataclass(frozen=True)
class BenchOp:
    """How to time one op's oracle: the fast path (with statistics), the mpmath baseline, and
    the second input each is given (a cotangent, labels or nothing), for ``rows`` rows."""

    fast: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, SolveStats]]
    mp: Callable[[np.ndarray, np.ndarray], np.ndarray]
    second: str  # what the second input is, for the printout
    # the second input (ignored by softmax and log_softmax): one label per row by default
    extra: Callable[[np.random.Generator, int, str], np.ndarray] = (
        lambda rng, rows, dtype: rng.integers(0, ROW, size=rows))


def _softmax_fast(x: np.ndarray, _: np.ndarray) -> tuple[np.ndarray, SolveStats]:
    rows = to_rows(x, -1, None)
    out, stats = solve_rows(rows)
    return from_rows(out, rows), stats


def _log_softmax_fast(x: np.ndarray, _: np.ndarray) -> tuple[np.ndarray, SolveStats]:
    rows = to_rows(x, -1, None)
    out, stats = solve_log_softmax(rows)
    return from_rows(out, rows), stats


def _vjp_fast(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, SolveStats]:
    rows, grows = vjp_rows(x, g, -1, None)
    out, stats = solve_vjp(rows, grows)
    return from_rows(out, rows), stats


def _cross_entropy_fast(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, SolveStats]:
    rows = to_rows(x, -1, None)
    loss, stats = solve_cross_entropy(rows, label_rows(labels, rows, x.shape))
    return loss.astype(x.dtype), stats


# Each op record (conformance.ops) names its entry here as its ``bench``.
SOFTMAX = BenchOp(_softmax_fast, lambda x, _: reference_softmax_mpmath(x, -1), "")
LOG_SOFTMAX = BenchOp(_log_softmax_fast, lambda x, _: reference_log_softmax_mpmath(x, -1), "")
SOFTMAX_VJP = BenchOp(
    _vjp_fast,
    lambda x, g: reference_softmax_vjp_mpmath(x, g, -1),
    ", g standard normal",
    lambda rng, rows, dtype: rng.standard_normal((rows, ROW)).astype(np_dtype(dtype)),
)
CROSS_ENTROPY = BenchOp(
    _cross_entropy_fast,
    lambda x, lab: reference_cross_entropy_mpmath(x, lab, -1),
    ", uniform random labels",
)


def _inputs(n: int, dtype: str, seed: int, scale: float, op: BenchOp
            ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = max(1, n // ROW)
    x = (rng.standard_normal((rows, ROW)) * scale).astype(np_dtype(dtype))
    return x, op.extra(rng, rows, dtype)


def _time_fast(
    op: BenchOp, x: np.ndarray, extra: np.ndarray, repeat: int
) -> tuple[float, np.ndarray, SolveStats]:
    best = float("inf")
    y, stats = np.empty(0), SolveStats(0, 0, 0, 0)
    for _ in range(repeat):
        t0 = time.perf_counter()
        y, stats = op.fast(x, extra)
        best = min(best, time.perf_counter() - t0)
    return best, y, stats


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _bench(
    name: str, op: BenchOp, label: str, x: np.ndarray, extra: np.ndarray, subset_rows: int,
    repeat: int,
) -> bool:
    from conformance.oracle.fast import _constants

    _constants()  # the table is built once per process; not part of the rate
    seconds, y, stats = _time_fast(op, x, extra, repeat)
    sub, sub_extra = x[:subset_rows], extra[:subset_rows]
    t0 = time.perf_counter()
    y_mp = op.mp(sub, sub_extra)
    mp_seconds = time.perf_counter() - t0
    agree = _same(y[:subset_rows], y_mp)
    share = stats.mp_elements / max(stats.elements, 1)
    print(
        f"{name} {label}: {x.shape[0]} rows x {x.shape[1]} {x.dtype} values "
        f"({x.size} values), standard normal x {_SCALES[label]:g}{op.second}"
    )
    print(
        f"  oracle (double-double screen + mpmath fallback): {x.size / seconds:,.0f} values/s "
        f"({seconds * 1e3:.1f} ms, best of {repeat})"
    )
    print(
        f"  mpmath alone: {sub.size / mp_seconds:,.0f} values/s (measured on {sub.size} values, "
        f"extrapolated: {x.size / sub.size * mp_seconds:.2f} s for all {x.size})"
    )
    print(
        f"  sent to mpmath: {stats.undecided} undecided elements, {stats.mp_rows} rows, "
        f"{stats.mp_elements} elements ({share:.2e} of all)"
    )
    print(
        f"  agreement with mpmath on the subset: "
        f"{'bit for bit' if agree else 'DIFFERENT (a bug in the oracle)'}"
    )
    return agree


_SCALES = {"logits": 4.0, "wide-spread": 300.0}


def run(ops: dict[str, BenchOp], *, n: int = 100_000, dtype: str = "float64", seed: int = 0,
        mp_values: int = 5_000, repeat: int = 3) -> int:
    """Time each op's oracle on realistic and wide-spread logits; 0 when every fast answer
    agrees with mpmath bit for bit on the subset, 1 otherwise."""
    subset_rows = max(1, mp_values // ROW)
    ok = True
    for name, op in ops.items():
        for label, scale in _SCALES.items():
            x, extra = _inputs(n, dtype, seed, scale, op)
            ok &= _bench(name, op, label, x, extra, subset_rows, repeat)
    return 0 if ok else 1
