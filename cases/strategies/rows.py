"""Row strategies and the family strategy ``arrays``: arrays whose rows along the axis hold
what the family's name says."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from cases.dtypes import float_format
from cases.families import GENERATED_FAMILIES
from cases.strategies._support import (
    _MAX_SIDE,
    _MAX_SIZE,
    _ROW_MAX_SIZE,
    DENSE_LIMIT,
    _axis_arg,
    _bool_arg,
    _cast,
    _dtype_arg,
    _fail,
    _family_arg,
    _floats,
    _from_ordered,
    _int_arg,
    _is_strategy,
    _opt_bool_arg,
    _order,
    _ordered,
    _resolve,
    _shape_arg,
    underflow_threshold,
)
from cases.strategies.elements import (
    large_negative,
    logits,
    near_overflow,
    specials,
    subnormals,
    wide_spread,
)
from cases.strategies.shapes import _axis_order, shapes_and_axes

__all__ = [
    "LONG_MAX",
    "LONG_MIN",
    "arrays",
    "long_rows",
    "masks",
    "mixed_scale_rows",
    "near_ties",
    "ties",
]


# --------------------------------------------------------------------------- row strategies


def _fill(draw: Any, m: int, n: int, elements: SearchStrategy[float]) -> np.ndarray:
    """An (m, n) float64 array of drawn elements; dense up to DENSE_LIMIT, else with a fill."""
    if m * n == 0:
        return np.zeros((m, n))
    fill = st.nothing() if m * n <= DENSE_LIMIT else None
    return draw(hnp.arrays(np.float64, (m, n), elements=elements, fill=fill))


def _index(draw: Any, n: int) -> int:
    return draw(st.integers(0, n - 1))


def _two_indices(draw: Any, n: int) -> tuple[int, int]:
    i = _index(draw, n)
    j = draw(st.integers(0, n - 2))
    return i, j + (j >= i)


def _mixed_base(d: str) -> SearchStrategy[float]:
    return logits(d) | near_overflow(d, far=False) | large_negative(d)


Builder = Callable[[Any, str, int, int, "SearchStrategy[float] | None", dict], np.ndarray]


@dataclass(frozen=True)
class _Family:
    """How to draw one family: rows (m, n) filled by ``build``; shape requirements."""

    build: Builder
    min_row: int = 1  # shortest row (side along the axis) it needs
    min_rows: int = 1  # fewest rows it needs
    min_side: int = 1  # shortest other side in its default shapes
    max_dims: int = 4


def _build_logits(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    return _fill(draw, m, n, logits(d) if el is None else el)


def _build_huge(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    r = _fill(draw, m, n, (near_overflow(d) | logits(d)) if el is None else el)
    r[_index(draw, m), _index(draw, n)] = draw(near_overflow(d, below=False))
    return r


def _build_large_negative(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    r = _fill(draw, m, n, large_negative(d) if el is None else el)
    r[_index(draw, m)] = _fill(draw, 1, n, large_negative(d, max_value=underflow_threshold(d)))[0]
    return r


def _build_subnormal(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    fmt = float_format(d)
    small = subnormals(d) | st.just(0.0) | logits(d, min_value=-1.0, max_value=1.0)
    r = _fill(draw, m, n, small if el is None else el)
    if n >= 2 and draw(st.booleans()):
        # A row whose softmax outputs are subnormal: 0 and values in (log ss, log tiny).
        lo, hi = math.log(fmt.smallest_subnormal), math.log(fmt.tiny)
        span = hi - lo
        i = _index(draw, m)
        r[i] = _fill(draw, 1, n, _floats(d, lo + 0.15 * span, hi - 0.15 * span))[0]
        r[i, _index(draw, n)] = 0.0
    r[_index(draw, m), _index(draw, n)] = draw(subnormals(d))
    return r


def _build_ties(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    base = _mixed_base(d) if el is None else el
    pool = draw(st.lists(base, min_size=1, max_size=3))
    r = _fill(draw, m, n, st.sampled_from(pool))
    i = _index(draw, m)
    j1, j2 = _two_indices(draw, n)
    r[i, j2] = r[i, j1] = r[i].max() if draw(st.booleans()) else r[i, j1]
    return r


def _build_near_ties(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    ulps = opts.get("ulps", 4)
    base = _mixed_base(d) if el is None else el
    centres = _cast(d, _fill(draw, m, 1, base))
    steps = draw(hnp.arrays(np.int64, (m, n), elements=st.integers(-ulps, ulps), fill=st.nothing()))
    i = _index(draw, m)
    j1, j2 = _two_indices(draw, n)
    steps[i, j1] = 0
    steps[i, j2] = draw(st.integers(1, ulps))
    lim = int(_ordered(d, _cast(d, [float_format(d).max]))[0])
    k = np.clip(_ordered(d, centres) + steps, -lim, lim)
    if np.any(np.abs(_ordered(d, centres[i]) + steps[i]) > lim):  # centre at +-max: step inward
        k[i] = np.clip(_ordered(d, centres[i]) - steps[i], -lim, lim)
    return _from_ordered(d, k)


def _build_masks(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    fully = opts.get("fully_masked")
    r = _fill(draw, m, n, logits(d) if el is None else el)
    mask = draw(hnp.arrays(np.bool_, (m, n), elements=st.booleans(), fill=st.nothing()))
    mask[_index(draw, m), _index(draw, n)] = True
    if fully is None:  # rows of one element: any -inf masks a whole row
        fully = n == 1 or draw(st.booleans())
    if fully:
        mask[_index(draw, m)] = True
    else:  # n >= 2: a fully masked row keeps n - 1 >= 1 masked entries
        for i in np.flatnonzero(mask.all(axis=1)):
            mask[i, _index(draw, n)] = False
    r[mask] = -math.inf
    return r


def _build_specials(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    r = _fill(draw, m, n, logits(d) if el is None else el)
    count = draw(st.integers(1, min(3, m * n)))
    flat = r.reshape(-1)
    where = draw(st.lists(st.integers(0, m * n - 1), min_size=count, max_size=count, unique=True))
    flat[where[0]] = draw(specials(d))
    for w in where[1:]:
        flat[w] = draw(specials(d, neg_inf=True))
    return r


def _build_wide_spread(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    u = underflow_threshold(d)
    top = min(1e4, float_format(d).max)
    r = _fill(draw, m, n, wide_spread(d) if el is None else el)
    i = _index(draw, m)
    j1, j2 = _two_indices(draw, n)
    r[i, j1] = 0.0
    r[i, j2] = draw(_floats(d, -top, 2 * u))
    return r


def _build_mixed_scales(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    u = underflow_threshold(d)
    top = math.log10(2 * abs(u) / 3)  # values reach 2|u|: one global max underflows a row
    exps = np.array(draw(st.lists(st.floats(-3.0, top), min_size=m, max_size=m)))
    small, large = _two_indices(draw, m)
    exps[large] = top
    exps[small] = min(exps[small], top - 2)
    z = _fill(draw, m, n, st.floats(-3.0, 3.0, allow_subnormal=False) if el is None else el)
    z[large, _index(draw, n)] = 3.0
    return _cast(d, z * (10.0**exps)[:, None]).astype(np.float64)


def _build_long_rows(draw: Any, d: str, m: int, n: int, el: Any, opts: dict) -> np.ndarray:
    if el is not None:
        return _fill(draw, m, n, el)
    seed = draw(st.integers(0, 2**32 - 1))
    loc = draw(logits(d))
    scale = draw(st.floats(0.0, 8.0, allow_subnormal=False))
    rng = np.random.default_rng(seed)
    return _cast(d, loc + scale * rng.standard_normal((m, n))).astype(np.float64)


_FAMILIES: dict[str, _Family] = {
    "logits": _Family(_build_logits, min_row=0, min_rows=0, min_side=0, max_dims=5),
    "huge": _Family(_build_huge),
    "large-negative": _Family(_build_large_negative),
    "subnormal": _Family(_build_subnormal),
    "ties": _Family(_build_ties, min_row=2),
    "near-ties": _Family(_build_near_ties, min_row=2),
    "masks": _Family(_build_masks),
    "specials": _Family(_build_specials),
    "wide-spread": _Family(_build_wide_spread, min_row=2),
    "mixed-scale-rows": _Family(_build_mixed_scales, min_rows=2),
    "long-rows": _Family(_build_long_rows, max_dims=2),
}
if list(_FAMILIES) != list(GENERATED_FAMILIES):
    raise RuntimeError("cases.strategies and GENERATED_FAMILIES name different families")

LONG_MIN, LONG_MAX = 1000, 4096  # the long-rows family's default row lengths


def _default_shape_axis(
    name: str, axis: int | None, opts: dict
) -> SearchStrategy[tuple[tuple[int, ...], int]]:
    """The family's default (shape, axis) strategy, honouring a fixed axis."""
    fam = _FAMILIES[name]
    if name == "long-rows":
        lo, hi = opts.get("min_len", LONG_MIN), opts.get("max_len", LONG_MAX)
        n = st.integers(lo, hi)
        two_d = [
            st.tuples(st.integers(1, 2), n).map(lambda t: ((t[0], t[1]), -1)),
            st.tuples(n, st.integers(1, 2)).map(lambda t: ((t[0], t[1]), 0)),
        ]
        if axis is None or axis in (-1, 0):
            pairs = st.one_of(n.map(lambda k: ((k,), -1)), *two_d)
        elif axis in (1, -2):
            pairs = st.one_of(*two_d)
        else:
            _fail(f"axis={axis}: family='long-rows' draws 1-D and 2-D arrays only")
    else:
        size = _MAX_SIZE if name == "logits" else _ROW_MAX_SIZE
        min_dims = 2 if fam.min_rows > 1 else 1
        if axis is not None:
            min_dims = max(min_dims, axis + 1 if axis >= 0 else -axis)
        pairs = shapes_and_axes(
            min_dims=min_dims,
            max_dims=max(fam.max_dims, min_dims),
            min_side=fam.min_side,
            max_side=_MAX_SIDE,
            max_size=size,
            min_axis_len=fam.min_row,
        )
        if fam.min_rows > 1:  # at least two rows: bump one other side to 2
            pairs = pairs.map(_two_rows)
    if axis is not None:
        pairs = pairs.map(lambda sa: _with_axis(sa[0], sa[1], axis))
    return pairs


