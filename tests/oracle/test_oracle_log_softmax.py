"""reference_log_softmax: fast == mpmath (Ziv) == plain 400-bit mpmath, and its conventions.

The independent computation: ``y_i = (x_i - max) - log1p(sum_{j != a} exp(x_j - max))``
at 400 bits, the two subtractions exact, then one exact rounding.
"""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.dtypes import FLOAT_DTYPES, Format, float_format, np_dtype
from conformance.oracle import (
    reference_log_softmax,
    reference_log_softmax_mpmath,
    round_to_format,
)
from conformance.oracle.log_softmax import solve_log_softmax
from conformance.oracle.rows import to_rows

KINDS = ("normal", "ties", "near-ties", "wide", "threshold", "huge", "tiny", "masked", "far")
SCALES = (1e-8, 1e-3, 1.0, 4.0, 30.0, 300.0, 1e4, 1e8)


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _row(rng: np.random.Generator, kind: str, n: int, dtype: str, scale: float) -> np.ndarray:
    """One row of ``n`` values representable in ``dtype`` (-inf for masks, at least one finite)."""
    dt = np_dtype(dtype)
    fmt = float_format(dtype)
    big = fmt.max / 4
    if kind == "normal":
        x = rng.standard_normal(n) * scale
    elif kind == "ties":
        x = rng.choice(rng.standard_normal(3) * scale, size=n)
    elif kind == "near-ties":  # a value and its neighbours a few ulps away, in dtype
        base = np.float64(np.array(np.clip(rng.standard_normal() * scale, -big, big)).astype(dt))
        x = np.array(
            [
                base + k * math.ulp(base) * (2.0 ** (fmt.precision - 53) if base else 0)
                for k in rng.integers(-4, 5, size=n)
            ]
        )
        if not base:
            x = rng.integers(-4, 5, size=n) * fmt.smallest_subnormal
    elif kind == "wide":  # like [0, -700, -745, -1e4]
        x = rng.choice([0.0, -1.0, -30.0, -100.0, -700.0, -745.0, -799.0, -801.0, -1e4], size=n)
        x = x + rng.standard_normal(n) * rng.choice([0.0, 1e-6, 0.5])
    elif kind == "threshold":  # -log_softmax of the maximum near the subnormals
        cut = (fmt.emin - fmt.precision) * math.log(2)
        x = cut + rng.uniform(-3.0, 30.0, size=n)
        x[rng.integers(n)] = 0.0
    elif kind == "huge":
        x = rng.uniform(-1.0, 1.0, size=n) * big
    elif kind == "tiny":
        x = rng.integers(-50, 50, size=n) * fmt.smallest_subnormal
    elif kind == "far":  # one dominant logit: L far below the quantum of every output
        x = rng.standard_normal(n) * scale - 1e3 * scale
        x[rng.integers(n)] = rng.standard_normal() * scale
    else:  # masked
        x = rng.standard_normal(n) * scale
        x[rng.random(n) < 0.4] = -np.inf
        x[rng.integers(n)] = rng.standard_normal()
    x = np.where(np.isneginf(x), x, np.clip(x, -big * 4, big * 4))  # masks stay -inf
    with np.errstate(over="ignore"):
        return x.astype(dt)


def exact_minus(d: mpmath.mpf, big_l: mpmath.mpf) -> mpmath.mpf:
    """``d - L`` exactly, except that an ``L`` below ``2**-10000 |d|`` (whose exact
    difference could need 10**11 bits) is replaced by ``2**-10000 |d|`` rounded
    down to a power of two: any positive ``L`` that small rounds with ``d`` the same
    way into every format, since no rounding boundary lies strictly within
    ``2**-60 |d|`` of ``d`` on either side of it."""
    if d and big_l and mpmath.mag(d) - mpmath.mag(big_l) > 10_000:
        big_l = mpmath.ldexp(1, int(mpmath.mag(d)) - 10_001)
    return mpmath.fsub(d, big_l, exact=True)


