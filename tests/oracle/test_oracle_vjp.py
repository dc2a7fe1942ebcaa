"""reference_softmax_vjp: fast == mpmath (Ziv) == plain high-precision mpmath; zeros, cap, scale.

The independent computation, per class of equal ``x`` (so that exact zeros
come out exactly): ``dx_i = s_i * sum_k s_k * sum_{j in class k} (g_i - g_j)``
with the inner sums exact rationals and everything else plain mpmath at 600
bits (or more where a test needs it), then one exact rounding.
"""

from __future__ import annotations

import math
from fractions import Fraction
from math import comb

import ml_dtypes
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.dtypes import FLOAT_DTYPES, Format, float_format, np_dtype
from conformance.oracle import (
    reference_softmax,
    reference_softmax_vjp,
    reference_softmax_vjp_mpmath,
    round_to_format,
    softmax_vjp_scale,
)
from conformance.oracle.mp_vjp import VJP_CAP_BITS, vjp_row_mp
from conformance.oracle.vjp import solve_vjp, vjp_rows


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _mpq(q: Fraction) -> mpmath.mpf:
    return mpmath.mpf(q.numerator) / q.denominator


def exact_vjp_values(x: list, g: list, prec: int = 600) -> list:
    """Unrounded mpmath values (None for -inf elements of x: exactly 0)."""
    with mpmath.workprec(prec):
        finite = [i for i, v in enumerate(x) if v != -math.inf]
        top = max(x[i] for i in finite)
        classes: dict = {}
        for i in finite:
            classes.setdefault(x[i], []).append(i)
        e = {
            k: mpmath.exp(mpmath.fsub(mpmath.mpf(k), mpmath.mpf(top), exact=True)) for k in classes
        }
        total = mpmath.fsum(len(v) * e[k] for k, v in classes.items())
        s = {k: e[k] / total for k in classes}
        out: list = [None] * len(x)
        for i in finite:
            acc = mpmath.fsum(
                s[k] * _mpq(sum(Fraction(g[i]) - Fraction(g[j]) for j in v))
                for k, v in classes.items()
            )
            out[i] = s[x[i]] * acc
        return out


def _precision(x: list) -> int:
    """Enough bits for the rows the generators make.

    600; plus, with a tie at the maximum, twice the spread of ``x`` in bits
    (then ``dx`` is a rational, possibly a midpoint, plus a term as small as
    ``exp(2 (min x - max x))``); plus 3400 when two distinct ``x`` lie within
    2**-200 of each other (then ``g_i - sum(g s)`` can cancel about 1100 bits
    deep, and a rational part with it: distinct doubles differ by at least
    2**-1074).  The generators keep ties at the maximum within a spread of 2000.
    """
    vals = sorted({v for v in x if v != -math.inf})
    close = any(b - a < 2.0**-200 for a, b in zip(vals, vals[1:], strict=False))
    tie = sum(v == vals[-1] for v in x) > 1
    spread = (vals[-1] - vals[0]) / math.log(2) if tie else 0.0
    return int(600 + 2 * spread + (3400 if close else 0))


def exact_vjp_row(x: list, g: list, fmt: Format, prec: int | None = None) -> list[float]:
    values = exact_vjp_values(x, g, prec or _precision(x))
    return [0.0 if v is None else round_to_format(v, fmt) for v in values]


def _expected(x: np.ndarray, g: np.ndarray, axis: int, out: str) -> np.ndarray:
    mx, mg = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    fx = mx.reshape(-1, mx.shape[-1]).astype(np.float64).tolist()
    fg = mg.reshape(-1, mg.shape[-1]).astype(np.float64).tolist()
    res = np.array([exact_vjp_row(a, b, float_format(out)) for a, b in zip(fx, fg, strict=True)])
    return np.moveaxis(res.reshape(mx.shape), -1, axis)


def _assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    same = (g == e) & (np.signbit(g) == np.signbit(e)) | (np.isnan(g) & np.isnan(e))
    if not same.all():
        i = int(np.flatnonzero(~same.ravel())[0])
        raise AssertionError(f"{what}: out.flat[{i}]={g.flat[i]!r}, expected {e.flat[i]!r}")