def _two_rows(sa: tuple[tuple[int, ...], int]) -> tuple[tuple[int, ...], int]:
    shape, axis = sa
    others = [i for i in range(len(shape)) if i != axis % len(shape)]
    if math.prod(shape[i] for i in others) >= 2:
        return sa
    s = list(shape)
    s[others[0]] = 2
    return tuple(s), axis


def _with_axis(shape: tuple[int, ...], drawn: int, axis: int) -> tuple[tuple[int, ...], int]:
    """Move the drawn axis's side to ``axis`` so the row length requirement still holds."""
    s = list(shape)
    a, b = drawn % len(s), axis % len(s)
    s[a], s[b] = s[b], s[a]
    return tuple(s), axis


def _check_fits(name: str, shape: tuple[int, ...], axis: int, opts: dict) -> None:
    fam = _FAMILIES[name]
    n = shape[axis]
    rows = math.prod(s for i, s in enumerate(shape) if i != axis % len(shape))
    need_row = fam.min_row
    if name == "masks" and opts.get("fully_masked") is False:
        need_row = 2
    if name == "long-rows":
        need_row = opts.get("min_len", LONG_MIN)
    if n < need_row:
        _fail(
            f"shape={shape} with axis={axis} has rows of length {n}; "
            f"family={name!r} needs rows of at least {need_row}"
        )
    if rows < fam.min_rows:
        _fail(
            f"shape={shape} with axis={axis} has {rows} row(s); "
            f"family={name!r} needs at least {fam.min_rows}"
        )
    if name != "logits" and n * rows == 0:
        _fail(f"shape={shape} is empty; family={name!r} needs at least one element")


