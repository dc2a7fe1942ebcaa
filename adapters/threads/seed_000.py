# mypy: disable-error-code="no-redef"
"""The softmaxes of 000_394393336ca4b904.txt (a batch like [[1000, 2000, 3000, 6000], ...]
overflows; is mean/std normalisation the way to go?).

The thread's code is copied verbatim at module level under a comment naming
where it comes from. Answers 1 and 2 give no code, only a recipe; they are
implemented here as their authors describe them, and say so. Answer 0's own
``softmax`` is the question of 002 verbatim: it is the adapter
``numpy.global_max`` (seed_002), not repeated here.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Op

__all__ = ["ADAPTERS"]

SEED = "000_394393336ca4b904.txt"


def _ignoring_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a thread function that takes no axis: ``axis`` is ignored."""
    return lambda: {"softmax": lambda x, axis: fn(x)}


def _passing_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a function with an ``axis`` parameter: the case's axis is passed."""
    return lambda: {"softmax": lambda x, axis: fn(x, axis=axis)}


# --- 000_394393336ca4b904.txt question, attempt 1) "shared by Pab Torre": the thread
# gives the expression only; it is wrapped in a def of z here.
def softmax(z):
    return np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)


_pab_torre = softmax


# --- 000_394393336ca4b904.txt answer 0: alternative_softmax, the asker's mean/std
# normalisation from the question (x = np.mean(batch1); y = np.std(batch1);
# e_x = np.exp((batch1 - x)/y); j = e_x / e_x.sum(axis = 0)) as answer 0 wraps it.
def alternative_softmax(x):
    mean = np.mean(x)
    std = np.std(x)
    norm = (x - mean) / std
    e_x = np.exp(norm)
    return e_x / e_x.sum(axis=0)


# --- 000_394393336ca4b904.txt answer 1: "np.exp(1000) is too big. Try the Decimal
# library." No code in the thread; implemented as described: every exp and the
# normalisation in Python's decimal module at its default context (a fresh
# decimal.Context(): 28 digits, exponents to +-999999, Overflow and
# InvalidOperation trapped), along the given axis, then back to the input's float
# dtype (float64 for integer input).
def decimal_softmax(x, axis):
    x = np.asarray(x)
    is_float = x.dtype.kind == "f" or x.dtype.name == "bfloat16"
    out_dtype = x.dtype if is_float else np.dtype(np.float64)
    rows = np.moveaxis(x.astype(np.float64), axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    out = np.empty(flat.shape, dtype=np.float64)
    with decimal.localcontext(decimal.Context()):
        for i, row in enumerate(flat):
            exps = [decimal.Decimal(float(v)).exp() for v in row]
            total = sum(exps, decimal.Decimal(0))
            out[i] = [float(e / total) for e in exps]
    return np.moveaxis(out.reshape(rows.shape), -1, axis).astype(out_dtype)


# --- 000_394393336ca4b904.txt answer 2: "subtract a constant from every exponent until
# all are 300 or less ... Find the max of the array; if it exceeds 300, find the
# difference, diff. Subtract diff from every array element. Then do softmax as
# usual." No code in the thread; implemented as described: one max for the whole
# array, the shift only when it exceeds 300, then the asker's usual
# exp(z) / sum(exp(z)) along the given axis. The caller's array is not modified.
def shift_to_300_softmax(x, axis):
    x = np.asarray(x)
    m = np.max(x)
    if m > 300:
        diff = m - 300
        x = x - diff
    e_x = np.exp(x)
    return e_x / np.sum(e_x, axis=axis, keepdims=True)


ADAPTERS = [
    Adapter(
        name="numpy.naive_axis1_keepdims",
        family="thread",
        source=f"{SEED} question: attempt 1) shared by Pab Torre, "
        "np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)",
        factory=_ignoring_axis(_pab_torre),
        # axis=1 fails on 1-D; the asker's batches are 2-D rows.
        capabilities=Capabilities(axis="rows-2d", ndims=frozenset({2})),
        expected=(
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
            # no max subtracted: exp(1000) is inf, inf/inf = nan (the asker's own error).
            "overflow",
            # no max subtracted: a row all below about -745 (float64) gives 0/0 = nan.
            "underflow",
        ),
    ),
    Adapter(
        name="numpy.mean_std_alternative",
        family="thread",
        source=f"{SEED} answer 0: alternative_softmax, the asker's mean/std normalisation, "
        "np.exp((x - mean) / std) / e_x.sum(axis=0)",
        factory=_ignoring_axis(alternative_softmax),
        capabilities=Capabilities(axis="first"),  # e_x.sum(axis=0): columns
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: mean and std of the whole
            # array: one NaN or +inf row makes every row NaN.
            "nan-leak",
            # softmax((x - mean) / std) is not softmax(x): the std rescales (answer 0's point).
            "inaccurate",
            # mean/std overflow near the format's max (nan); float16: the long row's sum is inf.
            "overflow",
            # 0/0 where std is 0 (a single element, all elements equal, float16 values so
            # small the variance underflows), and everywhere once one element is -inf.
            # measured: all-equal rows of very negative float16 values give nan (std = 0), which
            # the outputs cannot tell from exp underflowing on the same rows.
            "underflow",
            "nan-output",
        ),
    ),
    Adapter(
        name="numpy.decimal_exp",
        family="thread",
        source=f"{SEED} answer 1: 'np.exp(1000) is too big, try the Decimal library' "
        "(no code; exp and normalisation in decimal at its default context)",
        factory=_passing_axis(decimal_softmax),
        # one Decimal exp per element: 12.6 us each (measured on 20000 float64 values), so
        # it is held to inputs of at most 10^5 elements (1.3 s), the long row included
        capabilities=Capabilities(axis="any", max_elements=100_000),
        expected=(
            # the default context traps Overflow: exp(x) raises above ~2.3e6 (float32/64 max).
            "raises",
        ),
        notes="Implemented from the answer's description.",
    ),
    Adapter(
        name="numpy.shift_max_to_300",
        family="thread",
        source=f"{SEED} answer 2: 'subtract diff from every element until the max is 300 "
        "or less, then softmax as usual' (no code; implemented as described)",
        factory=_passing_axis(shift_to_300_softmax),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: one max for the whole array:
            # a NaN or +inf row makes every row NaN.
            "nan-leak",
            # exp(300) fits float64 only: float32/bfloat16/float16 exps (or their sum) overflow.
            "overflow",
            # no shift while the max is at most 300: a row all below about -745 gives 0/0 = nan.
            "underflow",
            # one shift for the whole array: a row over ~1045 below the max gives 0/0 = nan.
            "global-max",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            # float16/bfloat16: after the shift, exp(300) overflows in some rows while the
            # shift underflows others: nan in a pattern neither cause explains alone.
            "nan-output",
            "inaccurate",
        ),
    ),
]
