"""Metrics of log_softmax, softmax_vjp and cross_entropy outputs against the reference.

The fields are those of softmax's (conformance.measure.softmax_metrics.Metrics), read
the same way by the checks; what each measures for each op:

- log_softmax: ulp error; condition-aware error = |y_i - ref_i| / (eps *
  (1 + |x_i| + sum_j s_j |x_j| + |ref_i|)), the absolute error against what
  rounding x_i, logsumexp(x) and the result itself costs (so y near 0, where
  -1e-39 and 0 differ by a million ulps, is not held to a relative bound no
  log-sum-exp meets; |ref_i| brings in log n, the size of logsumexp of a flat
  row);
  ``row_sum_error`` = |sum exp(y) - 1| (logsumexp of each output row is 0),
  in epsilons of sum_i s_i (1 + |x_i| + sum_j s_j |x_j| + |ref_i|), what the
  elements' own error bounds allow the sum to move; ``out_of_range`` counts y > 0; -inf is
  right where the reference is -inf (a masked element) and a violation
  elsewhere (log(0) of a composed version).
- softmax_vjp: the exact dx can be 0 (g constant along a row), so the error
  is measured against a scale, not the value: scale_i = max(s_i * max_j |g_j|
  * (1 + |x_i| + sum_j s_j |x_j|), tiny). s_i * max|g| bounds |dx_i| / 2
  (conformance.oracle.softmax_vjp_scale); the factor is softmax's own
  condition bound, since every dx_i is a multiple of s_i, which no
  implementation knows better than rounding x_i - max lets it (exp turns an
  absolute error eps |x_i - max| into a relative one); the floor at the
  smallest normal number lets a subnormal dx be off by its own spacing.
  ``max_cond_error`` = max |dx - ref| / (eps * scale); ``row_sum_error`` =
  |sum dx| / (eps * sum scale) per row (dx sums to 0); ``flushed`` counts dx
  returned as 0 where |ref| is below 16 * tiny, and ``max_cond_error_normal``
  is the error over the other elements (a subnormal dx that is not 0 is still
  held to the bound).
- cross_entropy: per-row loss; ulp error and the condition-aware error of
  log_softmax at the label, |loss - ref| / (eps * (1 + |x_label| + sum_j
  s_j |x_j| + |ref|)); ``out_of_range`` counts a negative loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases.dtypes import dtype_name, float_format
from conformance.measure.bounds import summation_allowance
from conformance.measure.records import Metrics, Worst
from conformance.measure.rows import as_rows, first_rows, row_sums, ulp

__all__ = ["cross_entropy_metrics", "log_softmax_metrics", "vjp_metrics"]


def _base(x: np.ndarray, y: np.ndarray, shape: tuple[int, ...], expected_dtype: str
          ) -> tuple[dict[str, Any], np.ndarray | None]:
    out_dtype = dtype_name(y.dtype)
    y64 = y.astype(np.float64) if y.dtype.kind in "fiub" or out_dtype == "bfloat16" else None
    finite_input = bool(np.all(np.isfinite(x.astype(np.float64))))
    nan_count = int(np.count_nonzero(np.isnan(y64))) if y64 is not None else 0
    inf_count = int(np.count_nonzero(np.isinf(y64))) if y64 is not None else 0
    return dict(nan_count=nan_count, inf_count=inf_count,
                nan_on_finite_input=finite_input and (nan_count + inf_count) > 0,
                shape_ok=y.shape == shape, dtype_ok=out_dtype == expected_dtype,
                out_dtype=out_dtype), y64


def _empty(base: dict[str, Any], measurable: bool) -> Metrics:
    zero = 0.0 if measurable else None
    return Metrics(**base, row_sum_error=zero, max_ulp_error=zero, max_cond_error=zero,
                          sums_to_one_along=None, nonfinite_rows=(), zero_rows=(),
                          out_of_range=0 if measurable else None, row_ratio_spread=None,
                          flushed=0 if measurable else None,
                          max_cond_error_normal=zero, worst=None)


def _start(x: np.ndarray, y: np.ndarray, shape: tuple[int, ...], expected_dtype: str):
    """(base fields, y as float64, None), or the metrics to return at once (wrong shape or
    type, nothing to measure)."""
    base, y64 = _base(x, y, shape, expected_dtype)
    if not base["shape_ok"] or y64 is None:
        return base, None, _empty(base, False)
    if y64.size == 0:
        return base, None, _empty(base, True)
    return base, y64, None


def _worst(err: np.ndarray, mask: np.ndarray, y64, ref64, xs, plain) -> Worst | None:
    if not np.any(mask):
        return None
    flat = int(np.argmax(np.where(mask, err, -1.0)))
    idx = np.unravel_index(flat, err.shape)
    return Worst(index=tuple(int(i) for i in idx), got=float(y64[idx]),
                 expected=float(ref64[idx]), x=float(xs[idx]), ulp_error=float(plain[idx]))


def _ulp_err(y64: np.ndarray, ref64: np.ndarray, fmt) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(y64 - ref64) / ulp(np.where(np.isfinite(ref64), ref64, 0.0), fmt)
    same = (y64 == ref64)  # -inf == -inf where the reference is -inf
    err = np.where(same, 0.0, err)
    return np.where(np.isfinite(y64) | same, err, np.inf)


def _kappa_terms(x64: np.ndarray, axis: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """(|x| with infinities as 0, sum_j s_j |x_j| along axis plus the denominator's
    summation allowance for rows of this length, bounds.summation_allowance) in float64."""
    ax = np.where(np.isfinite(x64), np.abs(x64), 0.0)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        m = np.max(np.where(np.isnan(x64), -np.inf, x64), axis=axis, keepdims=True)
        e = np.exp(x64 - np.where(np.isfinite(m), m, 0.0))
        s = e / np.sum(e, axis=axis, keepdims=True)
        weighted = np.sum(np.where(s > 0, s * ax, 0.0), axis=axis, keepdims=True)
    return ax, weighted + summation_allowance(x64.shape[axis], dtype)


def _log_unit(terms: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    """1 + |x_i| + sum_j s_j |x_j| + |ref_i| (``terms`` holds the |x| parts): what a log-sum-exp
    may be off by, in epsilons."""
    with np.errstate(invalid="ignore", over="ignore"):
        return 1.0 + terms + np.where(np.isfinite(ref64), np.abs(ref64), 0.0)


def _abs_cond_err(y64, ref64, unit, err, fmt) -> np.ndarray:
    """|y - ref| / (eps * unit) (unit from _log_unit); 0 where both are the same -inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.abs(y64 - ref64) / (fmt.eps * unit)
    out = np.where(y64 == ref64, 0.0, out)
    # a non-finite y that is not the reference's own -inf, or a NaN error, is infinitely off;
    # a finite y is judged by the absolute bound even where its ulp error overflows (ref 0)
    return np.where(~np.isfinite(y64) | np.isnan(out), np.where(err == 0, 0.0, np.inf), out)