X_KINDS = ("normal", "ties", "wide", "dominant", "masked", "huge", "tiny")
G_KINDS = ("normal", "constant", "near-constant", "one-hot", "huge", "tiny", "class-means")


def _x_row(rng, kind: str, n: int, dtype: str, scale: float) -> np.ndarray:
    fmt = float_format(dtype)
    if kind == "normal":
        x = rng.standard_normal(n) * scale
    elif kind == "ties":  # (scale at most 30: see _precision)
        x = rng.choice(rng.standard_normal(2) * min(scale, 30.0), size=n)
    elif kind == "wide":
        x = rng.choice([0.0, -1.0, -30.0, -700.0, -745.0, -801.0, -2000.0], size=n)
    elif kind == "dominant":  # g_a - G cancels at the maximum
        x = rng.standard_normal(n) - 100 * scale
        x[rng.integers(n)] = 0.0
    elif kind == "huge":  # a single maximum (a tie would need ~1e38 bits in _precision)
        x = rng.uniform(-1, 0.5, n) * (fmt.max / 4)
        x[rng.integers(n)] = fmt.max / 4
    elif kind == "tiny":
        x = rng.integers(-5, 5, n) * fmt.smallest_subnormal
    else:  # masked
        x = rng.standard_normal(n) * scale
        x[rng.random(n) < 0.4] = -np.inf
        x[rng.integers(n)] = 0.0
    x = np.where(np.isneginf(x), x, np.clip(x, -fmt.max, fmt.max))  # masks stay -inf
    return x.astype(np_dtype(dtype))


def _g_row(rng, kind: str, x: np.ndarray, dtype: str) -> np.ndarray:
    n = x.size
    fmt = float_format(dtype)
    if kind == "normal":
        g = rng.standard_normal(n)
    elif kind == "constant":  # exactly zero gradient
        g = np.full(n, rng.standard_normal() * 10.0 ** rng.integers(-3, 4))
    elif kind == "near-constant":  # cancellation in g_i - sum(g s)
        g = 1 + rng.integers(-2, 3, n) * 2.0 ** -(fmt.precision - 3)
    elif kind == "one-hot":
        g = np.zeros(n)
        g[rng.integers(n)] = 1.0
    elif kind == "huge":
        g = np.clip(rng.standard_normal(n), -4, 4) * (fmt.max / 4)
    elif kind == "tiny":
        g = rng.integers(-9, 10, n) * fmt.smallest_subnormal
    else:  # class-means: every class of equal x has mean 1: exact zeros where g = 1
        g = np.ones(n)
        for v in np.unique(x.astype(np.float64)):
            idx = np.flatnonzero(x.astype(np.float64) == v)
            if idx.size >= 2:
                g[idx[0]], g[idx[1]] = 0.0, 2.0
    return g.astype(np_dtype(dtype))


@st.composite
def vjp_inputs(draw, dtype: str) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xk = draw(st.sampled_from(X_KINDS))
    gk = draw(st.sampled_from(G_KINDS))
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 3))
    scale = draw(st.sampled_from([1e-6, 1.0, 4.0, 30.0, 1e8]))
    with np.errstate(over="ignore"):
        xs = [_x_row(rng, xk, n, dtype, scale) for _ in range(m)]
        gs = [_g_row(rng, gk, r, dtype) for r in xs]
    x, g = np.stack(xs), np.stack(gs)
    if draw(st.booleans()):
        return np.ascontiguousarray(x.T), np.ascontiguousarray(g.T), 0
    return x, g, 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_equals_mpmath_and_plain_mpmath(dtype, data):
    x, g, axis = data.draw(vjp_inputs(dtype))
    fast = reference_softmax_vjp(x, g, axis)
    slow = reference_softmax_vjp_mpmath(x, g, axis)
    what = f"softmax_vjp(x={x.tolist()!r}, g={g.tolist()!r} ({dtype}), axis={axis})"
    assert fast.dtype == np_dtype(dtype)
    assert _bits(fast) == _bits(slow), f"{what}: fast {fast.tolist()}, mpmath {slow.tolist()}"
    _assert_same(fast, _expected(x, g, axis, dtype), what)


