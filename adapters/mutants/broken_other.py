"""Broken log_softmax, softmax gradients and cross-entropies, each with the mechanism the
gate must name (its cause code)."""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.mutants.base import Mutant, out_dtype, stable

__all__ = ["MUTANTS"]


def _lse(x: np.ndarray, axis: int, dtype: Any = None) -> np.ndarray:
    """logsumexp along axis, shifted, in ``dtype`` (x's own by default), keepdims."""
    z = x if dtype is None else x.astype(dtype)
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


# -- log_softmax ---------------------------------------------------------------------------


def log_of_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(stable(x, axis))


def log_softmax_plus_eps(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.log(stable(x, axis, np.float64) + 1e-7).astype(out_dtype(x))


def log_softmax_naive(x: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def log_softmax_clipped(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.maximum(x - _lse(x, axis, np.float64), -100.0).astype(out_dtype(x))


def log_softmax_float32(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x.astype(np.float32)
    return (z - _lse(z, axis)).astype(out_dtype(x))


def log_softmax_axis0(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return x - _lse(x, 0)


def log_softmax_global_max(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def log_softmax_input_dtype(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # the textbook x - max - log(sum(exp(x - max))) in the input dtype
    return x - _lse(x, axis)


# -- softmax_vjp ---------------------------------------------------------------------------


def vjp_diagonal(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    s = stable(x, axis)
    return s * (1 - s) * g


def vjp_outer(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    # J = s(1 - s) + s s^T instead of diag(s) - s s^T, along the last axis
    s = stable(np.moveaxis(x, axis, -1), -1)
    gm = np.moveaxis(g, axis, -1)
    diag = s * (1 - s)
    dx = diag * gm + s * np.sum(s * gm, axis=-1, keepdims=True)
    return np.moveaxis(dx, -1, axis).astype(out_dtype(x))


def vjp_unshifted(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        s = e / np.sum(e, axis=axis, keepdims=True)
        return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def vjp_axis0(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    s = stable(x, axis)
    return s * (g - np.sum(g * s, axis=0, keepdims=True))


def vjp_float32(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    s = stable(x, axis, np.float32)
    gf = g.astype(np.float32)
    return (s * (gf - np.sum(gf * s, axis=axis, keepdims=True))).astype(out_dtype(x))


def vjp_global_max(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        e = np.exp(x - np.max(x))
        s = e / np.sum(e, axis=axis, keepdims=True)
        return s * (g - np.sum(g * s, axis=axis, keepdims=True))


# -- cross_entropy -------------------------------------------------------------------------


def _pick(values: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(values, np.expand_dims(labels, axis), axis=axis).squeeze(axis)


def ce_log_of_softmax(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -_pick(np.log(stable(x, axis)), labels, axis)


def ce_clipped(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    p = np.clip(stable(x, axis, np.float64), 1e-7, 1.0)
    return -_pick(np.log(p), labels, axis).astype(out_dtype(x))


def ce_naive(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        lse = np.log(np.sum(np.exp(x), axis=axis, keepdims=True))
        return -_pick(x - lse, labels, axis)


def ce_one_hot(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    # sum(one_hot * -log_softmax): a masked (-inf) logit gives 0 * inf = NaN
    axis %= x.ndim
    onehot = np.moveaxis(np.eye(x.shape[axis], dtype=np.float64)[labels], -1, axis)
    with np.errstate(invalid="ignore"):
        logp = x.astype(np.float64) - _lse(x, axis, np.float64)
        return np.sum(onehot * -logp, axis=axis).astype(out_dtype(x))


def ce_mean(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    loss = -_pick(x.astype(np.float64) - _lse(x, axis, np.float64), labels, axis)
    return np.asarray(np.mean(loss), dtype=out_dtype(x))


def ce_float32(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x.astype(np.float32)
    return -_pick(z - _lse(z, axis), labels, axis).astype(out_dtype(x))


def ce_axis0(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    return -_pick(x - _lse(x, 0), labels, axis)


MUTANTS = [
    Mutant("log_softmax.log_of_softmax", "log_softmax", log_of_softmax, "log-of-zero",
           "np.log(softmax(x))"),
    Mutant("log_softmax.plus_eps", "log_softmax", log_softmax_plus_eps, "clipping",
           "np.log(softmax(x) + 1e-7)"),
    Mutant("log_softmax.naive", "log_softmax", log_softmax_naive, "overflow",
           "x - log(sum(exp(x))): no shift"),
    Mutant("log_softmax.clipped", "log_softmax", log_softmax_clipped, "clipping",
           "log-probabilities clipped at -100"),
    Mutant("log_softmax.float32", "log_softmax", log_softmax_float32, "downcast",
           "float64 input computed in float32"),
    Mutant("log_softmax.axis0", "log_softmax", log_softmax_axis0, "wrong-axis",
           "logsumexp along axis 0"),
    Mutant("log_softmax.global_max", "log_softmax", log_softmax_global_max, "global-max",
           "one max for the whole array"),
    Mutant("log_softmax.input_dtype", "log_softmax", log_softmax_input_dtype,
           "denominator-overflow", "the textbook formula in the input dtype"),
    Mutant("softmax_vjp.diagonal", "softmax_vjp", vjp_diagonal, "diagonal-only-jacobian",
           "s * (1 - s) * g"),
    Mutant("softmax_vjp.outer", "softmax_vjp", vjp_outer, "wrong-jacobian",
           "J = s(1 - s) + s s^T"),
    Mutant("softmax_vjp.unshifted", "softmax_vjp", vjp_unshifted, "overflow",
           "s from exp(x) / sum(exp(x))"),
    Mutant("softmax_vjp.axis0", "softmax_vjp", vjp_axis0, "wrong-axis",
           "sum(g * s) along axis 0"),
    Mutant("softmax_vjp.float32", "softmax_vjp", vjp_float32, "downcast",
           "float64 input computed in float32"),
    Mutant("softmax_vjp.global_max", "softmax_vjp", vjp_global_max, "global-max",
           "s with one max for the whole array"),
    Mutant("cross_entropy.log_of_softmax", "cross_entropy", ce_log_of_softmax, "log-of-zero",
           "-log(softmax(x))[label]"),
    Mutant("cross_entropy.clipped", "cross_entropy", ce_clipped, "clipping",
           "-log(clip(p, 1e-7, 1))[label]"),
    Mutant("cross_entropy.naive", "cross_entropy", ce_naive, "overflow",
           "log(sum(exp(x))) - x[label]: no shift"),
    Mutant("cross_entropy.one_hot", "cross_entropy", ce_one_hot, "nan-output",
           "sum(one_hot * -log_softmax)"),
    Mutant("cross_entropy.mean", "cross_entropy", ce_mean, "shape-changed",
           "the mean loss instead of one per row"),
    Mutant("cross_entropy.float32", "cross_entropy", ce_float32, "downcast",
           "float64 input computed in float32"),
    Mutant("cross_entropy.axis0", "cross_entropy", ce_axis0, "wrong-axis",
           "logsumexp along axis 0"),
]
