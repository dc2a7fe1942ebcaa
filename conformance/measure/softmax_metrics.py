"""Metrics of one softmax output against the correctly rounded reference."""

from __future__ import annotations

from typing import Any

import numpy as np

from cases.dtypes import Format, dtype_name, float_format
from conformance.measure.bounds import DEFAULT, summation_allowance
from conformance.measure.records import Metrics, Worst
from conformance.measure.rows import as_rows, first_rows, row_sums, ulp

__all__ = ["softmax_metrics"]


def _row_sum_errors(y64: np.ndarray, axis: int, eps: float) -> np.ndarray:
    """|sum of each row - 1| in epsilons; NaN where a row sums to NaN."""
    return np.abs(row_sums(as_rows(y64, axis), 1.0)) / eps


def _other_axes_summing_to_one(y64: np.ndarray, axis: int, eps: float) -> tuple[str, ...]:
    """Axes other than ``axis`` (and "all") along which every slice sums to one.

    "each-element" when every output is 1: each element was normalised alone
    (a reduction over a length-1 axis).
    """
    if y64.shape[axis] > 1 and np.all(y64 == 1):
        return ("each-element",)
    # A diagnosis, not a verdict: sqrt(eps) tells which axis was normalised
    # even when that normalisation is itself inaccurate.
    tol = np.sqrt(eps) / eps
    found = []
    for other in range(y64.ndim):
        if other == axis % y64.ndim:
            continue
        errs = _row_sum_errors(y64, other, eps)
        if errs.size and np.all(errs <= tol):
            found.append(str(other))
    if y64.ndim > 1:
        total = float(np.abs(row_sums(y64.reshape(1, -1), 1.0))[0]) / eps
        if total <= tol:
            found.append("all")
    return tuple(found)


def _ratio_spread(xrows: np.ndarray, yrows: np.ndarray, bad: np.ndarray, fmt: Format
                  ) -> float | None:
    """In rows whose sum is off: how far y_i / exp(x_i - max) varies along the row.

    A softmax normalised along the right axis, however inaccurately, keeps the
    ratios exp(x_i - x_j) between a row's outputs (spread near 0); one that
    divides a row's elements by different sums (a wrong axis) does not.
    """
    worst = None
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for xr, yr in zip(xrows[bad], yrows[bad], strict=True):
            e = np.exp(xr - np.max(xr))
            keep = np.isfinite(yr) & (yr >= 16 * fmt.tiny) & (e >= 1e-30)
            if np.count_nonzero(keep) < 2:
                continue
            r = yr[keep] / e[keep]
            spread = float(r.max() / r.min() - 1)
            worst = spread if worst is None else max(worst, spread)
    return worst


def _condition_bound(x64: np.ndarray, s: np.ndarray, axis: int, dtype: str) -> np.ndarray:
    """1 + |x_i| + sum_j s_j |x_j| along axis (infinite or zero-weight terms left out), plus
    the denominator's summation allowance for rows of this length (bounds.summation_allowance)."""
    ax = np.where(np.isfinite(x64), np.abs(x64), 0.0)
    weighted = np.where(s > 0, s * ax, 0.0)
    sigma = summation_allowance(x64.shape[axis], dtype)
    return 1.0 + sigma + ax + np.sum(weighted, axis=axis, keepdims=True)


