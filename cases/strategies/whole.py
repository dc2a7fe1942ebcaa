"""Whole ``Case`` objects (origin ``generated``), ready for the runner."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from cases.families import FAMILIES, GENERATED_FAMILIES
from cases.model import Case
from cases.strategies._support import (
    _axis_arg,
    _bool_arg,
    _dtype_arg,
    _family_arg,
    _int_arg,
    _is_strategy,
    _shape_arg,
)
from cases.strategies.rows import (
    _axis_int,
    _check_fits,
    _default_shape_axis,
    _family_array,
    _fitting_axes,
)
from cases.strategies.shapes import dtypes
from cases.tags import derived_tags

__all__ = ["case_tags", "cases"]


# --------------------------------------------------------------------------- cases

_TAG_ORDER = {tag: i for i, tag in enumerate(FAMILIES)}


def case_tags(family: str, x: np.ndarray, axis: int) -> tuple[str, ...]:
    """The catalogue's tags for this array (shape, axis-not-last, specials ...), family aside."""
    tags = derived_tags(x, axis) - {family}
    return tuple(sorted(tags, key=lambda t: (_TAG_ORDER.get(t, len(_TAG_ORDER)), t)))


def _make_case(family: str, x: np.ndarray, axis: int) -> Case:
    return Case(
        family=family,
        x=x,
        axis=axis,
        tags=case_tags(family, x, axis),
        origin="generated",
        note=GENERATED_FAMILIES[family],
    )


def cases(
    *,
    family: Any = None,
    dtype: Any = None,
    shape: Any = None,
    axis: Any = None,
    allow_special: bool = False,
) -> SearchStrategy[Case]:
    """Whole ``Case`` objects (origin ``generated``), ready for the runner.

    ``family``: a name of GENERATED_FAMILIES or a strategy of names (default: any,
    ``specials`` only with ``allow_special=True``); ``dtype``: a name or strategy
    (default ``dtypes()``); ``shape`` and ``axis``: values or strategies (default:
    the family's shapes and an axis drawn for them, negative or positive).
    """
    special = _bool_arg("allow_special", allow_special)
    if family is None:
        family = st.sampled_from([f for f in GENERATED_FAMILIES if special or f != "specials"])
    elif not _is_strategy(family):
        _family_arg(family, special)
    if dtype is None:
        dtype = dtypes()
    elif not _is_strategy(dtype):
        _dtype_arg(dtype)
    if shape is not None and not _is_strategy(shape):
        fixed = _shape_arg(shape)
        if axis is not None and not _is_strategy(axis):
            _axis_arg(axis, fixed)
            if not _is_strategy(family):
                _check_fits(family, fixed, int(axis), {})
        elif axis is None and not _is_strategy(family):
            _fitting_axes(family, fixed)
    elif axis is not None and not _is_strategy(axis):
        _axis_int(axis)

    @st.composite
    def draw_case(draw: Any) -> Case:
        name = _family_arg(draw(family) if _is_strategy(family) else family, special)
        d = _dtype_arg(draw(dtype) if _is_strategy(dtype) else dtype)
        sh = draw(shape) if _is_strategy(shape) else shape
        ax = draw(axis) if _is_strategy(axis) else axis
        if sh is None:
            if ax is None:
                sh, ax = draw(_default_shape_axis(name, None, {}))
            else:
                sh, ax = draw(_default_shape_axis(name, _int_arg("axis", ax), {}))
        s = _shape_arg(sh)
        if ax is None:
            ax = draw(st.sampled_from(_fitting_axes(name, s)))
        a = _axis_arg(ax, s)
        _check_fits(name, s, a, {})
        x = draw(_family_array(name, d, s, a, None, {}))
        return _make_case(name, x, a)

    return draw_case()
