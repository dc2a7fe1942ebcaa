"""``reference_softmax``: the fast screen, with the mpmath path for what it leaves undecided."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conformance.oracle.fast import screen_rows
from conformance.oracle.mp import softmax_rows_mp
from conformance.oracle.rows import Rows, float64_exact_rows, from_rows, to_rows, undefined_rows

__all__ = ["SolveStats", "reference_softmax", "solve_rows"]


@dataclass(frozen=True)
class SolveStats:
    """How one call was answered: elements in all, and those that went to mpmath."""

    elements: int
    undecided: int  # elements the fast screen could not prove
    mp_rows: int  # rows recomputed with mpmath (undecided, or integers beyond 2**53)
    mp_elements: int  # elements computed by mpmath (whole rows, or the undecided ones)


def solve_rows(rows: Rows) -> tuple[np.ndarray, SolveStats]:
    """The correctly rounded softmax of every row, as float64 ``(m, n)``, and statistics."""
    values = rows.values
    out = np.empty(values.shape, dtype=np.float64)
    if values.size == 0:
        return out, SolveStats(0, 0, 0, 0)
    bad = undefined_rows(values)
    fits = float64_exact_rows(values)
    fast = ~bad & fits
    slow = ~bad & ~fits
    out[bad] = np.nan
    undecided = 0
    if fast.all():
        out, ok = screen_rows(values.astype(np.float64, copy=False), rows.fmt)
    elif fast.any():
        out[fast], ok_fast = screen_rows(values[fast].astype(np.float64), rows.fmt)
        ok = np.ones(values.shape, dtype=bool)
        ok[fast] = ok_fast
    else:
        ok = np.ones(values.shape, dtype=bool)
    retry = ~ok.all(axis=1)
    undecided = int(values.size - np.count_nonzero(ok))
    slow |= retry
    which = np.flatnonzero(slow)
    for r, y in softmax_rows_mp(values, rows.fmt, which).items():
        out[r] = y
    n = values.shape[1]
    return out, SolveStats(int(values.size), undecided, len(which), len(which) * n)


def reference_softmax(x: np.ndarray, axis: int, out_dtype: str | None = None) -> np.ndarray:
    """Correctly rounded softmax of ``x`` along ``axis``, as ``out_dtype``.

    Each input element is the exact real number it stores.  Each output
    element is the exact softmax rounded once, to nearest with ties to even,
    directly into the output format (subnormals and underflow to 0 included).
    ``out_dtype`` defaults to the input's float dtype, float64 for integers.
    A row (1-D slice along ``axis``) holding a NaN or a +inf, or only -inf,
    gives all NaN; -inf elements of other rows give exactly 0.  Empty input
    gives an empty output of the same shape.

    Computed by a double-double screen with a proved error bound
    (:mod:`conformance.oracle.fast`); the few elements it cannot decide, and
    integer rows not exact in float64, are computed by mpmath with Ziv's
    strategy (:mod:`conformance.oracle.mp`).
    """
    rows = to_rows(x, axis, out_dtype)
    out, _ = solve_rows(rows)
    return from_rows(out, rows)
