"""Exact round-to-nearest-even of a real number into a binary Format.

The value is an mpmath ``mpf`` (a sign, an integer mantissa and a binary
exponent: an exact dyadic rational), a ``fractions.Fraction``, an ``int`` or a
``float``; all are exact rationals, so the rounding is done once, with integer
arithmetic, directly into the target format: subnormals, ties to even and
overflow to infinity included.  The result is returned as a Python float,
which holds every value of every Format in cases/dtypes.py exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath

from cases.dtypes import Format

__all__ = ["round_mpf_tuple", "round_to_format"]


def _finish(negative: bool, n: int, qe: int, fmt: Format) -> float:
    """``(-1)**negative * n * 2**qe``, or infinity when it exceeds the format's max."""
    # n <= 2**precision, so float(n) is exact, and so is ldexp of a representable value.
    if n and qe + n.bit_length() - 1 > fmt.emax:
        value = math.inf
    else:
        value = math.ldexp(float(n), qe) if n else 0.0
        if value > fmt.max:
            value = math.inf
    return -value if negative else value


def _round_shift(man: int, shift: int) -> int:
    """``man / 2**shift`` rounded to the nearest integer, ties to even (``man >= 0``)."""
    if shift <= 0:
        return man << -shift
    if shift > man.bit_length():
        return 0  # man < 2**(shift - 1): below half a unit (and no huge ``half`` built)
    n = man >> shift
    rem = man - (n << shift)
    half = 1 << (shift - 1)
    if rem > half or (rem == half and n & 1):
        n += 1
    return n


def round_mpf_tuple(value: tuple, fmt: Format) -> float:
    """Round an mpmath ``libmp`` value tuple ``(sign, man, exp, bc)``; the hot path."""
    sign, man, exp, bc = value
    if not man:
        if exp:  # mpmath encodes +inf, -inf and nan with man == 0 and exp != 0
            return float(mpmath.mpf(value))
        return 0.0
    e = exp + bc - 1  # floor(log2(|value|))
    qe = max(e, fmt.emin) - (fmt.precision - 1)  # exponent of the quantum at |value|
    return _finish(bool(sign), _round_shift(man, qe - exp), qe, fmt)


def _round_fraction(value: Fraction, fmt: Format) -> float:
    num, den = value.numerator, value.denominator
    negative = num < 0
    num = abs(num)
    if num == 0:
        return 0.0
    e = num.bit_length() - den.bit_length()
    if (num << max(-e, 0)) < (den << max(e, 0)):
        e -= 1  # now 2**e <= num/den < 2**(e+1)
    qe = max(e, fmt.emin) - (fmt.precision - 1)
    # n = num / (den * 2**qe), rounded to nearest, ties to even
    if qe >= 0:
        a, b = num, den << qe
    else:
        a, b = num << -qe, den
    n, rem = divmod(a, b)
    if 2 * rem > b or (2 * rem == b and n & 1):
        n += 1
    return _finish(negative, n, qe, fmt)


def round_to_format(value: mpmath.mpf | Fraction | int | float, fmt: Format) -> float:
    """Round ``value`` exactly, to nearest with ties to even, into ``fmt``.

    ``value`` is taken as the exact real number it denotes (an mpmath ``mpf``
    is a dyadic rational; its working precision plays no part).  Values beyond
    the largest finite number by half an ulp or more become ``inf`` (IEEE 754
    overflow under round-to-nearest); values of at most half the smallest
    subnormal become 0.  NaN and infinities are returned unchanged.
    """
    if isinstance(value, mpmath.mpf):
        return round_mpf_tuple(value._mpf_, fmt)
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        return _round_fraction(Fraction(value), fmt)
    if isinstance(value, (int, Fraction)):
        return _round_fraction(Fraction(value), fmt)
    raise TypeError(
        f"round_to_format(value={value!r}): expected an mpmath mpf, a Fraction, an int or a "
        f"float, got {type(value).__name__}"
    )
