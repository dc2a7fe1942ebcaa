"""``reference_log_softmax`` and ``reference_cross_entropy``: fast screen, mpmath for the rest."""

from __future__ import annotations

import numpy as np

from cases.dtypes import dtype_name, np_dtype
from conformance.oracle.fast_log import screen_log_softmax
from conformance.oracle.mp_log import log_softmax_rows_mp
from conformance.oracle.reference import SolveStats
from conformance.oracle.rows import Rows, float64_exact_rows, from_rows, to_rows, undefined_rows
from conformance.oracle.solve import finish, undecided_columns

__all__ = [
    "label_rows",
    "reference_cross_entropy",
    "reference_cross_entropy_mpmath",
    "reference_log_softmax",
    "reference_log_softmax_mpmath",
    "solve_cross_entropy",
    "solve_log_softmax",
]


def solve_log_softmax(rows: Rows, *, use_fast: bool = True) -> tuple[np.ndarray, SolveStats]:
    """The correctly rounded log_softmax of every row, as float64 ``(m, n)``, and statistics."""
    values = rows.values
    out = np.empty(values.shape, dtype=np.float64)
    if values.size == 0:
        return out, SolveStats(0, 0, 0, 0)
    bad = undefined_rows(values)
    fast = ~bad & float64_exact_rows(values) if use_fast else np.zeros(len(bad), dtype=bool)
    out[bad] = np.nan
    slow = ~bad & ~fast
    cols: dict[int, list[int]] = {}
    if fast.any():
        o, ok = screen_log_softmax(values[fast].astype(np.float64, copy=False), rows.fmt)
        out[fast] = o
        cols = undecided_columns(np.flatnonzero(fast), ok)
    return finish(out, values, rows, slow, cols, log_softmax_rows_mp)


def reference_log_softmax(x: np.ndarray, axis: int, out_dtype: str | None = None) -> np.ndarray:
    """Correctly rounded log_softmax of ``x`` along ``axis``, as ``out_dtype``.

    ``y = x - logsumexp(x, axis)`` with each input element the exact real
    number it stores, rounded once, to nearest with ties to even, into the
    output format.  ``out_dtype`` defaults to the input's float dtype,
    float64 for integers.  A row holding a NaN or a +inf, or only -inf, gives
    all NaN; a -inf element of another row gives -inf.  ``y`` is exactly 0
    (``+0.0``) only for the one finite element of a row (a row of one
    element, or all others -inf); otherwise it is negative: ``-0.0`` when it
    lies above minus half the smallest subnormal, ``-inf`` when it lies
    below ``-(max + ulp/2)`` of the format (IEEE overflow: finite input can
    give ``-inf``, e.g. ``[1e308, -1e308]`` in float64 or ``[6e4, -6e4]``
    in float16).  Empty input gives an empty output.

    Computed by the double-double screen of
    :mod:`conformance.oracle.fast_log` (a proved error bound per element);
    what it cannot decide, and integer rows not exact in float64, by mpmath
    with Ziv's strategy (:mod:`conformance.oracle.mp_log`).
    """
    rows = to_rows(x, axis, out_dtype, op="log_softmax")
    out, _ = solve_log_softmax(rows)
    return from_rows(out, rows)


def reference_log_softmax_mpmath(
    x: np.ndarray, axis: int, out_dtype: str | None = None
) -> np.ndarray:
    """:func:`reference_log_softmax` by mpmath alone (the baseline)."""
    rows = to_rows(x, axis, out_dtype, op="log_softmax")
    out, _ = solve_log_softmax(rows, use_fast=False)
    return from_rows(out, rows)


