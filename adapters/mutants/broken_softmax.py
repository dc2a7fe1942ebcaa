"""Broken softmaxes, each with the mechanism the gate must name (its cause code)."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

from adapters.base import Capabilities
from adapters.mutants.base import Mutant, out_dtype, stable

__all__ = ["MUTANTS"]


def naive(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def min_shift(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.min(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def mean_shift(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.mean(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def global_max(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def sum_axis0(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def division_free(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # exp(x - logsumexp(x)), the logsumexp computed stably in the input dtype
    m = np.max(x, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - lse)


def float32_inside(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # float64 input silently computed in float32 and cast back
    return stable(x, axis, np.float32).astype(out_dtype(x))


def input_dtype_sum(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # the textbook formula in the input's own dtype: a float16 or bfloat16 sum stalls
    return stable(x, axis)


def float16_denominator(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # exps summed in float32, but the sum stored back in the input dtype before dividing
    e = np.exp(x.astype(np.float32) - np.max(x, axis=axis, keepdims=True).astype(np.float32))
    total = np.sum(e, axis=axis, keepdims=True).astype(out_dtype(x))
    with np.errstate(over="ignore", invalid="ignore"):
        return (e / total.astype(np.float32)).astype(out_dtype(x))


def clipped(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.clip(stable(x, axis, np.float64), 1e-7, 1 - 1e-7).astype(out_dtype(x))


def epsilon_denominator(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / (np.sum(e, axis=axis, keepdims=True) + 1e-7)


def _blocks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _blocked(x: np.ndarray, axis: int, pick: Any) -> np.ndarray:
    """The shifted softmax whose denominator is a sum of blocks of 256, ``pick`` choosing
    the blocks it adds (in float64)."""
    z = np.moveaxis(x.astype(np.float64), axis, -1)
    if z.size == 0:
        return x.copy()
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    parts = [np.sum(e[..., b], axis=-1, keepdims=True) for b in _blocks(z.shape[-1], 256)]
    total = sum(pick(parts))
    return np.moveaxis(e / total, -1, axis).astype(out_dtype(x))


def dropped_block(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # the last block of the blocked sum is forgotten when there is more than one
    return _blocked(x, axis, lambda parts: parts[:-1] if len(parts) > 1 else parts)


def double_counted_block(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # the first block is added twice when there is more than one
    return _blocked(x, axis, lambda parts: [parts[0], *parts] if len(parts) > 1 else parts)


def online_no_rescale(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # a one-pass online softmax over chunks of 64 that forgets to rescale the running sum
    # when a later chunk raises the running max
    z = np.moveaxis(x.astype(np.float64), axis, -1)
    if z.size == 0:
        return x.copy()
    m = np.full(z.shape[:-1] + (1,), -np.inf)
    total = np.zeros(z.shape[:-1] + (1,))
    with np.errstate(invalid="ignore", over="ignore"):
        for b in _blocks(z.shape[-1], 64):
            m = np.maximum(m, np.max(z[..., b], axis=-1, keepdims=True))
            total = total + np.sum(np.exp(z[..., b] - m), axis=-1, keepdims=True)
        y = np.exp(z - m) / total
    return np.moveaxis(y, -1, axis).astype(out_dtype(x))


def memory_order_rows(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # reads the rows from the buffer in memory order: right for C order only
    n = x.shape[axis]
    flat = np.ravel(x, order="K")
    if flat.size == 0:
        return x.copy()
    rows = stable(flat.reshape(-1, n), -1)
    return np.moveaxis(rows.reshape(np.moveaxis(x, axis, -1).shape), -1, axis)


def max_recomputed(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # the first maximum of each row recomputed as 1 - (the others): ties broken by position
    y = stable(x, axis, np.float64)
    if y.size == 0:
        return y.astype(out_dtype(x))
    k = np.argmax(np.moveaxis(x, axis, -1), axis=-1)[..., None]
    ym = np.moveaxis(y, axis, -1).copy()
    others = np.sum(ym, axis=-1, keepdims=True) - np.take_along_axis(ym, k, axis=-1)
    np.put_along_axis(ym, k, 1.0 - others - 1e-3 * others, axis=-1)
    return np.moveaxis(ym, -1, axis).astype(out_dtype(x))


def hidden_temperature(x: np.ndarray, axis: int = -1, temperature: float = 0.9) -> np.ndarray:
    # a temperature parameter whose default is not 1
    return stable(x.astype(np.float64) / temperature, axis).astype(out_dtype(x))


def shifts_in_place(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x -= np.max(x, axis=axis, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def float64_out(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return stable(x, axis, np.float64)


def flattened(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return stable(x, axis).ravel()


def subnormals_to_zero(x: np.ndarray, axis: int = -1) -> np.ndarray:
    y = stable(x, axis, np.float64).astype(out_dtype(x))
    tiny = float(ml_dtypes.finfo(y.dtype).tiny)
    return np.where(np.abs(y.astype(np.float64)) < tiny, 0, y).astype(y.dtype)


def empty_raises(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)  # raises on an empty row
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def nan_guard(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # input validation that turns the whole batch to NaN when any element is NaN
    y = stable(x, axis, np.float64).astype(out_dtype(x))
    return np.full_like(y, np.nan) if np.isnan(x).any() else y


def integer_zeros(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # integer input answered in its own integer dtype: every probability truncated to 0
    return stable(x, axis, np.float64).astype(x.dtype)


def cheap_exp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # exp from a third-order Taylor polynomial of 2^f and exact powers of two
    z = (x - np.max(x, axis=axis, keepdims=True)).astype(np.float64)
    t = np.maximum(z / np.log(2.0), -1070.0)
    k = np.floor(t)
    f = (t - k) * np.log(2.0)
    e = np.ldexp(1 + f + f * f / 2 + f**3 / 6, k.astype(int))
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(out_dtype(x))


_LAST = Capabilities(axis="last")

MUTANTS = [
    Mutant("softmax.naive", "softmax", naive, "overflow", "exp(x) / sum(exp(x)): no shift"),
    Mutant("softmax.min_shift", "softmax", min_shift, "wrong-shift", "exp(x - min(x)) / sum"),
    Mutant("softmax.mean_shift", "softmax", mean_shift, "wrong-shift", "exp(x - mean(x)) / sum"),
    Mutant("softmax.global_max", "softmax", global_max, "global-max",
           "one max for the whole array"),
    Mutant("softmax.sum_axis0", "softmax", sum_axis0, "wrong-axis",
           "shifted along the axis, summed along axis 0"),
    Mutant("softmax.division_free", "softmax", division_free, "division-free",
           "exp(x - logsumexp(x)) in the input dtype"),
    Mutant("softmax.float32_inside", "softmax", float32_inside, "downcast",
           "float64 input computed in float32, cast back"),
    Mutant("softmax.input_dtype_sum", "softmax", input_dtype_sum, "low-precision-accumulation",
           "the textbook formula in the input dtype: float16/bfloat16 sums stall"),
    Mutant("softmax.float16_denominator", "softmax", float16_denominator,
           "denominator-overflow", "sum in float32, stored in the input dtype"),
    Mutant("softmax.clipped", "softmax", clipped, "clipping", "np.clip(p, 1e-7, 1 - 1e-7)"),
    Mutant("softmax.epsilon_denominator", "softmax", epsilon_denominator,
           "denominator-offset", "exp(x - max) / (sum + 1e-7)"),
    Mutant("softmax.dropped_block", "softmax", dropped_block, "dropped-block",
           "a blocked sum (256) that forgets its last block"),
    Mutant("softmax.double_counted_block", "softmax", double_counted_block,
           "double-counted-block", "a blocked sum (256) that adds its first block twice"),
    Mutant("softmax.online_no_rescale", "softmax", online_no_rescale, "order-dependence",
           "online softmax (chunks of 64) that does not rescale the running sum"),
    Mutant("softmax.memory_order_rows", "softmax", memory_order_rows, "layout-dependence",
           "reads rows from memory order: right for C order only", _LAST),
    Mutant("softmax.max_recomputed", "softmax", max_recomputed, "ties-by-position",
           "the first maximum recomputed as 1 - the others"),
    Mutant("softmax.hidden_temperature", "softmax", hidden_temperature, "wrong-scale",
           "a temperature argument defaulting to 0.9"),
    Mutant("softmax.shifts_in_place", "softmax", shifts_in_place, "mutates-input",
           "x -= max(x) on the caller's array"),
    Mutant("softmax.float64_out", "softmax", float64_out, "dtype-changed",
           "returns float64 whatever the input"),
    Mutant("softmax.flattened", "softmax", flattened, "shape-changed", "returns y.ravel()"),
    Mutant("softmax.subnormals_to_zero", "softmax", subnormals_to_zero, "flush-to-zero",
           "outputs below the smallest normal set to 0"),
    Mutant("softmax.empty_raises", "softmax", empty_raises, "empty_input",
           "np.max of an empty row raises"),
    Mutant("softmax.nan_guard", "softmax", nan_guard, "nan-leak",
           "one NaN anywhere makes the whole batch NaN"),
    Mutant("softmax.integer_zeros", "softmax", integer_zeros, "dtype-changed",
           "integer input answered in its integer dtype: all zeros"),
    Mutant("softmax.cheap_exp", "softmax", cheap_exp, "inaccurate",
           "exp from a cubic polynomial"),
]