def exact_log_softmax_row(row: list, fmt: Format, prec: int = 400) -> list[float]:
    """The independent computation (no Ziv): plain mpmath, then one exact rounding."""
    with mpmath.workprec(prec):
        finite = [i for i, v in enumerate(row) if v != -math.inf]
        top = max(row[i] for i in finite)
        a = next(i for i in finite if row[i] == top)
        d = {i: mpmath.fsub(mpmath.mpf(row[i]), mpmath.mpf(top), exact=True) for i in finite}
        t = mpmath.fsum(mpmath.exp(d[j]) for j in finite if j != a)
        big_l = mpmath.log1p(t)
        return [
            -math.inf if i not in d else round_to_format(exact_minus(d[i], big_l), fmt)
            for i in range(len(row))
        ]


def _expected(x: np.ndarray, axis: int, out: str) -> np.ndarray:
    moved = np.moveaxis(np.asarray(x), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    vals = flat.astype(np.int64 if flat.dtype.kind in "iu" else np.float64).tolist()
    res = np.array([exact_log_softmax_row(r, float_format(out)) for r in vals])
    return np.moveaxis(res.reshape(moved.shape), -1, axis)


def _assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    same = (g == e) & (np.signbit(g) == np.signbit(e)) | (np.isnan(g) & np.isnan(e))
    if not same.all():
        i = int(np.flatnonzero(~same.ravel())[0])
        raise AssertionError(f"{what}: out.flat[{i}]={g.flat[i]!r}, expected {e.flat[i]!r}")


@st.composite
def blocks(draw, dtype: str) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(1, 24))
    m = draw(st.integers(1, 3))
    scale = draw(st.sampled_from(SCALES))
    x = np.stack([_row(rng, kind, n, dtype, scale) for _ in range(m)])
    if draw(st.booleans()):
        return np.ascontiguousarray(x.T), 0
    return x, 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_equals_mpmath_and_plain_mpmath(dtype, data):
    x, axis = data.draw(blocks(dtype))
    fast = reference_log_softmax(x, axis)
    slow = reference_log_softmax_mpmath(x, axis)
    what = f"log_softmax(x={x.tolist()!r} ({dtype}), axis={axis})"
    assert fast.dtype == np_dtype(dtype)
    assert _bits(fast) == _bits(slow), f"{what}: fast {fast.tolist()} != mpmath {slow.tolist()}"
    _assert_same(fast, _expected(x, axis, dtype), what)


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=60, deadline=None)
@given(data=st.data())
def test_float64_input_into_every_output_format(out_dtype, data):
    x, axis = data.draw(blocks("float64"))
    fast = reference_log_softmax(x, axis, out_dtype)
    assert fast.dtype == np_dtype(out_dtype)
    assert _bits(fast) == _bits(reference_log_softmax_mpmath(x, axis, out_dtype))
    _assert_same(fast, _expected(x, axis, out_dtype), f"log_softmax({x.tolist()}) -> {out_dtype}")


@settings(derandomize=True, max_examples=100, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=8),
    st.sampled_from(["int8", "int32", "int64", "uint8", "uint64"]),
)
def test_integers_are_exact_even_beyond_2_53(values, dtype):
    info = np.iinfo(dtype)
    x = np.array([min(max(v, info.min), info.max) for v in values], dtype=dtype)
    fast = reference_log_softmax(x, 0)
    assert fast.dtype == np.float64
    assert _bits(fast) == _bits(reference_log_softmax_mpmath(x, 0))
    _assert_same(fast, _expected(x, 0, "float64"), f"log_softmax({x.tolist()}, {dtype})")


