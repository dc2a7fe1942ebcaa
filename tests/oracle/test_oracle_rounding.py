"""round_to_format against hand-computed values in every format."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.dtypes import float_format
from conformance.oracle import round_to_format

F = Fraction
two = Fraction(2)

# (format, exact value, expected float), each worked out by hand:
# p = precision, q = quantum; a tie goes to the neighbour with an even last bit.
CASES = [
    # float64: p = 53, smallest subnormal 2**-1074, max (2 - 2**-52) 2**1023
    ("float64", F(1), 1.0),
    ("float64", 1 + two**-53, 1.0),  # tie between 1 (even) and 1 + 2**-52 (odd)
    ("float64", 1 + 3 * two**-53, 1 + 2.0**-51),  # tie: 1 + 2**-52 is odd, goes up
    ("float64", 1 + two**-53 + two**-200, 1 + 2.0**-52),  # just above the tie
    ("float64", 1 - two**-54, 1.0),  # tie below a power of two: spacing 2**-53 there
    ("float64", 1 - two**-54 - two**-300, 1 - 2.0**-53),
    ("float64", F(1, 3), 1 / 3),
    ("float64", F(-1, 3), -1 / 3),
    ("float64", two**-1075, 0.0),  # half the smallest subnormal: tie, 0 is even
    ("float64", two**-1075 + two**-1300, 2.0**-1074),
    ("float64", 3 * two**-1076, 2.0**-1074),  # 0.75 of the smallest subnormal
    ("float64", 3 * two**-1075, 2.0**-1073),  # 1.5 subnormals: tie to 2 (even)
    ("float64", 5 * two**-1075, 2.0**-1073),  # 2.5 subnormals: tie to 2 (even)
    ("float64", two**-1022 - two**-1074, 2.0**-1022 - 2.0**-1074),  # largest subnormal
    ("float64", two**-1022 - two**-1075, 2.0**-1022),  # tie: smallest normal is even
    ("float64", two**-1022 - 3 * two**-1076, 2.0**-1022 - 2.0**-1074),
    ("float64", two**1024 - two**970, math.inf),  # max + half ulp: tie, overflows
    ("float64", two**1024 - two**970 - 1, np.finfo(np.float64).max),
    ("float64", -(two**1024), -math.inf),
    ("float64", F(0), 0.0),
    # float32: p = 24, emin = -126, smallest subnormal 2**-149
    ("float32", 1 + two**-24, 1.0),
    ("float32", 1 + 3 * two**-24, 1 + 2.0**-22),
    ("float32", F(1, 10), float(np.float32(0.1))),
    ("float32", two**-150, 0.0),
    ("float32", two**-150 + two**-170, 2.0**-149),
    ("float32", 3 * two**-150, 2.0**-148),
    ("float32", two**-126 - two**-150, 2.0**-126),
    ("float32", two**-126 - 3 * two**-151, 2.0**-126 - 2.0**-149),
    ("float32", two**128 - two**103, math.inf),
    ("float32", two**128 - two**103 - two**80, float(np.finfo(np.float32).max)),
    # float16: p = 11, emin = -14, smallest subnormal 2**-24, max 65504
    ("float16", 1 + two**-11, 1.0),
    ("float16", 1 + 3 * two**-11, 1 + 2.0**-9),
    ("float16", F(65504), 65504.0),
    ("float16", F(65520), math.inf),  # max + half ulp (16): tie, overflows
    ("float16", F(65519), 65504.0),
    ("float16", F(-65520), -math.inf),
    ("float16", two**-25, 0.0),
    ("float16", two**-25 + two**-40, 2.0**-24),
    ("float16", 3 * two**-25, 2.0**-23),
    ("float16", two**-14 - two**-25, 2.0**-14),
    ("float16", two**-14 - two**-24, 2.0**-14 - 2.0**-24),  # largest subnormal, exact
    ("float16", F(1, 3), float(np.float16(1 / 3))),
    # bfloat16: p = 8, emin = -126, smallest subnormal 2**-133
    ("bfloat16", 1 + two**-8, 1.0),
    ("bfloat16", 1 + 3 * two**-8, 1 + 2.0**-6),
    ("bfloat16", 1 + two**-8 + two**-60, 1 + 2.0**-7),
    ("bfloat16", two**-134, 0.0),
    ("bfloat16", 3 * two**-134, 2.0**-132),
    ("bfloat16", two**-126 - two**-134, 2.0**-126),
    ("bfloat16", two**128 - two**119, math.inf),
    ("bfloat16", two**128 - two**119 - 1, (2 - 2.0**-7) * 2.0**127),
    ("bfloat16", F(1, 3), 0.333984375),  # 1/3 = 0.0101010101..b -> 1.0101011b * 2**-2
]


@pytest.mark.parametrize("fmt_name, value, expected", CASES)
def test_round_fraction_by_hand(fmt_name, value, expected):
    got = round_to_format(value, float_format(fmt_name))
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected), (
        f"round_to_format({value}, {fmt_name}) = {got!r}, expected {expected!r}"
    )


DYADIC = [c for c in CASES if c[1].denominator & (c[1].denominator - 1) == 0]


@pytest.mark.parametrize("fmt_name, value, expected", DYADIC)
def test_round_mpf_by_hand(fmt_name, value, expected):
    # the same exact values as mpmath mpf (an exact dyadic: precision plays no part)
    with mpmath.workprec(4000):
        mp_value = mpmath.mpf(value.numerator) / value.denominator
    got = round_to_format(mp_value, float_format(fmt_name))
    assert got == expected, (
        f"round_to_format(mpf {value}, {fmt_name}) = {got!r}, expected {expected!r}"
    )


def test_int_and_float_inputs():
    assert round_to_format(2**53 + 1, float_format("float64")) == 2.0**53  # tie to even
    assert round_to_format(2**53 + 3, float_format("float64")) == 2.0**53 + 4
    assert round_to_format(2049, float_format("float16")) == 2048.0
    assert round_to_format(0.1, float_format("float32")) == float(np.float32(0.1))
    assert math.isnan(round_to_format(math.nan, float_format("float16")))
    assert round_to_format(-math.inf, float_format("float16")) == -math.inf


def test_rejects_other_types():
    with pytest.raises(TypeError, match="expected an mpmath mpf"):
        round_to_format("0.5", float_format("float64"))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float64_to_narrow_formats_matches_numpy_single_rounding(v):
    # NumPy converts float64 to float32 and float16 with one correct rounding.
    for name, dt in (("float32", np.float32), ("float16", np.float16)):
        with np.errstate(over="ignore"):
            expected = float(dt(v))
        got = round_to_format(v, float_format(name))
        assert got == expected, (
            f"round_to_format({v!r}, {name}) = {got!r}, numpy gives {expected!r}"
        )
        assert round_to_format(mpmath.mpf(v), float_format(name)) == expected


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=2**70), st.integers(min_value=-1100, max_value=60))
def test_fraction_agrees_with_python_float_rounding(num, shift):
    # Python's float(Fraction) is correctly rounded to float64 (overflow aside).
    value = Fraction(num) * Fraction(2) ** shift / 3
    assert round_to_format(value, float_format("float64")) == float(value)
