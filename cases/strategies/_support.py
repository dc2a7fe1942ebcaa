"""Argument validation and floats of a dtype, shared by the strategy modules."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from cases.dtypes import FLOAT_DTYPES, dtype_name, float_format, np_dtype
from cases.families import GENERATED_FAMILIES

__all__ = ["DENSE_LIMIT", "overflow_bounds", "underflow_threshold"]


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
    """u such that exp(x) rounds to zero in dtype for every x <= u: log(smallest subnormal / 2),
    taken two float64 steps down, below the rounding of the two logs (at the threshold itself
    exp(x) is exactly half a subnormal, and a value a rounding above it does not underflow)."""
    fmt = float_format(_dtype_arg(dtype))
    u = math.log(fmt.smallest_subnormal) - math.log(2.0)
    return math.nextafter(math.nextafter(u, -math.inf), -math.inf)
