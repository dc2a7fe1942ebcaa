"""The project's own reference-grade NumPy softmax.

Stable (per-row max), any axis, any float dtype, empty input allowed, the
input never modified. It works in a wider type than the input (float64 for
the 16- and 32-bit formats, long double for float64) and rounds once at the
end, so its error is a fraction of an ulp beyond correct rounding.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adapters.base import Adapter, Capabilities, Op

__all__ = ["ADAPTERS", "softmax"]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" or x.dtype.name == "bfloat16" else np.float64
    wide = np.longdouble if np.dtype(out_dtype) == np.float64 else np.float64
    w = x.astype(wide)
    if w.size == 0:
        return w.astype(out_dtype)
    m = np.max(w, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        e = np.exp(w - m)
        y = e / np.sum(e, axis=axis, keepdims=True)
    return y.astype(out_dtype)


def _factory() -> Mapping[str, Op]:
    return {"softmax": softmax}


ADAPTERS = [
    Adapter(
        name="numpy.reference",
        family="reference",
        source="adapters/reference.py: softmax-conformance's own stable softmax, "
        "computed in a wider type and rounded once",
        factory=_factory,
        capabilities=Capabilities(axis="any"),
        requires=("numpy",),
    ),
]
