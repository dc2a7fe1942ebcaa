"""The fast oracle equals the mpmath baseline bit for bit, in every dtype.

Random and adversarial rows: ties, near-ties a few ulps apart, huge and tiny
magnitudes, outputs that are subnormal or round to 0, wide spreads, partial
-inf masks, long rows; and the mpmath baseline against plain mpmath at a much
higher precision.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conformance.oracle.fast as fast
from cases.dtypes import FLOAT_DTYPES, float_format, np_dtype
from conformance.oracle import reference_softmax, reference_softmax_mpmath, round_to_format
from conformance.oracle.reference import solve_rows
from conformance.oracle.rows import to_rows

KINDS = ("normal", "ties", "near-ties", "wide", "threshold", "huge", "tiny", "masked")
SCALES = (1e-8, 1e-3, 0.5, 1.0, 4.0, 12.0, 30.0, 100.0, 700.0, 1e4)


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _explain(x: np.ndarray, axis: int, a: np.ndarray, b: np.ndarray) -> str:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    diff = np.flatnonzero((a64 != b64) & ~(np.isnan(a64) & np.isnan(b64)))
    i = int(diff[0]) if diff.size else 0
    return (
        f"reference_softmax(x={x.tolist()!r} ({x.dtype}), axis={axis}): out.flat[{i}]="
        f"{a64.flat[i]!r}, mpmath baseline gives {b64.flat[i]!r}"
    )


def _row(rng: np.random.Generator, kind: str, n: int, dtype: str, scale: float) -> np.ndarray:
    """One row of ``n`` finite values (``-inf`` for masks) representable in ``dtype``."""
    dt = np_dtype(dtype)
    big = float(np.finfo(np.float32 if dtype == "bfloat16" else dt).max) / 4
    threshold = (float_format(dtype).emin - float_format(dtype).precision) * math.log(2)
    if kind == "normal":
        x = rng.standard_normal(n) * scale
    elif kind == "ties":
        x = rng.choice(rng.standard_normal(3) * scale, size=n)
    elif kind == "near-ties":  # a base value and neighbours a few ulps away, in dtype
        base = np.full(n, rng.standard_normal() * scale).astype(dt)
        steps = rng.integers(-4, 5, size=n)
        x = base.astype(np.float64)
        for i, s in enumerate(steps):
            v = base[i]
            for _ in range(abs(int(s))):
                v = np.nextafter(v, dt.type(np.inf) if s > 0 else dt.type(-np.inf))
            x[i] = float(v)
    elif kind == "wide":  # like [0, -700, -745, -1e4]
        x = rng.choice([0.0, -1.0, -30.0, -100.0, -700.0, -745.0, -1e4, threshold], size=n)
        x += rng.standard_normal(n) * rng.choice([0.0, 1e-6, 0.5])
    elif kind == "threshold":  # outputs near the subnormal range and the rounding to 0
        x = threshold + rng.uniform(-3.0, 30.0, size=n)
        x[rng.integers(n)] = 0.0
    elif kind == "huge":
        x = rng.uniform(-1.0, 1.0, size=n) * big
    elif kind == "tiny":
        tiny = float_format(dtype).smallest_subnormal
        x = rng.integers(-50, 50, size=n) * tiny
    else:  # masked: some -inf, at least one finite
        x = rng.standard_normal(n) * scale
        x[rng.random(n) < 0.4] = -np.inf
        x[rng.integers(n)] = rng.standard_normal()
    x = np.clip(x, -big * 4, big * 4)
    return x.astype(dt)


@st.composite
def blocks(draw, dtype: str) -> tuple[np.ndarray, int]:
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(1, 48))
    m = draw(st.integers(1, 4))
    scale = draw(st.sampled_from(SCALES))
    rng = np.random.default_rng(seed)
    x = np.stack([_row(rng, kind, n, dtype, scale) for _ in range(m)])
    if draw(st.booleans()):
        return np.ascontiguousarray(x.T), 0  # rows along axis 0
    return x, 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=1000, deadline=None)
@given(data=st.data())
def test_fast_equals_mpmath_random(dtype, data):
    x, axis = data.draw(blocks(dtype))
    a = reference_softmax(x, axis)
    b = reference_softmax_mpmath(x, axis)
    assert _bits_equal(a, b), _explain(x, axis, a, b)


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_equals_mpmath_float64_input_any_output(out_dtype, data):
    x, axis = data.draw(blocks("float64"))
    a = reference_softmax(x, axis, out_dtype)
    b = reference_softmax_mpmath(x, axis, out_dtype)
    assert a.dtype == np_dtype(out_dtype)
    assert _bits_equal(a, b), _explain(x, axis, a, b)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=12),
    st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint64"]),
)
def test_fast_equals_mpmath_integers(values, dtype):
    info = np.iinfo(dtype)
    x = np.array([min(max(v, info.min), info.max) for v in values], dtype=dtype)
    a = reference_softmax(x, 0)
    b = reference_softmax_mpmath(x, 0)
    assert a.dtype == np.float64
    assert _bits_equal(a, b), _explain(x, 0, a, b)


HAND_PICKED = [
    [0.0, -700.0, -745.0, -1e4],
    [0.0, -745.1332191019411, -745.1332191019412, -744.4400719213812],  # around 2**-1075
    [0.0, -708.3964185322641, -708.3964185322640, -709.0],  # around the smallest normal
    [3.0, 1.0, 0.2],
    [1e308, -1e308, 0.0],  # x - max overflows
    [-1e308, -1e308],
    [5e-324, 0.0, -5e-324],
    [1.0, 1.0, 1.0],
    [1.0, np.nextafter(1.0, 2.0), np.nextafter(1.0, 0.0)],
    [0.0, -math.log(2.0), -2 * math.log(2.0)],  # outputs near exact binary fractions
    [0.0, -np.inf, -1.0, -np.inf],
    [12345.0, 67890.0, 99999999.0],
    [0.0] * 3 + [-17.328679513998633, -17.3, -16.6, -10.0],  # float16 zero/subnormal region
    [0.0, -103.97, -103.28, -87.3, -87.33654475055310898],  # float32 region
    [0.0, -92.88, -92.1, -88.0],  # bfloat16 region
]


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("row", HAND_PICKED, ids=lambda r: str(r[:3]))
def test_fast_equals_mpmath_hand_picked(row, out_dtype):
    x = np.array(row, dtype=np.float64)
    a = reference_softmax(x, 0, out_dtype)
    b = reference_softmax_mpmath(x, 0, out_dtype)
    assert _bits_equal(a, b), _explain(x, 0, a, b)


def test_wide_spread_values_by_hand():
    y = reference_softmax(np.array([0.0, -700.0, -745.0, -1e4]), 0)
    # exp(-700) ~ 9.86e-305 is normal; exp(-745) ~ 4.94e-324 is one subnormal; exp(-1e4) is 0
    assert y[0] == 1.0 and y[3] == 0.0 and y[2] == 5e-324
    with mpmath.workprec(300):
        exact = mpmath.exp(-700) / (1 + mpmath.exp(-700) + mpmath.exp(-745))
    assert y[1] == round_to_format(exact, float_format("float64"))


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_long_row_equals_mpmath(dtype):
    rng = np.random.default_rng(7)
    n = 100_000 if dtype == "float64" else 20_000
    x = (rng.standard_normal(n) * 30).astype(np_dtype(dtype))
    a = reference_softmax(x, 0)
    b = reference_softmax_mpmath(x, 0)
    assert _bits_equal(a, b), _explain(x[:5], 0, a, b)


def test_fallback_rows_merge_correctly(monkeypatch):
    # With a useless error bound the screen decides nothing; every row must then
    # come from mpmath, in its place, and match the baseline.
    monkeypatch.setattr(fast, "EPS_CORE", 2.0**-2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 7)) * 10
    x[1, 2, 3] = np.nan  # one undefined row (all NaN, not sent to mpmath)
    rows = to_rows(x, 1, None)
    out, stats = solve_rows(rows)
    assert stats.undecided > 0 and stats.mp_rows == 3 * 7 - 1, stats
    assert _bits_equal(reference_softmax(x, 1), reference_softmax_mpmath(x, 1))


def test_mpmath_baseline_equals_high_precision_mpmath():
    # Independent of Ziv's loop: plain mpmath at 600 bits, then one exact rounding.
    rng = np.random.default_rng(11)
    for dtype in FLOAT_DTYPES:
        fmt = float_format(dtype)
        for scale in (1.0, 8.0, 60.0):
            x = (rng.standard_normal(12) * scale).astype(np_dtype(dtype))
            got = reference_softmax_mpmath(x, 0)
            with mpmath.workprec(600):
                vals = [mpmath.mpf(float(v)) for v in x.astype(np.float64)]
                top = max(vals)
                e = [mpmath.exp(v - top) for v in vals]
                s = mpmath.fsum(e)
                expected = [round_to_format(t / s, fmt) for t in e]
            assert got.astype(np.float64).tolist() == expected, (
                f"reference_softmax_mpmath({x.tolist()}, {dtype}) = {got.tolist()}, "
                f"600-bit mpmath gives {expected}"
            )
