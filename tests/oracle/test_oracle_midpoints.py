"""Adversarial rows whose softmax lies a hair away from a rounding midpoint.

Row ``[0, d1, d2, d3]`` with ``softmax_0 = 1 / (1 + e**d1 + e**d2 + e**d3)``:
``d1`` brings ``1/softmax_0 - 1`` to within ``2**-40`` (relative) of its target,
``d2`` corrects the remainder to within ``2**-40`` of it, and so on, so
``softmax_0`` ends within about ``2**-120`` (relative) of a chosen midpoint
between two neighbours of the output format -- far closer than the fast
screen's error bound (``2**-90``), so the screen must leave it to mpmath, and
mpmath's Ziv loop must raise its precision to decide it.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from cases.dtypes import FLOAT_DTYPES, Format, float_format
from conformance.oracle import reference_softmax, reference_softmax_mpmath, round_to_format
from conformance.oracle.reference import solve_rows
from conformance.oracle.rows import to_rows


def _near_midpoint_row(target: Fraction, stages: int = 3) -> np.ndarray:
    with mpmath.workprec(800):
        rest = 1 / (mpmath.mpf(target.numerator) / target.denominator) - 1
        ds = []
        for i in range(stages):
            last = i == stages - 1
            goal = rest if last else rest * (1 - mpmath.mpf(2) ** -40)
            d = float(mpmath.log(goal))
            ds.append(d)
            rest -= mpmath.exp(mpmath.mpf(d))
            assert last or rest > 0
    return np.array([0.0, *ds])


def _midpoints(fmt: Format) -> list[Fraction]:
    """Midpoints between neighbours of ``fmt`` in (0, 1/2]: ordinary, at binade edges,
    around the smallest normal, among subnormals."""
    p, emin = fmt.precision, fmt.emin
    q = Fraction(2) ** (1 - p)
    sub = Fraction(2) ** (emin - p + 1)
    return [
        Fraction(1, 3) - (Fraction(1, 3) % (q / 4)) + q / 8,  # an ordinary one in [1/4, 1/2)
        Fraction(1, 4) + q / 8,  # just above a power of two
        Fraction(1, 4) - q / 16,  # just below a power of two (half-sized gap)
        Fraction(2) ** -10 * (1 + 37 * q) + Fraction(2) ** -10 * q / 2,
        Fraction(2) ** emin - sub / 2,  # largest subnormal | smallest normal
        Fraction(2) ** emin + sub / 2,
        17 * sub + sub / 2,  # among subnormals
        sub / 2,  # half the smallest subnormal: 0 or the smallest subnormal
        sub + sub / 2,
    ]


def _exact_rounding(row: np.ndarray, fmt: Format) -> float:
    with mpmath.workprec(1000):
        s = 1 + mpmath.fsum(mpmath.exp(mpmath.mpf(float(d))) for d in row[1:])
        return round_to_format(1 / s, fmt)


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
def test_near_midpoints_fast_equals_mpmath_and_exact(out_dtype):
    fmt = float_format(out_dtype)
    for m in _midpoints(fmt):
        row = _near_midpoint_row(m)
        expected = _exact_rounding(row, fmt)
        fast = reference_softmax(row, 0, out_dtype)
        slow = reference_softmax_mpmath(row, 0, out_dtype)
        got_fast, got_slow = float(fast[0]), float(slow[0])
        assert got_fast == expected and got_slow == expected, (
            f"softmax({row.tolist()})[0] near the {out_dtype} midpoint {float(m)!r}: "
            f"fast {got_fast!r}, mpmath {got_slow!r}, expected {expected!r}"
        )
        assert fast.tobytes() == slow.tobytes()


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
def test_fast_screen_refuses_what_it_cannot_prove(out_dtype):
    # Within 2**-100 of a midpoint is beyond the screen's bound: it must defer to mpmath.
    fmt = float_format(out_dtype)
    for m in _midpoints(fmt)[:4]:
        row = _near_midpoint_row(m)
        with mpmath.workprec(1000):
            s = 1 + mpmath.fsum(mpmath.exp(mpmath.mpf(float(d))) for d in row[1:])
            gap = abs(1 / s - (mpmath.mpf(m.numerator) / m.denominator)) * m.denominator
        assert gap < mpmath.mpf(2) ** -100 * m.numerator, f"construction missed {m}: {gap}"
        _, stats = solve_rows(to_rows(row, 0, out_dtype))
        assert stats.undecided >= 1 and stats.mp_rows == 1, (
            f"fast screen on {row.tolist()} ({out_dtype}) decided an element within "
            f"2**-100 of a midpoint: {stats}"
        )
