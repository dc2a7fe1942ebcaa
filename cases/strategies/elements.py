"""Element strategies: Python floats exactly representable in a dtype."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from cases.dtypes import Format, float_format
from cases.strategies._support import (
    _bool_arg,
    _dtype_arg,
    _fail,
    _floats,
    _order,
    _real_arg,
    _resolve,
    _round_up,
    overflow_bounds,
    underflow_threshold,
)

__all__ = ["large_negative", "logits", "near_overflow", "specials", "subnormals", "wide_spread"]


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
