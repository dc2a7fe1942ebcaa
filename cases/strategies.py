"""Hypothesis strategies for softmax inputs: shapes, axes, dtypes, value distributions, cases.

Built on ``hypothesis.extra.numpy``. Three layers, each usable on its own:

Shapes and dtypes
    ``shapes``, ``axes``, ``shapes_and_axes``, ``dtypes``.

Element strategies (``SearchStrategy[float]``)
    ``logits``, ``near_overflow``, ``large_negative``, ``subnormals``,
    ``specials``, ``wide_spread``. Each takes the dtype and draws Python floats
    that are exactly representable in it, so they compose with ``|`` and feed
    ``arrays(elements=...)`` or the ``elements=`` of a row strategy::

        arrays(dtype="float16", shape=(3, 5), elements=logits("float16") | near_overflow("float16"))

Row strategies (``SearchStrategy[np.ndarray]``)
    ``ties``, ``near_ties``, ``masks``, ``mixed_scale_rows``, ``long_rows`` and
    the family strategy ``arrays(family=...)``. They shape the rows along
    ``axis`` (a row is a 1-D slice along the reduction axis) and guarantee what
    their name says: a ``ties`` array has a row with two equal values, a
    ``masks`` array has a -inf, and so on (see GENERATED_FAMILIES).

``cases(...)`` draws a whole ``Case`` (origin ``generated``, family and tags as
the catalogue uses them), which is what ``cases.generated`` and the hunt feed
to the runner.

Every argument after the dtype is keyword-only. The arguments of ``arrays``,
``cases``, ``axes`` and the ``dtype`` of every strategy accept a value or a
strategy; numeric bounds are plain values. A bad argument raises
``hypothesis.errors.InvalidArgument`` naming ``name=value`` and what it breaks
(at the call for a value, at the draw for a value drawn from a strategy).

+inf and NaN appear only when asked for (``specials``, ``family="specials"``,
``allow_special=True``). Hypothesis is a test dependency: importing this
module without it raises an ImportError that says what to install.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Literal

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.extra import numpy as hnp
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # exercised by a subprocess test
    raise ImportError(
        "cases.strategies needs Hypothesis, which is not installed: "
        "pip install 'softmax-conformance[test]'"
    ) from exc

from cases.catalog import FAMILIES, _derived_tags
from cases.dtypes import FLOAT_DTYPES, Format, dtype_name, float_format, np_dtype
from cases.generated import GENERATED_FAMILIES
from cases.model import Case

__all__ = [
    "DENSE_LIMIT",
    "GENERATED_FAMILIES",
    "LONG_MAX",
    "LONG_MIN",
    "arrays",
    "axes",
    "case_tags",
    "cases",
    "dtypes",
    "large_negative",
    "logits",
    "long_rows",
    "masks",
    "mixed_scale_rows",
    "near_overflow",
    "near_ties",
    "overflow_bounds",
    "shapes",
    "shapes_and_axes",
    "specials",
    "subnormals",
    "ties",
    "underflow_threshold",
    "wide_spread",
]

DENSE_LIMIT = 1024  # arrays up to this size draw every element; larger ones use a fill value

_MAX_SIDE = 8
_MAX_SIZE = 256  # default bound on the number of elements of a drawn shape
_ROW_MAX_SIZE = 128  # the same for the row families' default shapes


# --------------------------------------------------------------------------- validation


def _fail(message: str) -> None:
    raise InvalidArgument(message)


def _is_strategy(value: Any) -> bool:
    return isinstance(value, SearchStrategy)


def _int_arg(name: str, value: Any, *, at_least: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        _fail(f"{name}={value!r} must be an integer")
    value = int(value)
    if at_least is not None and value < at_least:
        _fail(f"{name}={value} must be >= {at_least}")
    return value


def _real_arg(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        _fail(f"{name}={value!r} must be a real number")
    out = float(value)
    if not math.isfinite(out):
        _fail(f"{name}={value!r} must be finite")
    return out


def _bool_arg(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(f"{name}={value!r} must be True or False")
    return value


def _opt_bool_arg(name: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        _fail(f"{name}={value!r} must be True, False or None")
    return value


def _order(lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        _fail(f"{lo_name}={lo!r} must be <= {hi_name}={hi!r}")


def _dtype_arg(value: Any, name: str = "dtype") -> str:
    """A float dtype name from a name or a NumPy dtype; InvalidArgument otherwise."""
    try:
        d = value if isinstance(value, str) else dtype_name(value)
    except TypeError:
        d = None
    if d not in FLOAT_DTYPES:
        _fail(f"{name}={value!r} is not a float dtype; expected one of {', '.join(FLOAT_DTYPES)}")
    return str(d)


def _shape_arg(value: Any, name: str = "shape") -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in value
    ):
        _fail(f"{name}={value!r} must be a tuple of integers")
    shape = tuple(int(s) for s in value)
    if not shape:
        _fail(f"{name}={shape!r} must have at least one dimension")
    if any(s < 0 for s in shape):
        _fail(f"{name}={shape!r} must not have negative sides")
    return shape


def _axis_arg(axis: Any, shape: tuple[int, ...], name: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        _fail(f"{name}={axis!r} must be an integer")
    axis = int(axis)
    if not -len(shape) <= axis < len(shape):
        _fail(f"{name}={axis} must be in [-{len(shape)}, {len(shape) - 1}] for shape={shape}")
    return axis


def _family_arg(value: Any, allow_special: bool, name: str = "family") -> str:
    if value not in GENERATED_FAMILIES:
        _fail(
            f"{name}={value!r} is not a generated family; expected one of "
            f"{', '.join(GENERATED_FAMILIES)}"
        )
    if value == "specials" and not allow_special:
        _fail(f"{name}={value!r} draws +inf and NaN: it needs allow_special=True")
    return str(value)


def _resolve(value: Any, build: Callable[[Any], SearchStrategy]) -> SearchStrategy:
    """build(value) for a value; for a strategy, build from each drawn value."""
    if _is_strategy(value):
        return value.flatmap(build)
    return build(value)


# --------------------------------------------------------------------------- floats in a dtype

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_WIDTH: dict[str, Literal[16, 32, 64]] = {
    "float16": 16,
    "bfloat16": 32,
    "float32": 32,
    "float64": 64,
}


def _cast(d: str, values: object) -> np.ndarray:
    """float64 values rounded to nearest in dtype d (overflow gives inf, silently)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values, dtype=np.float64).astype(np_dtype(d))


