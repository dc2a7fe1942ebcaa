"""The tags an array earns by its content and layout, whatever its family."""

from __future__ import annotations

import numpy as np

from cases.dtypes import dtype_name, float_format, result_dtype
from cases.families import FAMILIES, LONG_ROW

__all__ = ["TAG_ORDER", "derived_tags", "ordered_tags"]

# Tags are listed in the catalogue's order of families, then by name.
TAG_ORDER = {tag: i for i, tag in enumerate(FAMILIES)}


def ordered_tags(tags: set[str]) -> tuple[str, ...]:
    return tuple(sorted(tags, key=lambda t: (TAG_ORDER.get(t, len(TAG_ORDER)), t)))


def derived_tags(x: np.ndarray, axis: int) -> set[str]:
    """The tags an array earns by its content and layout, whatever its family."""
    tags = {"1-D" if x.ndim == 1 else "2-D" if x.ndim == 2 else "N-D"}
    axis %= x.ndim
    if axis != x.ndim - 1:
        tags.add("axis-not-last")
    if x.shape[axis] == 1:
        tags.add("single-element")
    if x.shape[axis] >= LONG_ROW:
        tags.add("long-row")
    if x.size == 0:
        tags.add("empty")
    elif not x.flags.c_contiguous:
        tags.add("non-contiguous")
    dtype = dtype_name(x.dtype)
    wide = x.astype(np.float64)
    if np.issubdtype(x.dtype, np.integer):
        tags.add("int-input")
    else:
        mag = np.abs(wide[np.isfinite(wide)])
        if ((mag > 0) & (mag < float_format(dtype).tiny)).any():
            tags.add("subnormal")
    if x.size == 0:
        return tags
    if np.isnan(wide).any():
        tags.add("nan")
    if np.isposinf(wide).any():
        tags.add("pos-inf")
    if np.isneginf(wide).any():
        tags.add("neg-inf")
        if np.isneginf(np.moveaxis(wide, axis, -1)).all(axis=-1).any():
            tags.add("all-neg-inf-row")
    finite = wide[np.isfinite(wide)]
    overflow = float_format(result_dtype(dtype)).exp_overflow
    if finite.size and finite.max() > overflow:
        tags.add("huge")
    return tags