HAND_PICKED = [
    [0.0, -745.0],  # y_0 = -log1p(e**-745): about -5e-324
    [0.0, -700.0, -745.0, -1e4],
    [0.0, -799.9, -800.1, -801.0],  # terms around the screen's -800 edge
    [1.0, -(2.0**53)],  # d_1 = -(2**53 + 1): exactly a float64 midpoint, L dead
    [1.0, 0.5, -(2.0**53)],
    [1e308, -1e308, 0.0],  # x - max overflows: -inf
    [5e-324, 0.0, -5e-324],
    [3.0, 3.0, 3.0],
    [0.0, -1e-300],
    [88.72283905206835, -88.72283905206835, 0.0],
    [65504.0, -65504.0, 0.0],  # float16: -131008 overflows to -inf there
    [0.0] * 3 + [-17.328679513998633, -17.3, -16.6, -10.0],
    [0.0, -103.97, -103.28, -87.3],
    [1e8 * 0.3, 1e8 * -1.7, 1e8 * 0.29],
]


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("row", HAND_PICKED, ids=lambda r: str(r[:2]))
def test_hand_picked_rows(row, out_dtype):
    x = np.array(row)
    fast = reference_log_softmax(x, 0, out_dtype)
    assert _bits(fast) == _bits(reference_log_softmax_mpmath(x, 0, out_dtype))
    _assert_same(fast, _expected(x, 0, out_dtype), f"log_softmax({row}) -> {out_dtype}")


def test_exact_midpoint_differences_are_decided_by_the_sign_of_l():
    # d = -(2**53 + 1) is halfway between -2**53 and -(2**53 + 2); y = d - L lies
    # beyond it (L > 0, here below 2**-10**15), so it rounds away: -(2**53 + 2).
    y = reference_log_softmax(np.array([1.0, -(2.0**53)]), 0)
    assert y[1] == -(2.0**53 + 2) and y[0] == 0 and np.signbit(y[0]), y.tolist()
    y32 = reference_log_softmax(np.array([1.0, -(2.0**24)], dtype=np.float32), 0)
    assert float(y32[1]) == -(2.0**24 + 2), y32.tolist()
    # the fast screen decides these itself, and the mpmath baseline needs no huge precision
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 6)) * 1e8
    _, stats = solve_log_softmax(to_rows(x, 1, None))
    assert stats.mp_rows == 0, stats
    assert _bits(reference_log_softmax(x[:5], 1)) == _bits(reference_log_softmax_mpmath(x[:5], 1))


def test_long_rows():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(10_000) * 30
    assert _bits(reference_log_softmax(x, 0)) == _bits(reference_log_softmax_mpmath(x, 0))
    x16 = (rng.standard_normal(5_000) * 3).astype(np.float16)
    assert _bits(reference_log_softmax(x16, 0)) == _bits(reference_log_softmax_mpmath(x16, 0))


# --- rows whose maximal element -L lies a hair from a rounding midpoint -------------


def _row_with_t(target_t: mpmath.mpf, stages: int = 3) -> np.ndarray:
    """[0, d1, d2, d3] with sum(exp(d)) within about 2**-120 of ``target_t`` (relative)."""
    with mpmath.workprec(800):
        rest = target_t
        ds = []
        for i in range(stages):
            goal = rest if i == stages - 1 else rest * (1 - mpmath.mpf(2) ** -40)
            d = float(mpmath.log(goal))
            ds.append(d)
            rest -= mpmath.exp(mpmath.mpf(d))
    return np.array([0.0, *ds])