@pytest.mark.parametrize("out_dtype", ["float16", "bfloat16", "float32"])
@settings(derandomize=True, max_examples=40, deadline=None)
@given(data=st.data())
def test_float64_inputs_into_narrow_outputs(out_dtype, data):
    x, g, axis = data.draw(vjp_inputs("float64"))
    fast = reference_softmax_vjp(x, g, axis, out_dtype)
    assert _bits(fast) == _bits(reference_softmax_vjp_mpmath(x, g, axis, out_dtype))
    _assert_same(fast, _expected(x, g, axis, out_dtype), f"vjp({x.tolist()}) -> {out_dtype}")


HAND_PICKED = [
    ([0.0, -700.0, -745.0], [1.0, 0.0, -1.0]),
    ([0.0, -1000.0, -2000.0], [1e300, -1e300, 1e-300]),  # dx_1 about -1e-134
    ([1.0, 1.0, 2.0, 2.0, 0.0], [0.0, 2.0, 1.0, 1.0, 1.0]),  # class means all 1: zeros
    ([0.0, 0.0], [1.0 + 2.0**-52, -1.0]),  # one class: (g_i - mean)/2, a float64 tie
    ([3.0, 3.0, -np.inf], [1.0, 2.0, 4.0]),
    ([0.0, -1e-300, -2e-300], [0.0, 1.0, -1.0]),  # cancellation about 1e-300 deep
    ([0.0, -5e-324, -1e-323], [0.0, 1.0, -1.0]),
    ([0.3e8, -1.7e8, 0.29e8], [0.5, -2.0, 0.5]),  # dx_0 = -0.0 or +0.0 by the sign of N_0
    ([0.0, -800.5, -900.0], [2.0, 1.0, 2.0]),  # every other element below -800
    ([0.0], [5.0]),
]


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("x, g", HAND_PICKED, ids=lambda v: str(v[:2]))
def test_hand_picked(x, g, out_dtype):
    x, g = np.array(x), np.array(g)
    fast = reference_softmax_vjp(x, g, 0, out_dtype)
    assert _bits(fast) == _bits(reference_softmax_vjp_mpmath(x, g, 0, out_dtype))
    _assert_same(fast, _expected(x, g, 0, out_dtype), f"vjp({x.tolist()}, {g.tolist()})")


@pytest.mark.parametrize("out_dtype", ["float16", "float64"])
def test_tie_at_the_maximum_plus_a_far_element(out_dtype):
    # dx = (g_1 - g_2)/4 (exactly a midpoint here) plus a term of order exp(-10000):
    # its sign decides, and the mpmath path finds it without hitting the cap.
    fmt = float_format(out_dtype)
    # (g_1 - g_2)/4 = 0.375 - 2**(-p-2): a midpoint (the quantum in [1/4, 1/2) is 2**(-1-p))
    for g0 in (-2.0, 0.5):  # the perturbation pushes up for one, down for the other
        x = [-10000.0, 0.0, 0.0]
        g = [g0, 1.0, -0.5 + 2.0**-fmt.precision]
        got, capped = vjp_row_mp(x, g, fmt)
        expected = exact_vjp_row(x, g, fmt, 30_000)
        assert capped == 0 and got == expected, (x, g, got, expected)
        assert exact_vjp_row(x, g, fmt, 600) != expected, "not a midpoint to 600 bits"
        fast = reference_softmax_vjp(np.array(x), np.array(g), 0, out_dtype)
        assert fast.astype(np.float64).tolist() == expected


def test_exact_zeros_are_plus_zero_and_found_without_mpmath_for_constant_g():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 20)) * 50
    for c in (1.0, -3e300, 5e-324, 0.0):
        g = np.full(x.shape, c)
        dx = reference_softmax_vjp(x, g, 1)
        assert (dx == 0).all() and not np.signbit(dx).any(), f"g = {c}: {dx[dx != 0][:3]}"
        _, stats = solve_vjp(*vjp_rows(x, g, 1, None))
        assert stats.mp_rows == 0
    # the same g with one element a hair different: no longer zero
    g = np.ones(4)
    g[2] = 1 + 2.0**-52
    dx = reference_softmax_vjp(np.array([0.0, -1.0, -2.0, -3.0]), g, 0)
    assert (dx != 0).all(), dx


