"""Correct implementations written in unusual ways: the gate must pass every one.

Each is accurate in every dtype (16-bit input accumulated in float32 or wider), leaves
its input alone (a read-only broadcast view included), keeps the dtype (float64 out for
integer input) and handles empty input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.base import Capabilities, import_module
from adapters.mutants.base import Mutant, out_dtype, stable, wide

__all__ = ["MUTANTS"]


def wide_and_round(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Computed in float64 (long double for float64) and rounded once."""
    return stable(wide(x), axis).astype(out_dtype(x))


def float32_for_16bit(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """16-bit input computed in float32 and cast back; float32 and float64 natively."""
    if out_dtype(x).itemsize == 2:
        return stable(x, axis, np.float32).astype(x.dtype)
    return stable(x, axis, out_dtype(x))


def online_two_pass(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """An online softmax done right: chunks of 4096, the running sum rescaled whenever the
    running max grows, then a second pass for the outputs (float64 throughout)."""
    z = np.moveaxis(wide(x), axis, -1)
    if z.size == 0:
        return x.astype(out_dtype(x))
    m = np.full(z.shape[:-1] + (1,), -np.inf, dtype=z.dtype)
    total = np.zeros(z.shape[:-1] + (1,), dtype=z.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(0, z.shape[-1], 4096):
            chunk = z[..., i:i + 4096]
            new = np.maximum(m, np.max(chunk, axis=-1, keepdims=True))
            scale = np.where(np.isneginf(new), 1.0, np.exp(m - new))
            total = total * scale + np.sum(np.exp(chunk - new), axis=-1, keepdims=True)
            m = new
        y = np.exp(z - m) / total
    return np.moveaxis(y, -1, axis).astype(out_dtype(x))


def log_domain(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - logsumexp(x)), the logsumexp and the exp in a wider type, rounded once."""
    z = wide(x)
    if z.size == 0:
        return z.astype(out_dtype(x))
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lse = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
        return np.exp(z - lse).astype(out_dtype(x))


def moved_axis(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The axis moved last, a 2-D computation over the rows, moved back."""
    z = np.moveaxis(wide(x), axis, -1)
    shape = z.shape
    rows = z.reshape(-1, shape[-1]) if z.size else z.reshape(0, shape[-1])
    return np.moveaxis(stable(rows, -1).reshape(shape), -1, axis).astype(out_dtype(x))


def sorted_sum(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The exps summed smallest first (a more accurate order), in float64."""
    z = wide(x)
    if z.size == 0:
        return z.astype(out_dtype(x))
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        total = np.sum(np.sort(e, axis=axis), axis=axis, keepdims=True)
        return (e / total).astype(out_dtype(x))


def kahan(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The denominator by compensated (Kahan) summation along the axis, in float64."""
    z = np.moveaxis(x.astype(np.float64), axis, -1)
    if z.size == 0:
        return x.astype(out_dtype(x))
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        total = np.zeros(e.shape[:-1])
        carry = np.zeros(e.shape[:-1])
        for k in range(0, e.shape[-1], 1):
            yk = e[..., k] - carry
            t = total + yk
            carry = (t - total) - yk
            total = t
        return np.moveaxis(e / total[..., None], -1, axis).astype(out_dtype(x))


def einsum_normalised(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The row sums by np.einsum over the axis moved last, in float64."""
    z = np.moveaxis(wide(x).astype(np.float64), axis, -1)
    if z.size == 0:
        return x.astype(out_dtype(x))
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        total = np.einsum("...k->...", e)[..., None]
        return np.moveaxis(e / total, -1, axis).astype(out_dtype(x))


def rows_only(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """2-D input only, rows along axis 1 (declared as such)."""
    assert x.ndim == 2
    return stable(wide(x), 1).astype(out_dtype(x))


def log_softmax_log1p(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log_softmax as (x - max) - log1p(sum of the others' exps), in a wider type."""
    z = wide(x)
    if z.size == 0:
        return z.astype(out_dtype(x))
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d = z - m
        e = np.exp(d)
        np.put_along_axis(e, np.argmax(d, axis=axis, keepdims=True), 0, axis=axis)
        return (d - np.log1p(np.sum(e, axis=axis, keepdims=True))).astype(out_dtype(x))


def log_softmax_rows_float64(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x), one row at a time, each row's logsumexp in a wider type."""
    z = np.moveaxis(wide(x), axis, -1)
    out = np.empty(z.shape, dtype=z.dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for idx in np.ndindex(z.shape[:-1]):
            row = z[idx]
            if row.size == 0:
                continue
            m = np.max(row)
            d = row - m
            e = np.exp(d)
            e[np.argmax(d)] = 0
            out[idx] = d - np.log1p(np.sum(e))
    return np.moveaxis(out, -1, axis).astype(out_dtype(x))


def vjp_wide(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """s (g - sum(g s)) in a wider type, the sum taken around the row's largest s."""
    z, gw = wide(x), g.astype(wide(x).dtype)
    if z.size == 0:
        return z.astype(out_dtype(x))
    s = stable(z, axis)
    k = np.argmax(z, axis=axis, keepdims=True)
    gk = np.take_along_axis(gw, k, axis=axis)
    others = s.copy()
    np.put_along_axis(others, k, 0, axis=axis)
    with np.errstate(invalid="ignore", over="ignore"):
        rest = np.sum(others * (gk - gw), axis=axis, keepdims=True)
        return (s * ((gw - gk) + rest)).astype(out_dtype(x))


def cross_entropy_scalar(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> Any:
    """logsumexp - x[label] in a wider type; a 1-D row's loss returned as a NumPy scalar,
    as np.sum returns it."""
    loss = log_softmax_log1p(x, axis).astype(np.float64)
    picked = np.take_along_axis(loss, np.expand_dims(labels, axis), axis=axis).squeeze(axis)
    result = (-picked).astype(out_dtype(x))
    return result[()] if result.ndim == 0 else result


def _torch_softmax() -> Any:
    return import_module("torch").softmax


def _jax_softmax() -> Any:
    return import_module("jax.nn").softmax


def torch_softmax(t: Any, axis: int) -> Any:
    """torch.softmax through --framework torch (bfloat16 by bit pattern)."""
    return _torch_softmax()(t, axis)


def jax_softmax(a: Any, axis: int) -> Any:
    """jax.nn.softmax through --framework jax, computed in float32 and cast back."""
    return _jax_softmax()(a.astype("float32"), axis=axis).astype(a.dtype)


_ROWS = Capabilities(axis="rows-2d", ndims=frozenset({2}))
# XLA on the CPU flushes float32 subnormal results to zero (bfloat16 ones with them) and
# float64 needs x64: the JAX callable is declared for float16, where it is correct
_JAX = Capabilities(dtypes=frozenset({"float16"}), accepts_int=False)
# torch's float64 softmax adds a long row's exps in order (adapters/torch.py): the correct
# callable is torch's within float32 and the 16-bit dtypes
_TORCH = Capabilities(dtypes=frozenset({"float16", "bfloat16", "float32"}), accepts_int=False)

MUTANTS = [
    Mutant("ok.wide_and_round", "softmax", wide_and_round, None,
           "computed in float64 (long double for float64), rounded once"),
    Mutant("ok.float32_for_16bit", "softmax", float32_for_16bit, None,
           "16-bit input computed in float32, cast back"),
    Mutant("ok.online_two_pass", "softmax", online_two_pass, None,
           "online softmax done right: chunks of 4096, running sum rescaled"),
    Mutant("ok.log_domain", "softmax", log_domain, None,
           "exp(x - logsumexp(x)) in a wider type"),
    Mutant("ok.moved_axis", "softmax", moved_axis, None, "axis moved last, rows, moved back"),
    Mutant("ok.sorted_sum", "softmax", sorted_sum, None, "exps summed smallest first"),
    Mutant("ok.kahan", "softmax", kahan, None, "compensated summation of the denominator",
           # a Python loop over the axis: declared for rows of at most 10^5 elements
           Capabilities(max_elements=100_000)),
    Mutant("ok.einsum", "softmax", einsum_normalised, None, "row sums by np.einsum"),
    Mutant("ok.rows_only", "softmax", rows_only, None, "2-D rows only, declared", _ROWS),
    Mutant("ok.log_softmax_log1p", "log_softmax", log_softmax_log1p, None,
           "(x - max) - log1p(others) in a wider type"),
    Mutant("ok.log_softmax_rows", "log_softmax", log_softmax_rows_float64, None,
           "logsumexp per row in a wider type"),
    Mutant("ok.vjp_wide", "softmax_vjp", vjp_wide, None, "s (g - sum(g s)) in a wider type"),
    Mutant("ok.cross_entropy_scalar", "cross_entropy", cross_entropy_scalar, None,
           "a 1-D row's loss as a NumPy scalar"),
    Mutant("ok.torch_softmax", "softmax", torch_softmax, None,
           "torch.softmax through --framework torch", _TORCH, framework="torch"),
    Mutant("ok.jax_softmax", "softmax", jax_softmax, None,
           "jax.nn.softmax through --framework jax, in float32 for float16", _JAX,
           framework="jax"),
]