def _axis_int(axis: Any) -> int:
    a = _int_arg("axis", axis)
    if not -32 <= a < 32:
        _fail(f"axis={a} must be in [-32, 31] (NumPy's dimension limit)")
    return a


def _fitting_axes(name: str, shape: tuple[int, ...]) -> list[int]:
    """The axes of shape along which the family can draw, -1 first."""
    fits = []
    for a in _axis_order(len(shape)):
        try:
            _check_fits(name, shape, a, {})
        except InvalidArgument:
            continue
        fits.append(a)
    if not fits:
        _check_fits(name, shape, -1, {})  # raises, naming what the last axis lacks
    return fits


def _family_array(
    name: str,
    d: str,
    shape: tuple[int, ...],
    axis: int,
    elements: SearchStrategy[float] | None,
    opts: dict,
) -> SearchStrategy[np.ndarray]:
    """The family's array of this exact dtype, shape and axis (all already validated)."""
    fam = _FAMILIES[name]
    moved = list(shape)
    n = moved.pop(axis)
    m = math.prod(moved)

    @st.composite
    def draw_array(draw: Any) -> np.ndarray:
        rows = fam.build(draw, d, m, n, elements, opts)
        x = np.moveaxis(rows.reshape((*moved, n)), -1, axis)
        return np.ascontiguousarray(_cast(d, x))

    return draw_array()