def test_the_screen_decides_dominant_maxima():
    # One logit far above the rest: g_a - sum(g s) cancels down to about exp(-gap),
    # here as far as the subnormals (gap up to 790).  R = sum s_j (g_j - g_a) keeps it
    # relatively precise, so nothing goes to mpmath.
    rng = np.random.default_rng(10)
    gap = rng.uniform(30, 760, (400, 1))
    x = -gap - rng.uniform(0, 40, (400, 8))
    x[:, 0] = 0.0
    g = rng.standard_normal((400, 8))
    dx, stats = solve_vjp(*vjp_rows(x, g, 1, None))
    assert stats.mp_rows == 0, stats
    assert (dx[:, 0] != 0).any() and (np.abs(dx[:, 0]) < 2.0**-1022).any()
    assert _bits(reference_softmax_vjp(x[:20], g[:20], 1)) == _bits(
        reference_softmax_vjp_mpmath(x[:20], g[:20], 1)
    )


def test_near_midpoint_is_decided_by_mpmath():
    # x = [0, d1, d2, d3], g = [1, 0, 0, 0]: dx_0 = s_0 (1 - s_0).  Choose s_0 with
    # s_0 (1 - s_0) within about 2**-120 of a float64 midpoint.
    fmt = float_format("float64")
    q = Fraction(2) ** -55  # the float64 quantum in [1/8, 1/4)
    m = Fraction(3, 16) - Fraction(3, 16) % q + q / 2  # a midpoint there
    with mpmath.workprec(800):
        mid = _mpq(m)
        s0 = (1 - mpmath.sqrt(1 - 4 * mid)) / 2
        rest = 1 / s0 - 1
        ds = []
        for i in range(3):
            goal = rest if i == 2 else rest * (1 - mpmath.mpf(2) ** -40)
            ds.append(float(mpmath.log(goal)))
            rest -= mpmath.exp(mpmath.mpf(ds[-1]))
    x = np.array([0.0, *ds])
    g = np.array([1.0, 0.0, 0.0, 0.0])
    exact = exact_vjp_values(x.tolist(), g.tolist(), 1500)[0]
    with mpmath.workprec(1500):
        assert abs(exact - mid) < mid * mpmath.mpf(2) ** -100, "construction missed"
    fast = reference_softmax_vjp(x, g, 0)
    assert float(fast[0]) == round_to_format(exact, fmt)
    assert _bits(fast) == _bits(reference_softmax_vjp_mpmath(x, g, 0))
    _, stats = solve_vjp(*vjp_rows(x, g, 0, None))
    assert stats.undecided >= 1, "the screen decided a value within 2**-100 of a midpoint"


def _difference_row(order: int) -> tuple[list[float], list[float]]:
    """x = [0, -d, -2d, ...], g making N_0 an order-th difference: |dx_0| ~ d**order."""
    d = 5e-324
    x = [0.0] + [-(k + 1) * d for k in range(order + 1)]
    g = [0.0] + [-float((-1) ** k * comb(order, k)) for k in range(order + 1)]
    return x, g


def test_deep_cancellation_is_resolved():
    # |dx_0| ~ 2**-3226: decided exactly (Ziv up to 5440 bits), its sign included.
    x, g = _difference_row(3)
    exact = exact_vjp_values(x, g, 20_000)
    expected = [round_to_format(v, float_format("float64")) for v in exact]
    got, capped = vjp_row_mp(x, g, float_format("float64"))
    assert capped == 0 and got == expected
    assert [math.copysign(1, v) for v in got] == [math.copysign(1, v) for v in expected]
    assert _bits(reference_softmax_vjp(np.array(x), np.array(g), 0)) == _bits(np.array(got))