def softmax_metrics(
    x: np.ndarray, y: np.ndarray, ref: np.ndarray, axis: int, expected_dtype: str
) -> Metrics:
    """Measure ``y = softmax(x, axis)`` against the correctly rounded ``ref``.

    ``ref`` is NaN where the exact value is undefined (a row with NaN or +inf,
    a fully masked row); those elements are left out of the accuracy and
    row-sum metrics (their behaviour is a convention, recorded elsewhere).
    """
    fmt = float_format(expected_dtype)
    out_dtype = dtype_name(y.dtype)
    y64 = y.astype(np.float64) if y.dtype.kind in "fiub" or out_dtype == "bfloat16" else None
    x64 = x.astype(np.float64)
    finite_input = bool(np.all(np.isfinite(x64)))
    if y64 is None:
        nan_count = inf_count = 0
    else:
        nan_count = int(np.count_nonzero(np.isnan(y64)))
        inf_count = int(np.count_nonzero(np.isinf(y64)))
    shape_ok = y.shape == x.shape
    base: dict[str, Any] = dict(
        nan_count=nan_count,
        inf_count=inf_count,
        nan_on_finite_input=finite_input and (nan_count + inf_count) > 0,
        shape_ok=shape_ok,
        dtype_ok=out_dtype == expected_dtype,
        out_dtype=out_dtype,
    )
    if not shape_ok or y64 is None:
        return Metrics(
            **base,
            row_sum_error=None,
            max_ulp_error=None,
            max_cond_error=None,
            sums_to_one_along=None,
            nonfinite_rows=(),
            zero_rows=(),
            out_of_range=None,
            row_ratio_spread=None,
            flushed=None,
            max_cond_error_normal=None,
            worst=None,
        )
    ref64 = ref.astype(np.float64)
    defined = ~np.isnan(ref64)
    if y64.size == 0:
        return Metrics(
            **base,
            row_sum_error=0.0,
            max_ulp_error=0.0,
            max_cond_error=0.0,
            sums_to_one_along=(),
            nonfinite_rows=(),
            zero_rows=(),
            out_of_range=0,
            row_ratio_spread=None,
            flushed=0,
            max_cond_error_normal=0.0,
            worst=None,
        )
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(y64 - ref64) / ulp(ref64, fmt)
    err = np.where(np.isfinite(y64), err, np.inf)
    err = np.where(defined, err, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        cond = _condition_bound(x64, np.where(defined, ref64, 0.0), axis, expected_dtype)
        cond_err = np.where(np.isinf(err), np.inf, err / cond)

    # subnormal, or within 16x of the smallest normal, where FTZ exp kernels lose values too
    subnormal = defined & (ref64 != 0) & (np.abs(ref64) < 16 * fmt.tiny)
    defined_rows = np.all(as_rows(defined, axis), axis=1)
    sums = _row_sum_errors(y64, axis, fmt.eps)
    sums = np.where(np.isnan(sums), np.inf, sums)
    row_sum_error = float(np.max(sums[defined_rows])) if np.any(defined_rows) else None
    yrows = as_rows(y64, axis)
    nonfinite_rows = first_rows(defined_rows & ~np.all(np.isfinite(yrows), axis=1))
    zero_rows = first_rows(defined_rows & np.all(yrows == 0, axis=1))
    sums_to_one_along = spread = None
    row_bound = DEFAULT.row_sum_bound(x.shape[axis], expected_dtype)
    if row_sum_error is not None and row_sum_error > row_bound:
        sums_to_one_along = _other_axes_summing_to_one(y64, axis, fmt.eps)
        spread = _ratio_spread(as_rows(x64, axis), yrows, sums > row_bound, fmt)

    worst = None
    if np.any(defined):
        flat = int(np.argmax(np.where(defined, cond_err, -1.0)))
        idx = np.unravel_index(flat, y.shape)
        worst = Worst(
            index=tuple(int(i) for i in idx),
            got=float(y64[idx]),
            expected=float(ref64[idx]),
            x=float(x64[idx]),
            ulp_error=float(err[idx]),
        )
    return Metrics(
        **base,
        row_sum_error=row_sum_error,
        max_ulp_error=float(np.max(err)) if np.any(defined) else None,
        max_cond_error=float(np.max(cond_err)) if np.any(defined) else None,
        sums_to_one_along=sums_to_one_along,
        nonfinite_rows=nonfinite_rows,
        zero_rows=zero_rows,
        out_of_range=int(np.count_nonzero(defined & ((y64 < 0) | (y64 > 1)))),
        row_ratio_spread=spread,
        flushed=int(np.count_nonzero(subnormal & (y64 == 0))),
        max_cond_error_normal=float(np.max(np.where(subnormal, 0.0, cond_err))),
        worst=worst,
    )
