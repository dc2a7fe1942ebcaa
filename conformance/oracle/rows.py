"""From an N-D array and an axis to a 2-D block of rows, and back.

Both oracle paths work on rows: the 1-D slices along ``axis``, laid out as the
rows of a C-contiguous ``(m, n)`` array.  This module validates the input,
resolves the output format, classifies rows whose softmax is undefined, and
puts the answer back into the input's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cases.dtypes import FLOAT_DTYPES, Format, dtype_name, float_format, np_dtype, result_dtype

__all__ = ["Rows", "float64_exact_rows", "from_rows", "to_rows", "undefined_rows"]

# Integers up to 2**53 in magnitude are exact in float64.
_F64_EXACT_INT = 2**53


@dataclass(frozen=True)
class Rows:
    """The rows of an input, ready for an oracle path."""

    values: np.ndarray  # (m, n), C-contiguous; float64 (exact) or the input's integer dtype
    moved_shape: tuple[int, ...]  # the input's shape with ``axis`` moved last
    axis: int  # normalised, non-negative
    out_name: str  # output dtype name, e.g. "float32", "bfloat16"
    fmt: Format

    @property
    def is_integer(self) -> bool:
        return self.values.dtype.kind in "iu"


def _check_dtype(dtype: np.dtype, op: str) -> None:
    name = dtype_name(dtype)
    if name in FLOAT_DTYPES or dtype.kind in "iub":
        return
    raise TypeError(
        f"reference {op} of dtype={name}: expected one of {', '.join(FLOAT_DTYPES)} "
        "or an integer dtype"
    )


def to_rows(x: np.ndarray, axis: int, out_dtype: str | None, op: str = "softmax") -> Rows:
    """Validate ``x``/``axis``/``out_dtype`` and lay the rows along ``axis`` out in 2-D.

    ``op`` names the operation in error messages.
    """
    x = np.asarray(x)
    _check_dtype(x.dtype, op)
    if x.ndim == 0:
        raise ValueError(f"reference {op} of a 0-d array: x must have at least one dimension")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} is out of range for an input of shape {x.shape}")
    axis = axis % x.ndim
    in_name = dtype_name(x.dtype)
    out_name = result_dtype(in_name) if out_dtype is None else dtype_name(np_dtype(out_dtype))
    fmt = float_format(out_name)  # ValueError for a non-float output dtype
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    if x.dtype.kind == "b":
        moved = moved.astype(np.int64)
    elif x.dtype.kind == "f" or in_name == "bfloat16":
        moved = moved.astype(np.float64)  # every float format here is a subset of float64
    values = np.ascontiguousarray(moved).reshape(-1, n) if x.size else np.empty((0, n))
    return Rows(values, tuple(moved.shape), axis, out_name, fmt)


def from_rows(out: np.ndarray, rows: Rows) -> np.ndarray:
    """Put a float64 ``(m, n)`` answer back into the input's shape and the output dtype."""
    shaped = out.reshape(rows.moved_shape)
    return np.ascontiguousarray(np.moveaxis(shaped, -1, rows.axis)).astype(
        np_dtype(rows.out_name), copy=False
    )


def undefined_rows(values: np.ndarray) -> np.ndarray:
    """Rows whose softmax is undefined: a NaN, a +inf, or every element -inf."""
    if values.dtype.kind in "iu" or values.size == 0:
        return np.zeros(values.shape[0], dtype=bool)
    if np.isfinite(values).all():
        return np.zeros(values.shape[0], dtype=bool)
    bad = np.isnan(values).any(axis=1) | (values == np.inf).any(axis=1)
    return bad | (values == -np.inf).all(axis=1)


def float64_exact_rows(values: np.ndarray) -> np.ndarray:
    """Integer rows whose every element is exactly a float64 (|v| <= 2**53)."""
    if values.dtype.kind not in "iu" or values.size == 0:
        return np.ones(values.shape[0], dtype=bool)
    too_big = np.asarray((values > _F64_EXACT_INT).any(axis=1))
    if values.dtype.kind == "i":
        too_big |= (values < -_F64_EXACT_INT).any(axis=1)
    return np.logical_not(too_big)
