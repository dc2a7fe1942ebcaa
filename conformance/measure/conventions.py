"""What an implementation does where softmax has no single right answer.

A fully masked row, +inf, NaN, empty and integer input: for each, the
behaviour is named (``nan``, ``zeros``, ``uniform``, ``one-hot`` ...) so
the report can set implementations side by side and a policy can require one.
"""

from __future__ import annotations

import numpy as np

from cases.dtypes import dtype_name
from conformance.measure.rows import as_rows

__all__ = ["CONVENTION_KINDS", "classify"]

CONVENTION_KINDS = ("all-neg-inf-row", "pos-inf", "nan", "empty", "int-input")


def _label_rows(xr: np.ndarray, yr: np.ndarray, selected: np.ndarray, kind: str) -> set[str]:
    labels = set()
    for xrow, yrow in zip(xr[selected], yr[selected], strict=True):
        labels.add(_label_row(xrow, yrow, kind))
    return labels


def _label_row(xrow: np.ndarray, yrow: np.ndarray, kind: str) -> str:
    n = yrow.size
    ynan = np.isnan(yrow)
    if np.all(ynan):
        return "nan"
    if kind == "nan":
        return "nan-at-nan" if np.array_equal(ynan, np.isnan(xrow)) else "partial-nan"
    if np.any(ynan):
        return "partial-nan"
    if kind == "all-neg-inf-row":
        if np.all(yrow == 0):
            return "zeros"
        if np.allclose(yrow, 1.0 / n, rtol=1e-2):
            return "uniform"
        return "other"
    # +inf: the limit puts all the mass on the +inf elements, shared equally.
    hot = np.isposinf(xrow)
    limit = np.where(hot, 1.0 / np.count_nonzero(hot), 0.0)
    if np.allclose(yrow, limit, rtol=1e-2, atol=1e-3):
        return "one-hot" if np.count_nonzero(hot) == 1 else "split-among-inf"
    return "other"


def classify(
    x: np.ndarray, axis: int, tags: tuple[str, ...], y: np.ndarray | None
) -> dict[str, str]:
    """The convention labels this output shows, per kind the case's tags name.

    ``y`` is None when the call raised: every kind is then ``error``.
    """
    kinds = [k for k in CONVENTION_KINDS if k in tags]
    if not kinds:
        return {}
    if y is None:
        return dict.fromkeys(kinds, "error")
    out: dict[str, str] = {}
    if "empty" in kinds:
        out["empty"] = "empty" if y.shape == x.shape else f"shape {y.shape}"
    if "int-input" in kinds:
        out["int-input"] = dtype_name(y.dtype)
    if y.shape != x.shape or x.size == 0:
        for k in kinds:
            out.setdefault(k, "wrong-shape")
        return out
    x64 = x.astype(np.float64)
    y64 = y.astype(np.float64)
    xr, yr = as_rows(x64, axis), as_rows(y64, axis)
    selectors = {
        "all-neg-inf-row": np.all(np.isneginf(xr), axis=1),
        "pos-inf": np.any(np.isposinf(xr), axis=1) & ~np.any(np.isnan(xr), axis=1),
        "nan": np.any(np.isnan(xr), axis=1),
    }
    for kind, selected in selectors.items():
        if kind in kinds and np.any(selected):
            out[kind] = " / ".join(sorted(_label_rows(xr, yr, selected, kind)))
    return out
