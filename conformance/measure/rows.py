"""Rows and units every metric shares: the 1-D slices along the axis, and the ulp."""

from __future__ import annotations

import math

import numpy as np

from cases.dtypes import FLOAT_DTYPES, Format, dtype_name, result_dtype

__all__ = ["MAX_ROWS_LISTED", "as_rows", "first_rows", "measured_dtype", "row_sums", "ulp"]


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


def measured_dtype(input_dtype: str, y: np.ndarray) -> str:
    """The dtype an output is measured in: the input's, for a float input; for integer
    input, the float dtype the implementation returned (float64 if it returned none: an
    integer output is then measured as what it is, and is no distribution)."""
    if input_dtype in FLOAT_DTYPES:
        return result_dtype(input_dtype)
    name = dtype_name(y.dtype)
    return name if name in FLOAT_DTYPES else result_dtype(input_dtype)


# x86's long double keeps 64 significand bits: its pairwise sum of a float64 row is off by
# log2(n) * 2^-64 at most, a few thousandths of a float64 epsilon. Where long double is
# float64 itself, every row is summed exactly with math.fsum.
_EXTENDED = np.finfo(np.longdouble).nmant >= 63


def row_sums(rows: np.ndarray, minus: float = 0.0) -> np.ndarray:
    """sum(row) - minus of each row of a 2-D float64 array, with an error far below a
    float64 epsilon of the result's scale; NaN where a row holds NaN or both infinities."""
    if rows.size == 0:
        return np.zeros(len(rows))
    if _EXTENDED:
        with np.errstate(invalid="ignore", over="ignore"):
            return (np.sum(rows.astype(np.longdouble), axis=1) - minus).astype(np.float64)
    out = np.empty(len(rows))
    for i, row in enumerate(rows):
        finite = np.isfinite(row)
        if finite.all():
            out[i] = math.fsum([*row.tolist(), -minus])
        else:  # fsum raises on inf + -inf; the plain sum says what it is
            with np.errstate(invalid="ignore"):
                out[i] = float(np.sum(row)) - minus
    return out