def log_softmax_metrics(x: np.ndarray, y: np.ndarray, ref: np.ndarray, axis: int,
                        expected_dtype: str) -> Metrics:
    fmt = float_format(expected_dtype)
    base, y64, early = _start(x, y, x.shape, expected_dtype)
    if early is not None:
        return early
    ref64 = ref.astype(np.float64)
    defined = ~np.isnan(ref64)
    err = np.where(defined, _ulp_err(y64, ref64, fmt), 0.0)
    ax, weighted = _kappa_terms(x.astype(np.float64), axis, expected_dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        terms = ax + weighted
    unit = _log_unit(terms, ref64)
    cond_err = _abs_cond_err(y64, ref64, unit, err, fmt)
    defined_rows = np.all(as_rows(defined, axis), axis=1)
    # each y_i may be off by bound * eps * unit_i, which moves sum(exp(y)) by s_i times that:
    # the row's error is in epsilons of sum_i s_i unit_i (s_i = exp(ref_i))
    with np.errstate(over="ignore", invalid="ignore"):
        weight = np.exp(ref64)  # 0 * inf (a masked element beside a huge |x|) is 0
        moved = np.where(weight > 0, weight * unit, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        off = row_sums(np.exp(as_rows(y64, axis)[defined_rows]), 1.0)
        scale = fmt.eps * np.maximum(row_sums(as_rows(moved, axis)[defined_rows]), 1.0)
        # inf for |x| near the max; an exp(y) sum that is not finite is infinitely off
        sums = np.where(np.isfinite(off), np.abs(off) / scale, np.inf).tolist()
    bad = defined & np.isfinite(ref64) & ~np.isfinite(y64)
    base["nan_on_finite_input"] = base["nan_on_finite_input"] and bool(np.any(bad))
    return Metrics(
        **base,
        row_sum_error=max(sums) if sums else None,
        max_ulp_error=float(np.max(err)) if np.any(defined) else None,
        max_cond_error=float(np.max(cond_err)) if np.any(defined) else None,
        sums_to_one_along=None,
        nonfinite_rows=first_rows(np.any(as_rows(bad, axis), axis=1)),
        zero_rows=(),
        out_of_range=int(np.count_nonzero(defined & (y64 > 0))),
        row_ratio_spread=None,
        flushed=0,
        max_cond_error_normal=float(np.max(cond_err)) if np.any(defined) else None,
        worst=_worst(cond_err, defined, y64, ref64, x.astype(np.float64), err),
    )


def vjp_metrics(x: np.ndarray, y: np.ndarray, ref: np.ndarray, scale: np.ndarray, axis: int,
                expected_dtype: str) -> Metrics:
    fmt = float_format(expected_dtype)
    base, y64, early = _start(x, y, x.shape, expected_dtype)
    if early is not None:
        return early
    ref64 = ref.astype(np.float64)
    defined = ~np.isnan(ref64)
    plain = np.where(defined, _ulp_err(y64, ref64, fmt), 0.0)
    x64 = x.astype(np.float64)
    ax, weighted = _kappa_terms(x64, axis, expected_dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        # 0 * inf (s_i = 0 beside an |x| near the float64 maximum) is 0, not NaN
        scale = np.maximum(np.where(scale > 0, scale * (1.0 + ax + weighted), 0.0), fmt.tiny)
        scaled = np.abs(y64 - ref64) / (fmt.eps * scale)
    scaled = np.where(y64 == ref64, 0.0, scaled)
    scaled = np.where(np.isfinite(y64) & ~np.isnan(scaled), scaled, np.inf)
    scaled = np.where(defined, scaled, 0.0)
    small = defined & (ref64 != 0) & (np.abs(ref64) < 16 * fmt.tiny)
    defined_rows = np.all(as_rows(defined, axis), axis=1)
    total = row_sums(as_rows(y64, axis)[defined_rows])
    size = row_sums(as_rows(scale, axis)[defined_rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = np.where(~np.isfinite(total), np.inf,
                        np.where(size > 0, np.abs(total) / (fmt.eps * size),
                                 np.where(total == 0, 0.0, np.inf))).tolist()
    bad = defined & ~np.isfinite(y64)
    # rows of zeros where the exact dx is not all 0 (the softmax they multiply by collapsed,
    # or every dx was subnormal and flushed: mechanisms.numeric_findings tells which)
    yrows, rrows = as_rows(y64, axis), as_rows(np.where(defined, ref64, 0.0), axis)
    zero = defined_rows & np.all(yrows == 0, axis=1) & np.any(rrows != 0, axis=1)
    return Metrics(
        **base,
        row_sum_error=max(sums) if sums else None,
        max_ulp_error=float(np.max(plain)) if np.any(defined) else None,
        max_cond_error=float(np.max(scaled)) if np.any(defined) else None,
        sums_to_one_along=None,
        nonfinite_rows=first_rows(np.any(as_rows(bad, axis), axis=1)),
        zero_rows=first_rows(zero),
        out_of_range=0,
        row_ratio_spread=None,
        flushed=int(np.count_nonzero(small & (y64 == 0))),
        max_cond_error_normal=float(np.max(np.where(small & (y64 == 0), 0.0, scaled)))
        if np.any(defined) else None,
        worst=_worst(scaled, defined, y64, ref64, x64, plain),
    )


def cross_entropy_metrics(x: np.ndarray, labels: np.ndarray, y: np.ndarray, ref: np.ndarray,
                          axis: int, expected_dtype: str) -> Metrics:
    fmt = float_format(expected_dtype)
    base, y64, early = _start(x, y, labels.shape, expected_dtype)
    if early is not None:
        return early
    ref64 = ref.astype(np.float64)
    defined = ~np.isnan(ref64)
    err = np.where(defined, _ulp_err(y64, ref64, fmt), 0.0)
    x64 = x.astype(np.float64)
    ax, weighted = _kappa_terms(x64, axis, expected_dtype)
    x_label = np.take_along_axis(x64, np.expand_dims(labels, axis), axis=axis).squeeze(axis)
    ax_label = np.where(np.isfinite(x_label), np.abs(x_label), 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        terms = ax_label + weighted.squeeze(axis)
    cond_err = _abs_cond_err(y64, ref64, _log_unit(terms, ref64), err, fmt)
    bad = defined & np.isfinite(ref64) & ~np.isfinite(y64)
    base["nan_on_finite_input"] = base["nan_on_finite_input"] and bool(np.any(bad))
    return Metrics(
        **base,
        row_sum_error=None,
        max_ulp_error=float(np.max(err)) if np.any(defined) else None,
        max_cond_error=float(np.max(cond_err)) if np.any(defined) else None,
        sums_to_one_along=None,
        nonfinite_rows=first_rows(bad.ravel()),
        zero_rows=(),
        out_of_range=int(np.count_nonzero(defined & (y64 < 0))),
        row_ratio_spread=None,
        flushed=0,
        max_cond_error_normal=float(np.max(cond_err)) if np.any(defined) else None,
        worst=_worst(cond_err, defined, y64, ref64, x_label, err),
    )
