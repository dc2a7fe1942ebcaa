"""Which mechanism explains an output that is finite but off: cause codes from the output
itself, each a test that the implementation's own values pass.

An op record (conformance.ops) lists the explanations that apply to it, in the order the
diagnosis tries them; each takes the case, the output ``y`` and the correctly rounded
reference ``ref`` in the dtype the output is measured in, and returns a cause code or
None. They are consistent with the outputs by construction: each names a mechanism only
when the values show its signature (values of a narrower type, a floor, a wrong slope,
one factor shared by a whole row, the mass of a block, exp of a rounded x - lse).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cases.dtypes import FLOAT_DTYPES, float_format, np_dtype
from cases.model import Case
from conformance.measure.bounds import summation_allowance
from conformance.measure.rows import as_rows, ulp

__all__ = [
    "Explanation",
    "clipped_log",
    "clipped_loss",
    "clipped_probabilities",
    "denominator_factor",
    "denominator_shift",
    "division_free",
    "downcast",
    "normalised_elsewhere",
    "wrong_scale",
    "wrong_scale_log",
]

Explanation = Callable[[Case, np.ndarray, np.ndarray, str], "str | None"]

# narrower types an output of each dtype may have been computed in
_NARROWER = {"float64": ("float32", "bfloat16", "float16"), "float32": ("bfloat16", "float16"),
             "bfloat16": (), "float16": ()}


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float64)


def downcast(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """Every output is a value of a narrower type while the exact answer is not: computed
    in float32 (or a 16-bit type) and cast back."""
    y64, r64 = _f64(y), _f64(ref)
    keep = np.isfinite(y64) & np.isfinite(r64) & (y64 != 0) & (np.abs(r64) > 0)
    if np.count_nonzero(keep) < 2 or dtype not in FLOAT_DTYPES:
        return None
    for narrow in _NARROWER.get(dtype, ()):
        nt = np_dtype(narrow)
        with np.errstate(over="ignore", under="ignore"):
            in_narrow = y64[keep].astype(nt).astype(np.float64) == y64[keep]
            ref_narrow = r64[keep].astype(nt).astype(np.float64) == r64[keep]
        if np.all(in_narrow) and not np.all(ref_narrow):
            return "downcast"
    return None


def _floor(y64: np.ndarray, r64: np.ndarray, lowest: bool, rel: float, gap: float,
           distinct: int = 2) -> bool:
    """Do the outputs stop at one value (a floor, or a ceiling) that exact answers pass by
    more than ``gap`` (relative): at least two different exact values beyond it, and every
    output whose exact value is beyond it sits at it (many values onto one: a clip)?"""
    keep = np.isfinite(y64) & np.isfinite(r64)
    if not np.any(keep):
        return False
    ys, rs = y64[keep], r64[keep]
    level = float(np.min(ys) if lowest else np.max(ys))
    size = max(abs(level), 1e-300)
    beyond = (rs < level - gap * size) if lowest else (rs > level + gap * size)
    if np.unique(rs[beyond]).size < distinct or ys.size < 2:
        return False
    at_level = np.abs(ys[beyond] - level) <= rel * size
    return bool(np.all(at_level))


def clipped_probabilities(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str
                          ) -> str | None:
    """Probabilities floored (clip(p, eps, ...)) or capped below 1 where the exact ones pass
    the floor or the cap."""
    y64, r64 = _f64(y), _f64(ref)
    fmt = float_format(dtype)
    finite = y64[np.isfinite(y64)]
    if finite.size == 0:
        return None
    # a floor in the normal range that exact values pass by half of it (rounding into the
    # subnormal range is no floor); a cap below 1 they pass by more than 4 ulps
    if np.min(finite) >= 16 * fmt.tiny and _floor(y64, r64, True, 4 * fmt.eps, 0.5):
        return "clipping"
    if np.max(finite) < 1 and _floor(y64, r64, False, 4 * fmt.eps, 4 * fmt.eps):
        return "clipping"
    return None


def clipped_log(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """Log-probabilities floored (max(logp, -100), or log(p + eps)) where the exact ones are
    below the floor."""
    y64, r64 = _f64(y), _f64(ref)
    return "clipping" if _floor(y64, r64, True, 1e-3, 0.05) else None


def clipped_loss(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """Losses capped (-log(clip(p, eps))) where the exact ones pass the cap (one loss a row:
    a single row beyond the cap, among others, is enough)."""
    y64, r64 = _f64(y), _f64(ref)
    return "clipping" if _floor(y64, r64, False, 1e-3, 0.05, distinct=1) else None


def _slopes(case: Case, values: np.ndarray, ref: np.ndarray, dtype: str
            ) -> np.ndarray | None:
    """Per element, (v_i - v_k) / (x_i - x_k) against each row's largest input k, where v is
    the output in the log domain; None when too few elements carry the slope."""
    fmt = float_format(dtype)
    x = as_rows(_f64(case.x), case.axis)
    v = as_rows(values, case.axis)
    r = as_rows(ref, case.axis)
    if x.size == 0 or x.shape[1] < 2:
        return None
    k = np.argmax(np.where(np.isfinite(x), x, -np.inf), axis=1)[:, None]
    with np.errstate(invalid="ignore"):
        dx = x - np.take_along_axis(x, k, axis=1)
        dv = v - np.take_along_axis(v, k, axis=1)
    # elements whose value and exact value are normal, at least 1 below the max
    use = np.isfinite(dv) & np.isfinite(dx) & (dx <= -1.0) & np.isfinite(r)
    use &= np.abs(r) > fmt.tiny * 16
    if np.count_nonzero(use) < 2:
        return None
    return dv[use] / dx[use]


def _scale_off(slopes: np.ndarray | None, dtype: str) -> bool:
    if slopes is None:
        return False
    c = float(np.median(slopes))
    spread = float(np.max(np.abs(slopes - c)))
    return abs(c - 1.0) > 1e3 * float_format(dtype).eps and spread < abs(c - 1.0) / 4


def wrong_scale(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """The outputs are exp(c (x - max)) normalised with c != 1: a temperature or scale
    applied where it does not belong (log y_i - log y_k = c (x_i - x_k))."""
    y64, r64 = _f64(y), _f64(ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        logy = np.log(np.where(y64 > 0, y64, np.nan))
    return "wrong-scale" if _scale_off(_slopes(case, logy, r64, dtype), dtype) else None


def wrong_scale_log(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """log-probabilities c (x - max) - log(sum) with c != 1."""
    y64, r64 = _f64(y), _f64(ref)
    return "wrong-scale" if _scale_off(_slopes(case, y64, r64, dtype), dtype) else None


def _block_code(masses: np.ndarray, share: float, grew: bool) -> str | None:
    """Is ``share`` (the part of the sum lost, or added) the mass of one aligned block of a
    blocked sum? ``masses`` is a row of exact probabilities."""
    n = masses.size
    size = 8
    while size < n:
        blocks = np.add.reduceat(masses, np.arange(0, n, size))
        if np.any(np.abs(blocks - share) <= 1e-3 * share):
            return "double-counted-block" if grew else "dropped-block"
        size *= 2
    return None


def _classify_factor(case: Case, factor: float, ref_row: np.ndarray, dtype: str
                     ) -> str | None:
    """Name what makes one whole row off by ``factor`` (y = factor * exact)."""
    fmt = float_format(dtype)
    off = abs(factor - 1.0)
    n = case.shape[case.axis]
    if off <= fmt.eps:
        return None
    # the denominator S' = S / factor: a block lost (factor > 1) or added twice (< 1); a
    # share within rounding of the sum's own error is no block
    share = (1.0 - 1.0 / factor) if factor > 1 else (1.0 / factor - 1.0)
    if share > 1e-6:
        block = _block_code(ref_row, share, grew=factor < 1)
        if block:
            return block
    acc_eps = float_format("float32").eps if fmt.precision < 24 else fmt.eps
    if fmt.precision < 24 and off > 4 * acc_eps * max(n, 1):
        return "low-precision-accumulation"
    if off > acc_eps * max(n, 1):
        return "denominator-offset"  # more than any accumulation of n terms could lose
    if off > fmt.eps * (4 + summation_allowance(n, dtype)) or n >= 1024:
        return "in-order-accumulation"
    return None


def _common_factor(case: Case, ratios: np.ndarray, ref: np.ndarray, dtype: str
                   ) -> str | None:
    """Rows whose every output is off by one factor: the denominator is off. ``ratios`` is
    y / exact per element (NaN where it says nothing)."""
    fmt = float_format(dtype)
    rr = as_rows(ratios, case.axis)
    refs = as_rows(_f64(ref), case.axis)
    for row, ref_row in zip(rr, refs, strict=True):
        use = np.isfinite(row)
        if np.count_nonzero(use) < 2:
            continue
        c = float(np.median(row[use]))
        spread = float(np.max(np.abs(row[use] - c)))
        if not (np.isfinite(c) and c > 0):
            continue
        if abs(c - 1.0) > 8 * fmt.eps and spread <= max(abs(c - 1.0) / 4, 4 * fmt.eps):
            code = _classify_factor(case, c, np.where(np.isfinite(ref_row), ref_row, 0.0),
                                    dtype)
            if code:
                return code
    return None


def denominator_factor(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str
                       ) -> str | None:
    """softmax: y_i / exact_i the same along a row (elements of normal size)."""
    y64, r64 = _f64(y), _f64(ref)
    fmt = float_format(dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratios = np.where(np.abs(r64) >= 16 * fmt.tiny, y64 / r64, np.nan)
    return _common_factor(case, ratios, r64, dtype)


def denominator_shift(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str
                      ) -> str | None:
    """log_softmax: y_i - exact_i the same along a row: log of a denominator off by a
    factor."""
    y64, r64 = _f64(y), _f64(ref)
    with np.errstate(over="ignore", invalid="ignore"):
        ratios = np.where(np.isfinite(r64), np.exp(r64 - y64), np.nan)
        probs = np.exp(r64)
    return _common_factor(case, ratios, probs, dtype)


def division_free(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """softmax as exp(x - logsumexp(x)) without a division: reproduced within 4 ulps by
    computing just that in the dtype, while the exact answer is further off."""
    if case.x.size == 0 or case.dtype not in FLOAT_DTYPES:
        return None
    fmt = float_format(dtype)
    x = case.x.astype(np_dtype(dtype))
    with np.errstate(all="ignore"):
        m = np.max(x, axis=case.axis, keepdims=True)
        lse = m + np.log(np.sum(np.exp(x - m), axis=case.axis, keepdims=True))
        sim = _f64(np.exp(x - lse))
    y64, r64 = _f64(y), _f64(ref)
    use = np.isfinite(sim) & np.isfinite(y64) & (np.abs(r64) >= 16 * fmt.tiny)
    if not np.any(use):
        return None
    tol = 4 * ulp(sim[use], fmt)
    explained = np.abs(y64[use] - sim[use]) <= tol
    exact_off = np.abs(y64[use] - r64[use]) > tol
    return "division-free" if np.all(explained) and np.any(exact_off) else None


def normalised_elsewhere(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str
                         ) -> str | None:
    """log_softmax normalised along another axis: logsumexp of the output is 0 along an
    axis other than the case's (and not along it)."""
    y64 = _f64(y)
    if y64.ndim < 2 or not np.all(np.isfinite(y64)):
        return None
    axis = case.axis % y64.ndim

    def lse_off(a: int) -> float:
        """The largest |logsumexp| of the output along axis a."""
        with np.errstate(over="ignore", under="ignore"):
            m = np.max(y64, axis=a, keepdims=True)
            lse = m + np.log(np.sum(np.exp(y64 - m), axis=a, keepdims=True))
        return float(np.max(np.abs(lse)))

    if lse_off(axis) <= 1e-3:
        return None
    others = (a for a in range(y64.ndim) if a != axis)
    return "wrong-axis" if any(lse_off(a) <= 1e-3 for a in others) else None