def label_rows(labels: np.ndarray, rows: Rows, logits_shape: tuple[int, ...]) -> np.ndarray:
    """Validate ``labels`` against the rows of the logits; the label of each row, int64 ``(m,)``."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"reference cross_entropy: labels of dtype={dtype_name(labels.dtype)}: "
            "expected an integer dtype"
        )
    expected = rows.moved_shape[:-1]
    if labels.shape != expected:
        raise ValueError(
            f"reference cross_entropy: labels of shape {labels.shape} for logits of shape "
            f"{logits_shape} along axis={rows.axis}: expected labels of shape {expected}"
        )
    flat = labels.reshape(-1)
    n = rows.values.shape[1]
    wrong = (flat < 0) | (flat >= n)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        where = tuple(int(j) for j in np.unravel_index(i, labels.shape)) if labels.ndim else ()
        raise ValueError(
            f"reference cross_entropy: labels[{', '.join(map(str, where))}]={int(flat[i])} is "
            f"out of range for {n} classes along axis={rows.axis}: expected 0 <= label < {n}"
        )
    return flat.astype(np.int64)


def solve_cross_entropy(
    rows: Rows, labels: np.ndarray, *, use_fast: bool = True
) -> tuple[np.ndarray, SolveStats]:
    """The correctly rounded loss of every row (float64 ``(m,)``) and statistics."""
    values = rows.values
    m = values.shape[0]
    y = np.empty(m, dtype=np.float64)
    if m == 0:
        return y, SolveStats(0, 0, 0, 0)
    bad = undefined_rows(values)
    fast = ~bad & float64_exact_rows(values) if use_fast else np.zeros(m, dtype=bool)
    y[bad] = np.nan
    slow = ~bad & ~fast
    undecided = 0
    if fast.any():
        o, ok = screen_log_softmax(
            values[fast].astype(np.float64, copy=False), rows.fmt, labels[fast]
        )
        y[fast] = o
        undecided = int(ok.size - np.count_nonzero(ok))
        retry = np.zeros(m, dtype=bool)
        retry[fast] = ~ok
        slow |= retry
    which = np.flatnonzero(slow)
    labels_of = {int(r): [int(labels[r])] for r in which}
    for r, v in log_softmax_rows_mp(values, rows.fmt, which, labels_of).items():
        y[r] = v[0]
    loss = 0.0 - y  # exact negation; -0.0 becomes +0.0, NaN stays NaN
    return loss, SolveStats(m, undecided, len(which), len(which) * values.shape[1])


def _cross_entropy(
    logits: np.ndarray,
    labels: np.ndarray,
    axis: int,
    out_dtype: str | None,
    use_fast: bool,
) -> np.ndarray:
    x = np.asarray(logits)
    rows = to_rows(x, axis, out_dtype, op="cross_entropy")
    lab = label_rows(labels, rows, x.shape)
    loss, _ = solve_cross_entropy(rows, lab, use_fast=use_fast)
    return loss.reshape(rows.moved_shape[:-1]).astype(np_dtype(rows.out_name), copy=False)


def reference_cross_entropy(
    logits: np.ndarray, labels: np.ndarray, axis: int, out_dtype: str | None = None
) -> np.ndarray:
    """Correctly rounded per-row cross-entropy ``logsumexp(row) - row[label]``.

    ``labels`` is an integer array with the shape of ``logits`` without
    ``axis``; the result has that shape and ``out_dtype`` (default: the
    logits' float dtype, float64 for integers).  The loss is
    ``-log_softmax(row)[label]``, rounded once from the exact value (it is
    ``>= 0``; exact 0 and values below half the smallest subnormal give
    ``+0.0``; beyond the format's range ``+inf``).  A row holding a NaN or a
    +inf, or only -inf, gives NaN; a label at a -inf logit of another row
    gives ``+inf``.  A label outside ``0 <= label < n`` raises ValueError
    naming it; labels of the wrong shape or dtype raise ValueError/TypeError.
    """
    return _cross_entropy(logits, labels, axis, out_dtype, True)


def reference_cross_entropy_mpmath(
    logits: np.ndarray, labels: np.ndarray, axis: int, out_dtype: str | None = None
) -> np.ndarray:
    """:func:`reference_cross_entropy` by mpmath alone (the baseline)."""
    return _cross_entropy(logits, labels, axis, out_dtype, False)