def _round(d: str, value: float) -> float:
    """value rounded to nearest in dtype d, as a Python float (exact)."""
    return float(_cast(d, value).astype(np.float64))


def _ordered(d: str, a: np.ndarray) -> np.ndarray:
    """Integers in the order of the dtype's values: consecutive numbers are one ulp apart."""
    dt = np_dtype(d)
    bits = np.ascontiguousarray(a, dtype=dt).view(_UINT[dt.itemsize])
    sign = np.array(1 << (8 * dt.itemsize - 1), dtype=bits.dtype)
    mag = (bits & ~sign).astype(np.int64)
    return np.where((bits & sign) != 0, -mag, mag)


def _from_ordered(d: str, k: np.ndarray) -> np.ndarray:
    """The inverse of _ordered: values of dtype d, as float64."""
    dt = np_dtype(d)
    u = _UINT[dt.itemsize]
    k = np.asarray(k, dtype=np.int64)
    mag = np.abs(k).astype(u)
    bits = np.where(k < 0, mag | np.array(1 << (8 * dt.itemsize - 1), dtype=u), mag).astype(u)
    return bits.view(dt).astype(np.float64)


def _step(d: str, value: float, k: int) -> float:
    """The value k representable steps above (k < 0: below) ``value`` in dtype d."""
    o = _ordered(d, _cast(d, [value]))
    return float(_from_ordered(d, o + k)[0])


def _clamp(d: str, value: float) -> float:
    m = float_format(d).max
    return min(max(value, -m), m)


def _round_up(d: str, value: float) -> float:
    """The smallest value of dtype d that is >= value (value clamped to the finite range)."""
    value = _clamp(d, value)
    c = _round(d, value)
    return c if c >= value else _step(d, c, 1)


def _round_down(d: str, value: float) -> float:
    """The largest value of dtype d that is <= value (value clamped to the finite range)."""
    value = _clamp(d, value)
    c = _round(d, value)
    return c if c <= value else _step(d, c, -1)