def test_the_cap_returns_within_the_stated_error():
    # |dx_0| ~ 2**-6450: beyond the cap.  Returned from the last pass, and within half
    # an ulp plus 2**-4089 * scale of the exact value.
    x, g = _difference_row(6)
    fmt = float_format("float64")
    got, capped = vjp_row_mp(x, g, fmt)
    assert capped == 1
    exact = exact_vjp_values(x, g, 20_000)
    scale = softmax_vjp_scale(np.array(x), np.array(g), 0)
    with mpmath.workprec(20_000):
        err = abs(mpmath.mpf(got[0]) - exact[0])
        assert err <= mpmath.mpf(2) ** -1075 + mpmath.mpf(2) ** -4089 * scale[0]
    assert got[1:] == [round_to_format(v, fmt) for v in exact[1:]]
    assert VJP_CAP_BITS == 4096


def test_long_row():
    rng = np.random.default_rng(9)
    x = rng.standard_normal(5_000) * 20
    g = rng.standard_normal(5_000)
    assert _bits(reference_softmax_vjp(x, g, 0)) == _bits(reference_softmax_vjp_mpmath(x, g, 0))


def test_integers_beyond_2_53_are_exact():
    # shift invariance in x and in g (sum(s) = 1) gives exact expectations
    x = np.array([2**62, 2**62 - 1, 2**62 - 3], dtype=np.int64)
    g = np.array([2**60 + 1, 2**60, 2**60 + 4], dtype=np.int64)
    expected = reference_softmax_vjp(np.array([3.0, 2.0, 0.0]), np.array([1.0, 0.0, 4.0]), 0)
    for vjp in (reference_softmax_vjp, reference_softmax_vjp_mpmath):
        got = vjp(x, g, 0)
        assert got.dtype == np.float64 and _bits(got) == _bits(expected)


def test_special_values_shapes_and_arguments():
    x = np.array(
        [
            [1.0, np.nan, 2.0],
            [np.inf, 0.0, 1.0],
            [-np.inf] * 3,
            [0.0, 1.0, 2.0],
            [0.0, -np.inf, 1.0],
        ]
    )
    g = np.array([[1.0, 2, 3], [1, 2, 3], [1, 2, 3], [1, np.inf, 3], [1, 7, 3]])
    for vjp in (reference_softmax_vjp, reference_softmax_vjp_mpmath):
        dx = vjp(x, g, 1)
        assert np.isnan(dx[:4]).all() and not np.isnan(dx[4]).any()
        assert dx[4, 1] == 0 and not np.signbit(dx[4, 1])
    assert reference_softmax_vjp(
        np.array([1, 2], dtype=np.int8), np.array([1.0, 0.0]), 0
    ).dtype == (np.float64)
    xb = np.array([1.0, 2.0], dtype=ml_dtypes.bfloat16)
    assert reference_softmax_vjp(xb, np.array([1, 0]), 0).dtype == np.dtype(ml_dtypes.bfloat16)
    assert reference_softmax_vjp(np.zeros((2, 0)), np.zeros((2, 0)), 1).shape == (2, 0)
    with pytest.raises(ValueError, match=r"g of shape \(3,\) for x of shape \(2,\)"):
        reference_softmax_vjp(np.zeros(2), np.zeros(3), 0)
    with pytest.raises(TypeError, match="softmax_vjp of dtype=complex128.*for g"):
        reference_softmax_vjp(np.zeros(2), np.zeros(2, dtype=complex), 0)


def test_scale_definition():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((6, 7)) * 20
    x[0, 2] = -np.inf
    g = rng.standard_normal((6, 7)) * 10.0 ** rng.integers(-5, 5, (6, 1))
    g[0, 2] = 1e30  # masked: does not count
    scale = softmax_vjp_scale(x, g, 1)
    s = reference_softmax(x, 1, "float64")
    big_m = np.where(np.isfinite(x), np.abs(g), 0).max(axis=1, keepdims=True)
    np.testing.assert_array_equal(scale, s * big_m)
    assert scale[0, 2] == 0 and scale.dtype == np.float64
    dx = reference_softmax_vjp(x, g, 1)
    assert (np.abs(dx) <= 2 * scale).all()
    # and along another axis, with an undefined row
    x[3, 3] = np.nan
    sc0 = softmax_vjp_scale(x.T, g.T, 0)
    assert np.isnan(sc0[:, 3]).all() and (sc0[:, [0, 1, 2, 4, 5]] == scale[[0, 1, 2, 4, 5]].T).all()