def _midpoints(fmt: Format) -> list[Fraction]:
    p, emin = fmt.precision, fmt.emin
    sub = Fraction(2) ** (emin - p + 1)
    q = Fraction(2) ** (1 - p)
    normal = [
        Fraction(1, 3) - (Fraction(1, 3) % (q / 4)) + q / 8,  # ordinary, in [1/4, 1/2)
        Fraction(1, 4) + q / 8,  # just above a power of two
        Fraction(2) ** -20 * (1 + 37 * q + q / 2),  # Newton regime, L about 1e-6
        Fraction(2) ** -40 * (1 + 5 * q + q / 2),  # series regime (T < 2**-30)
    ]
    return [m for m in normal if m >= Fraction(2) ** emin] + [
        17 * sub + sub / 2,  # among the subnormals
        sub / 2,  # half the smallest subnormal: -0.0 or minus the smallest subnormal
    ]


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
def test_near_midpoints_are_deferred_and_decided(out_dtype):
    fmt = float_format(out_dtype)
    for m in _midpoints(fmt):
        with mpmath.workprec(1000):
            mid = mpmath.mpf(m.numerator) / m.denominator
            row = _row_with_t(mpmath.expm1(mid))
            t = mpmath.fsum(mpmath.exp(mpmath.mpf(float(d))) for d in row[1:])
            exact = -mpmath.log1p(t)
            assert abs(exact + mid) < mid * mpmath.mpf(2) ** -100, "construction missed"
            expected = round_to_format(exact, fmt)
        fast = reference_log_softmax(row, 0, out_dtype)
        slow = reference_log_softmax_mpmath(row, 0, out_dtype)
        assert float(fast[0]) == expected and _bits(fast) == _bits(slow), (
            f"log_softmax({row.tolist()})[0] near -{float(m)!r} ({out_dtype}): "
            f"fast {float(fast[0])!r}, mpmath {float(slow[0])!r}, expected {expected!r}"
        )
        _, stats = solve_log_softmax(to_rows(row, 0, out_dtype))
        assert stats.undecided >= 1, (
            f"the screen decided {row.tolist()} within 2**-100 of a midpoint"
        )


# --- conventions ----------------------------------------------------------------------


@pytest.mark.parametrize("log_softmax", [reference_log_softmax, reference_log_softmax_mpmath])
def test_special_values(log_softmax):
    x = np.array(
        [
            [1.0, np.nan, 2.0],
            [np.inf, 0.0, 1.0],
            [-np.inf, -np.inf, -np.inf],
            [-np.inf, 5.0, -np.inf],  # one finite element: exactly 0 there
            [2.0, -np.inf, 2.0],
            [0.0, -800.0, -np.inf],  # y_0 = -e**-800 rounds to -0.0
        ]
    )
    y = log_softmax(x, 1)
    assert np.isnan(y[:3]).all() and not np.isnan(y[3:]).any(), y
    assert y[3].tolist() == [-np.inf, 0.0, -np.inf] and not np.signbit(y[3, 1])
    assert y[4, 1] == -np.inf and y[4, 0] == y[4, 2] == round_to_format(
        -mpmath.log(2), float_format("float64")
    )
    assert y[5, 0] == 0 and np.signbit(y[5, 0]) and y[5, 2] == -np.inf
    assert y[5, 1] == -800.0 and (log_softmax(np.array([[7.0]]), 1) == 0).all()


def test_overflow_conventions():
    assert reference_log_softmax(np.array([1e308, -1e308]), 0).tolist() == [-0.0, -np.inf]
    y16 = reference_log_softmax(np.array([6e4, -6e4], dtype=np.float16), 0)
    assert y16.dtype == np.float16 and y16.tolist() == [0.0, -np.inf]


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float16, np.float16),
        (ml_dtypes.bfloat16, ml_dtypes.bfloat16),
        (np.float32, np.float32),
        (np.int16, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_default_output_dtype(dtype, expected):
    assert reference_log_softmax(np.array([1, 0], dtype=dtype), 0).dtype == np.dtype(expected)


def test_axes_shapes_and_arguments():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4)) * 3
    for axis in range(-3, 3):
        y = reference_log_softmax(x, axis)
        moved = np.moveaxis(x, axis, -1)
        rows = np.stack([reference_log_softmax(r, 0) for r in moved.reshape(-1, x.shape[axis])])
        assert y.shape == x.shape
        np.testing.assert_array_equal(y, np.moveaxis(rows.reshape(moved.shape), -1, axis))
    assert reference_log_softmax(np.zeros((3, 0)), 1).shape == (3, 0)
    assert reference_log_softmax(np.zeros((0, 3), dtype=np.float32), 1).dtype == np.float32
    with pytest.raises(ValueError, match="axis=2"):
        reference_log_softmax(np.zeros((2, 2)), 2)
    with pytest.raises(TypeError, match="log_softmax of dtype=complex128"):
        reference_log_softmax(np.zeros(3, dtype=complex), 0)
