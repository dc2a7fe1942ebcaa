"""Rows and units every metric shares: the 1-D slices along the axis, and the ulp."""

from __future__ import annotations

import numpy as np

from cases.dtypes import Format

__all__ = ["MAX_ROWS_LISTED", "as_rows", "first_rows", "ulp"]


def as_rows(a: np.ndarray, axis: int) -> np.ndarray:
    """The 1-D slices along axis as the rows of a 2-D array."""
    moved = np.moveaxis(a, axis, -1)
    return moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, a.shape[axis])


def ulp(ref: np.ndarray, fmt: Format) -> np.ndarray:
    """ulp(r) in fmt for the float64 values r of fmt; the ulp of zero is the smallest subnormal."""
    mag = np.abs(ref)
    _, e = np.frexp(mag)  # mag = m * 2**e, 0.5 <= m < 1
    e = np.where(mag == 0, fmt.emin, np.maximum(e - 1, fmt.emin))
    return np.ldexp(1.0, e - fmt.precision + 1)


MAX_ROWS_LISTED = 32


def first_rows(mask: np.ndarray) -> tuple[int, ...]:
    """Indices (into as_rows order) of the first rows where mask holds."""
    return tuple(int(i) for i in np.flatnonzero(mask)[:MAX_ROWS_LISTED])


