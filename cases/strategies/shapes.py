"""Shapes, axes and dtypes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from cases.dtypes import FLOAT_DTYPES
from cases.strategies._support import (
    _MAX_SIDE,
    _MAX_SIZE,
    _dtype_arg,
    _fail,
    _int_arg,
    _order,
    _resolve,
    _shape_arg,
)

__all__ = ["axes", "dtypes", "shapes", "shapes_and_axes"]


# --------------------------------------------------------------------------- shapes, axes, dtypes


def _check_shape_bounds(
    min_dims: object, max_dims: object, min_side: object, max_side: object, max_size: object
) -> tuple[int, int, int, int, int]:
    lo_d = _int_arg("min_dims", min_dims, at_least=1)
    hi_d = _int_arg("max_dims", max_dims, at_least=1)
    lo_s = _int_arg("min_side", min_side, at_least=0)
    hi_s = _int_arg("max_side", max_side, at_least=0)
    size = _int_arg("max_size", max_size, at_least=0)
    if hi_d > 32:
        _fail(f"max_dims={hi_d} must be <= 32 (NumPy's limit)")
    _order("min_dims", lo_d, "max_dims", hi_d)
    _order("min_side", lo_s, "max_side", hi_s)
    if lo_s**lo_d > size:
        _fail(
            f"min_side={lo_s} with min_dims={lo_d} gives {lo_s**lo_d} elements, "
            f"more than max_size={size}"
        )
    return lo_d, hi_d, lo_s, hi_s, size


def _draw_sides(draw: Any, lows: list[int], max_side: int, max_size: int) -> tuple[int, ...]:
    """Sides in [lows[i], max_side] whose product (zero sides counted as 1) is <= max_size."""
    sides: list[int] = []
    for i, lo in enumerate(lows):
        rest = math.prod(max(x, 1) for x in lows[i + 1 :])
        used = math.prod(max(s, 1) for s in sides)
        hi = min(max_side, max_size // (used * rest))
        sides.append(draw(st.integers(lo, max(lo, hi))))
    return tuple(sides)


def _axis_order(ndim: int) -> list[int]:
    """Every axis of an ndim array, the last (as -1) first so that shrinking prefers it."""
    order = [-1, ndim - 1]
    for i in range(ndim - 1):
        order += [i, i - ndim]
    return list(dict.fromkeys(order))


def shapes(
    *,
    min_dims: int = 1,
    max_dims: int = 5,
    min_side: int = 0,
    max_side: int = _MAX_SIDE,
    max_size: int = _MAX_SIZE,
) -> SearchStrategy[tuple[int, ...]]:
    """Array shapes of min_dims..max_dims sides in [min_side, max_side], zero sides included.

    At most ``max_size`` elements (a zero side counts as one when bounding the
    others, so empty arrays still have varied shapes). Shrinks towards ``(min_side,)``.
    """
    lo_d, hi_d, lo_s, hi_s, size = _check_shape_bounds(
        min_dims, max_dims, min_side, max_side, max_size
    )
    while hi_d > lo_d and max(lo_s, 1) ** hi_d > size:
        hi_d -= 1

    @st.composite
    def draw_shape(draw: Any) -> tuple[int, ...]:
        ndim = draw(st.integers(lo_d, hi_d))
        return _draw_sides(draw, [lo_s] * ndim, hi_s, size)

    return draw_shape()


def axes(shape: Any) -> SearchStrategy[int]:
    """An axis of ``shape`` (a shape, or a strategy of shapes), negative or positive.

    Shrinks towards -1, the last axis.
    """

    def build(value: Any) -> SearchStrategy[int]:
        return st.sampled_from(_axis_order(len(_shape_arg(value))))

    return _resolve(shape, build)


def shapes_and_axes(
    *,
    min_dims: int = 1,
    max_dims: int = 5,
    min_side: int = 0,
    max_side: int = _MAX_SIDE,
    max_size: int = _MAX_SIZE,
    min_axis_len: int = 0,
) -> SearchStrategy[tuple[tuple[int, ...], int]]:
    """(shape, axis) pairs like ``shapes`` and ``axes``; the axis is at least min_axis_len long."""
    lo_d, hi_d, lo_s, hi_s, size = _check_shape_bounds(
        min_dims, max_dims, min_side, max_side, max_size
    )
    row = _int_arg("min_axis_len", min_axis_len, at_least=0)
    _order("min_axis_len", row, "max_side", hi_s)
    if max(row, 1) * lo_s ** (lo_d - 1) > size:
        _fail(
            f"min_axis_len={row} with min_side={lo_s} and min_dims={lo_d} needs more "
            f"than max_size={size} elements"
        )
    while hi_d > lo_d and max(row, 1) * max(lo_s, 1) ** (hi_d - 1) > size:
        hi_d -= 1

    @st.composite
    def draw_pair(draw: Any) -> tuple[tuple[int, ...], int]:
        ndim = draw(st.integers(lo_d, hi_d))
        axis = draw(st.sampled_from(_axis_order(ndim)))
        lows = [lo_s] * ndim
        lows[axis] = max(lo_s, row)
        return _draw_sides(draw, lows, hi_s, size), axis

    return draw_pair()


def dtypes(*, allowed: Sequence[object] = FLOAT_DTYPES) -> SearchStrategy[str]:
    """Float dtype names: float16, bfloat16, float32, float64; shrinks to the first allowed.

    Pass a name to ``cases.dtypes.np_dtype`` for the NumPy dtype (bfloat16 from ml_dtypes).
    """
    if isinstance(allowed, (str, bytes)) or not isinstance(allowed, Sequence):
        _fail(f"allowed={allowed!r} must be a sequence of dtype names")
    if not allowed:
        _fail(f"allowed={allowed!r} must name at least one of {', '.join(FLOAT_DTYPES)}")
    names = [_dtype_arg(a, "allowed") for a in allowed]
    return st.sampled_from(list(dict.fromkeys(names)))