def _array_strategy(
    name: str,
    dtype: Any,
    shape: Any,
    axis: Any,
    elements: object,
    opts: dict,
) -> SearchStrategy[np.ndarray]:
    """Shared by arrays() and the row strategies: resolves value-or-strategy arguments."""
    if elements is not None and not _is_strategy(elements):
        _fail(f"elements={elements!r} must be a strategy of floats")
    if axis is None:
        axis = -1

    def with_dtype(dt: Any) -> SearchStrategy[np.ndarray]:
        d = _dtype_arg(dt)

        def with_shape(sh: Any) -> SearchStrategy[np.ndarray]:
            if sh is None:
                if _is_strategy(axis):
                    _fail(f"axis={axis!r}: a drawn axis needs a shape; pass shape= too")
                pairs = _default_shape_axis(name, _axis_int(axis), opts)
                return pairs.flatmap(lambda sa: _checked(d, sa[0], sa[1]))
            s = _shape_arg(sh)
            return _resolve(axis, lambda ax: _checked(d, s, ax))

        return _resolve(shape, with_shape)

    def _checked(d: str, s: tuple[int, ...], ax: Any) -> SearchStrategy[np.ndarray]:
        a = _axis_arg(ax, s)
        _check_fits(name, s, a, opts)
        return _family_array(name, d, s, a, elements, opts)  # type: ignore[arg-type]

    # Validate plain values now, so that a bad argument fails at the call.
    if not _is_strategy(dtype):
        _dtype_arg(dtype)
    if shape is not None and not _is_strategy(shape):
        s = _shape_arg(shape)
        if axis is not None and not _is_strategy(axis):
            _check_fits(name, s, _axis_arg(axis, s), opts)
    elif shape is None and not _is_strategy(axis):
        _axis_int(axis)
    return _resolve(dtype, with_dtype)


def arrays(
    *,
    dtype: Any = "float32",
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
    family: Any = None,
    allow_special: bool = False,
) -> SearchStrategy[np.ndarray]:
    """Arrays of ``dtype`` (a name, NumPy dtype or a strategy of them), C-contiguous.

    ``family`` (a name of GENERATED_FAMILIES or a strategy of names) shapes the
    rows along ``axis`` as the family says; without it, the elements come from
    ``elements`` (default ``logits(dtype)``) through ``hypothesis.extra.numpy.arrays``.
    ``shape`` (a shape or a strategy) defaults to the family's shapes; ``axis``
    (default -1) says which axis the rows lie along. ``elements`` overrides the
    family's values (every family but ``specials`` plants its feature on top).
    ``family="specials"`` needs ``allow_special=True``.
    """
    special = _bool_arg("allow_special", allow_special)
    if family is None:
        return _array_strategy("logits", dtype, shape, axis, elements, {})
    if _is_strategy(family):
        return family.flatmap(
            lambda f: _array_strategy(_family_arg(f, special), dtype, shape, axis, elements, {})
        )
    return _array_strategy(_family_arg(family, special), dtype, shape, axis, elements, {})


def ties(
    dtype: Any = "float32",
    *,
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """Rows drawn from a pool of one to three values; at least one row holds two exactly
    equal values (often its maximum). Rows have at least two elements."""
    return _array_strategy("ties", dtype, shape, axis, elements, {})


def near_ties(
    dtype: Any = "float32",
    *,
    ulps: int = 4,
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """Each row is one value stepped by -ulps..ulps representable steps, so any two of its
    values are at most 2 * ulps apart; at least one row holds two different values."""
    k = _int_arg("ulps", ulps, at_least=1)
    if k > 1 << 20:
        _fail(f"ulps={k} must be <= {1 << 20} (near ties are a few ulps apart)")
    return _array_strategy("near-ties", dtype, shape, axis, elements, {"ulps": k})


def masks(
    dtype: Any = "float32",
    *,
    fully_masked: bool | None = None,
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """-inf masks over ``elements`` (default logits): at least one -inf.

    ``fully_masked=True``: at least one row entirely -inf; ``False``: every row keeps a
    finite value (rows need two elements); ``None`` (default): either, drawn.
    """
    fully = _opt_bool_arg("fully_masked", fully_masked)
    return _array_strategy("masks", dtype, shape, axis, elements, {"fully_masked": fully})


def mixed_scale_rows(
    dtype: Any = "float32",
    *,
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """At least two rows; row r is 10^e_r times values in [-3, 3], e_r in [-3, E] with
    10^E = 2|u|/3, and some row's largest magnitude is at least 100 times another's
    (a global maximum underflows the small rows' exps)."""
    return _array_strategy("mixed-scale-rows", dtype, shape, axis, elements, {})


def long_rows(
    dtype: Any = "float32",
    *,
    min_len: int = LONG_MIN,
    max_len: int = LONG_MAX,
    shape: Any = None,
    axis: Any = -1,
    elements: SearchStrategy[float] | None = None,
) -> SearchStrategy[np.ndarray]:
    """One or two rows of min_len..max_len values (1-D, or 2-D along either axis),
    normal with a drawn centre and scale (from a drawn NumPy seed), or from ``elements``."""
    lo = _int_arg("min_len", min_len, at_least=1)
    hi = _int_arg("max_len", max_len, at_least=1)
    _order("min_len", lo, "max_len", hi)
    if hi > 10**6:
        _fail(f"max_len={hi} must be <= {10**6}")
    return _array_strategy(
        "long-rows", dtype, shape, axis, elements, {"min_len": lo, "max_len": hi}
    )
