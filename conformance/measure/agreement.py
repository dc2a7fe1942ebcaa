"""Do two implementations' outputs of one op on one case agree? By the op record's rule."""

from __future__ import annotations

import numpy as np

from conformance.measure.bounds import agreement_tolerance

__all__ = ["agrees"]


def agrees(a: np.ndarray, b: np.ndarray, dtype: str, rule: str = "relative",
           axis: int = -1) -> bool:
    """Two outputs agree (conformance.measure.bounds, Agreement) by ``rule``:

    ``relative`` (softmax): every element within 8 eps relative, or both below the
    smallest normal. ``absolute`` (log_softmax, cross_entropy, whose values near 0 have no
    relative precision): within 8 eps * (1 + |y|). ``row-scale`` (softmax_vjp, whose exact
    values may be 0): within 8 eps of the row's largest |y|. NaN must be in the same
    places; equal values (infinities) agree.
    """
    rtol, atol = agreement_tolerance(dtype)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(b64)):
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.maximum(np.abs(a64), np.abs(b64))
        if rule == "absolute":
            size = 1.0 + size
        elif rule == "row-scale" and a64.size:
            finite = np.where(np.isfinite(size), size, 0.0)
            size = np.broadcast_to(np.max(finite, axis=axis, keepdims=True), size.shape)
        close = (a64 == b64) | (np.abs(a64 - b64) <= rtol * size)
        if rule == "relative":
            close |= size < atol
    return bool(np.all(close | np.isnan(a64)))
