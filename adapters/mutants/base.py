"""What a mutant is: an implementation the gate is measured on, broken with a known
mechanism or correct in an unusual way, and the helpers several of them share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adapters.base import Capabilities

__all__ = ["Mutant", "out_dtype", "stable", "wide"]


@dataclass(frozen=True)
class Mutant:
    """One implementation of ``op``: ``fn(*arrays, axis=axis)`` on NumPy arrays (or on
    tensors of ``framework``). ``cause`` is the cause code the gate must name for it (a
    code of conformance.contract.diagnosis.CAUSES); None for a correct implementation,
    which the gate must pass."""

    name: str
    op: str
    fn: Callable[..., Any] = field(repr=False)
    cause: str | None
    what: str
    capabilities: Capabilities = Capabilities()
    framework: str = "numpy"

    @property
    def broken(self) -> bool:
        return self.cause is not None


def out_dtype(x: np.ndarray) -> np.dtype:
    """The dtype a softmax of x returns: x's float dtype, float64 for integer input."""
    return x.dtype if x.dtype.kind == "f" or x.dtype.name == "bfloat16" else np.dtype(np.float64)


def wide(x: np.ndarray) -> np.ndarray:
    """x in float64 (long double for float64 input): a type with room to spare."""
    return x.astype(np.longdouble if out_dtype(x) == np.float64 else np.float64)


def stable(x: np.ndarray, axis: int, dtype: Any = None) -> np.ndarray:
    """The max-shifted softmax of x computed in ``dtype`` (x's own by default); a row
    with no finite max (all -inf, or NaN) gives NaN, as exp(nan) does."""
    x = np.asarray(x) if dtype is None else np.asarray(x).astype(dtype)
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)