def _floats(d: str, lo: float, hi: float, *, what: str = "range") -> SearchStrategy[float]:
    """Finite floats in [lo, hi] exactly representable in dtype d (Hypothesis shrinks to 0)."""
    fmt = float_format(d)
    if lo > fmt.max or hi < -fmt.max:
        _fail(f"{what} [{lo!r}, {hi!r}] lies beyond the {d} range [-{fmt.max}, {fmt.max}]")
    lo_r, hi_r = _round_up(d, lo), _round_down(d, hi)
    if lo_r > hi_r:
        _fail(f"{what} [{lo!r}, {hi!r}] holds no {d} value")
    # Hypothesis refuses allow_subnormal=False when a bound is itself subnormal.
    normal_bounds = all(v == 0 or abs(v) >= fmt.tiny for v in (lo_r, hi_r))
    s = st.floats(
        lo_r,
        hi_r,
        width=_WIDTH[d],
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False if normal_bounds else None,
    )
    if d == "bfloat16":  # drawn as float32 inside bfloat16 bounds, rounded inward-safe
        s = s.map(lambda v: _round("bfloat16", v))
    return s


def overflow_bounds(dtype: Any) -> tuple[float, float]:
    """(b, a): the largest value of dtype whose exp is finite in it, and the next one up.

    exp(x) rounds to inf once it reaches max + ulp(max)/2 = 2^emax (2 - 2^-p), so
    the exact threshold is emax ln 2 + ln(2 - 2^-p); b < threshold < a.
    """
    d = _dtype_arg(dtype)
    fmt = float_format(d)
    with localcontext() as ctx:
        ctx.prec = 60
        two = Decimal(2)
        exact = fmt.emax * two.ln() + (two - two**-fmt.precision).ln()
        c = _round(d, float(exact))
        while Decimal(c) > exact:
            c = _step(d, c, -1)
        while Decimal(_step(d, c, 1)) < exact:
            c = _step(d, c, 1)
    return c, _step(d, c, 1)


def underflow_threshold(dtype: Any) -> float:
    """u such that exp(x) rounds to zero in dtype for every x <= u: log(smallest subnormal / 2)."""
    fmt = float_format(_dtype_arg(dtype))
    return math.log(fmt.smallest_subnormal) - math.log(2.0)


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


# --------------------------------------------------------------------------- element strategies


def logits(
    dtype: Any = "float32", *, min_value: float = -10.0, max_value: float = 10.0
) -> SearchStrategy[float]:
    """Ordinary logits: finite normal floats in [min_value, max_value] (and 0), exact in dtype."""
    lo, hi = _real_arg("min_value", min_value), _real_arg("max_value", max_value)
    _order("min_value", lo, "max_value", hi)

    def build(d: object) -> SearchStrategy[float]:
        name = _dtype_arg(d)
        return _floats(name, lo, hi, what=f"logits(min_value={lo!r}, max_value={hi!r})")

    return _resolve(dtype, build)


def near_overflow(
    dtype: Any = "float32", *, below: bool = True, above: bool = True, far: bool = True
) -> SearchStrategy[float]:
    """Values near each dtype's exp overflow threshold t (11.09 float16, 88.72 float32
    and bfloat16, 709.78 float64).

    ``below``: values in [t - max(4, t/16), b], b the largest value whose exp is finite.
    ``above``: values in [a, 4t], a the smallest whose exp overflows; with ``far``
    also values from 4t up to the dtype's max. With ``below=False`` every value
    crosses the threshold.
    """
    lo_side = _bool_arg("below", below)
    hi_side = _bool_arg("above", above)
    far_side = _bool_arg("far", far)
    if not (lo_side or hi_side):
        _fail("below=False and above=False leave nothing to draw: allow at least one side")

    def build(dt: Any) -> SearchStrategy[float]:
        d = _dtype_arg(dt)
        fmt = float_format(d)
        t = fmt.exp_overflow
        b, a = overflow_bounds(d)
        parts = []
        if lo_side:
            parts.append(_floats(d, t - max(4.0, t / 16), b))
        if hi_side:
            parts.append(_floats(d, a, 4 * t))
            if far_side:
                parts.append(_floats(d, 4 * t, fmt.max))
        return st.one_of(parts)

    return _resolve(dtype, build)


