"""The project's own reference-grade NumPy softmax, log_softmax, softmax_vjp and cross-entropy.

Stable (per-row max), any axis, any float dtype, empty input allowed, the
input never modified. Each works in a wider type than the input (float64 for
the 16- and 32-bit formats, long double for float64) and rounds once at the
end, so its error is a fraction of an ulp beyond correct rounding.

- log_softmax(x, axis) = (x - m) - log(sum(exp(x - m))), m the row max;
- softmax_vjp(x, g, axis) = s * (g - sum(g * s)), s = softmax(x), the closed
  form of J^T g with J = diag(s) - s s^T;
- cross_entropy(logits, labels, axis) = log(sum(exp(x - m))) - (x[label] - m),
  the per-row loss (never the mean), shape ``labels.shape``.

``numpy.jacobian_vjp`` builds that Jacobian explicitly, row by row, and
returns J^T g: a check of the closed form, limited to rows of
``JACOBIAN_MAX_N`` elements (J has n^2).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adapters.base import Adapter, Capabilities, Op

__all__ = [
    "ADAPTERS",
    "JACOBIAN_MAX_N",
    "cross_entropy",
    "jacobian_vjp",
    "log_softmax",
    "softmax",
    "softmax_vjp",
]

# numpy.jacobian_vjp builds an n x n matrix per row: 4096^2 long doubles are 256 MiB.
JACOBIAN_MAX_N = 4096


def _types(x: np.ndarray) -> tuple[np.dtype, np.dtype]:
    """(output dtype, wider working dtype): float64 out for integer input."""
    out_dtype = np.dtype(x.dtype if x.dtype.kind == "f" or x.dtype.name == "bfloat16"
                         else np.float64)
    wide = np.dtype(np.longdouble if out_dtype == np.float64 else np.float64)
    return out_dtype, wide


def _shifted(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(w - m, log(sum(exp(w - m)))) along ``axis``, keepdims, in w's (wide) type.

    The sum is 1 (the max's term) plus the others' terms, and its log is taken as
    log1p(others): log(sum) would lose the others below the wide type's epsilon, and
    log_softmax of the max element, -log1p(others), can be as small as a subnormal.
    """
    m = np.max(w, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", under="ignore", divide="ignore"):
        d = w - m
        e = np.exp(d)
        np.put_along_axis(e, np.argmax(d, axis=axis, keepdims=True), 0, axis=axis)
        return d, np.log1p(np.sum(e, axis=axis, keepdims=True))


def _wide_softmax(w: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(w, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        e = np.exp(w - m)
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    out_dtype, wide = _types(x)
    w = x.astype(wide)
    if w.size == 0:
        return w.astype(out_dtype)
    return _wide_softmax(w, axis).astype(out_dtype)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """(x - m) - log(sum(exp(x - m))) in the wide type, rounded once."""
    x = np.asarray(x)
    out_dtype, wide = _types(x)
    w = x.astype(wide)
    if w.size == 0:
        return w.astype(out_dtype)
    d, lse = _shifted(w, axis)
    with np.errstate(invalid="ignore"):
        return (d - lse).astype(out_dtype)


def softmax_vjp(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """s * (g - sum(g * s)) in the wide type, rounded once to x's dtype.

    g - sum(g s) is evaluated as (g - g_k) + sum_{j != k} s_j (g_k - g_j), k the row's
    argmax: the same value (sum s = 1), without the cancellation of g_k - sum(g s) when
    s_k rounds to 1, so that the dominant element's dx keeps its digits.
    """
    x = np.asarray(x)
    g = np.asarray(g)
    if g.shape != x.shape:
        raise ValueError(f"softmax_vjp: g of shape {g.shape} for x of shape {x.shape}; "
                         "expected the same shape")
    out_dtype, wide = _types(x)
    w = x.astype(wide)
    if w.size == 0:
        return w.astype(out_dtype)
    s = _wide_softmax(w, axis)
    gw = g.astype(wide)
    k = np.argmax(w, axis=axis, keepdims=True)
    gk = np.take_along_axis(gw, k, axis=axis)
    others = s.copy()
    np.put_along_axis(others, k, 0, axis=axis)
    with np.errstate(invalid="ignore", over="ignore"):
        rest = np.sum(others * (gk - gw), axis=axis, keepdims=True)
        return (s * ((gw - gk) + rest)).astype(out_dtype)


def cross_entropy(logits: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
    """Per-row loss (never the mean): log(sum(exp(x - m))) - (x[label] - m), rounded once.

    ``labels`` holds integer class indices along ``axis``; its shape is the
    logits' without ``axis``, and so is the result's.
    """
    x = np.asarray(logits)
    labels = np.asarray(labels)
    axis = axis % x.ndim
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if labels.shape != expected or labels.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy: labels {labels.dtype} {labels.shape} for logits "
                         f"{x.shape} along axis {axis}; expected integer labels of shape "
                         f"{expected}")
    out_dtype, wide = _types(x)
    w = x.astype(wide)
    if labels.size == 0:
        return np.zeros(labels.shape, dtype=out_dtype)
    d, lse = _shifted(w, axis)
    picked = np.take_along_axis(d, np.expand_dims(labels, axis), axis=axis)
    with np.errstate(invalid="ignore"):
        return np.squeeze(lse - picked, axis=axis).astype(out_dtype)


def jacobian_vjp(x: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """J^T g with J = diag(s) - s s^T built explicitly for each row, in the wide type.

    The axis is moved last (rows of any axis), each row's n x n Jacobian is
    built and multiplied, and the result is rounded once to x's dtype. Rows
    longer than JACOBIAN_MAX_N raise ValueError instead of allocating n^2.
    """
    x = np.asarray(x)
    g = np.asarray(g)
    if g.shape != x.shape:
        raise ValueError(f"softmax_vjp: g of shape {g.shape} for x of shape {x.shape}; "
                         "expected the same shape")
    out_dtype, wide = _types(x)
    if x.size == 0:
        return x.astype(out_dtype)
    n = x.shape[axis]
    if n > JACOBIAN_MAX_N:
        raise ValueError(f"numpy.jacobian_vjp builds the n x n Jacobian of each row: rows of "
                         f"n={n} exceed its limit of {JACOBIAN_MAX_N}")
    s_rows = _wide_softmax(np.moveaxis(x.astype(wide), axis, -1), -1).reshape(-1, n)
    g_rows = np.moveaxis(g.astype(wide), axis, -1).reshape(-1, n)
    out = np.empty_like(s_rows)
    with np.errstate(invalid="ignore", over="ignore"):
        for r, (s, gr) in enumerate(zip(s_rows, g_rows, strict=True)):
            jac = np.diag(s) - np.outer(s, s)
            out[r] = jac.T @ gr
    moved = out.reshape(np.moveaxis(x, axis, -1).shape)
    return np.moveaxis(moved, -1, axis).astype(out_dtype)


def _factory() -> Mapping[str, Op]:
    return {"softmax": softmax, "log_softmax": log_softmax, "softmax_vjp": softmax_vjp,
            "cross_entropy": cross_entropy}


ADAPTERS = [
    Adapter(
        name="numpy.reference",
        family="reference",
        source="adapters/reference.py: softmax-conformance's own stable softmax, log_softmax, "
        "softmax_vjp and per-row cross-entropy, computed in a wider type and rounded once",
        factory=_factory,
        ops=("softmax", "log_softmax", "softmax_vjp", "cross_entropy"),
        capabilities=Capabilities(axis="any"),
        requires=("numpy",),
    ),
    Adapter(
        name="numpy.jacobian_vjp",
        family="reference",
        source="adapters/reference.py: softmax-conformance's own softmax gradient, the "
        "Jacobian diag(s) - s s^T built for each row and J^T g, in a wider type, rounded once",
        factory=lambda: {"softmax_vjp": jacobian_vjp},
        ops=("softmax_vjp",),
        capabilities=Capabilities(axis="any"),
        # rows longer than JACOBIAN_MAX_N (the 10^5 long row) raise ValueError: the n x n
        # Jacobian would need n^2 elements (160 GB of long doubles at n = 10^5).
        expected=("raises",),
        requires=("numpy",),
        notes=f"Rows of at most {JACOBIAN_MAX_N} elements: J has n^2 of them.",
    ),
]