def large_negative(
    dtype: Any = "float32", *, min_value: float | None = None, max_value: float | None = None
) -> SearchStrategy[float]:
    """Large negative values, around and beyond the underflow threshold u of the dtype.

    u = log(smallest subnormal / 2) (-17.3 float16, -103.97 float32, -92.9 bfloat16,
    -745.1 float64): exp(x) is zero for x <= u. Defaults: [3u, -t/2], t the exp
    overflow threshold.
    """

    def build(dt: Any) -> SearchStrategy[float]:
        d = _dtype_arg(dt)
        u, t = underflow_threshold(d), float_format(d).exp_overflow
        lo = 3 * u if min_value is None else _real_arg("min_value", min_value)
        hi = -t / 2 if max_value is None else _real_arg("max_value", max_value)
        _order("min_value", lo, "max_value", hi)
        if hi >= 0:
            _fail(f"max_value={hi!r} must be < 0 for large negative values")
        return _floats(d, lo, hi, what=f"large_negative(min_value={lo!r}, max_value={hi!r})")

    if min_value is not None:
        _real_arg("min_value", min_value)
    if max_value is not None:
        _real_arg("max_value", max_value)
    if min_value is not None and max_value is not None:
        _order("min_value", float(min_value), "max_value", float(max_value))
    return _resolve(dtype, build)


def subnormals(dtype: Any = "float32", *, signed: bool = True) -> SearchStrategy[float]:
    """Subnormal values of the dtype: k * smallest_subnormal, 0 < k < 2^(p-1).

    Shrinks towards the smallest subnormal. ``signed=False`` draws positive ones only.
    """
    neg = _bool_arg("signed", signed)

    def build(dt: Any) -> SearchStrategy[float]:
        fmt: Format = float_format(_dtype_arg(dt))
        ss = fmt.smallest_subnormal
        ks = st.integers(1, 2 ** (fmt.precision - 1) - 1)
        if not neg:
            return ks.map(lambda k: k * ss)
        return st.tuples(ks, st.booleans()).map(lambda kb: -kb[0] * ss if kb[1] else kb[0] * ss)

    return _resolve(dtype, build)


def specials(
    dtype: Any = "float32", *, nan: bool = True, pos_inf: bool = True, neg_inf: bool = False
) -> SearchStrategy[float]:
    """+inf, NaN and (with ``neg_inf=True``) -inf. Opt-in: no other strategy draws them."""
    want = {
        "nan": _bool_arg("nan", nan),
        "pos_inf": _bool_arg("pos_inf", pos_inf),
        "neg_inf": _bool_arg("neg_inf", neg_inf),
    }
    if not any(want.values()):
        _fail("nan=False, pos_inf=False and neg_inf=False leave nothing to draw")
    values = [
        v for k, v in (("pos_inf", math.inf), ("nan", math.nan), ("neg_inf", -math.inf)) if want[k]
    ]

    def build(dt: Any) -> SearchStrategy[float]:
        _dtype_arg(dt)
        return st.sampled_from(values)

    return _resolve(dtype, build)


def wide_spread(dtype: Any = "float32", *, max_magnitude: float = 1e4) -> SearchStrategy[float]:
    """0 and -m with log10(m) uniform in [-1, log10(max_magnitude)]: a row of these spans
    from 0 down to thousands, across every exp underflow threshold."""
    top = _real_arg("max_magnitude", max_magnitude)
    if top < 0.1:
        _fail(f"max_magnitude={max_magnitude!r} must be >= 0.1")

    def build(dt: Any) -> SearchStrategy[float]:
        d = _dtype_arg(dt)
        if top > float_format(d).max:
            _fail(f"max_magnitude={max_magnitude!r} must be <= the {d} max {float_format(d).max}")
        exps = st.floats(-1.0, math.log10(top))
        return st.just(0.0) | exps.map(lambda e: _round_up(d, -min(10.0**e, top)))

    return _resolve(dtype, build)


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


# --------------------------------------------------------------------------- cases

_TAG_ORDER = {tag: i for i, tag in enumerate(FAMILIES)}


def case_tags(family: str, x: np.ndarray, axis: int) -> tuple[str, ...]:
    """The catalogue's tags for this array (shape, axis-not-last, specials ...), family aside."""
    tags = _derived_tags(x, axis) - {family}
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
