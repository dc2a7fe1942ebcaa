"""round_scaled: whatever it accepts, every point of the error interval rounds to its answer."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from cases.dtypes import FLOAT_DTYPES, float_format
from conformance.oracle.dd import two_sum
from conformance.oracle.decide import round_scaled
from conformance.oracle.rounding import round_to_format


def _sign_bits(v: float) -> tuple[float, float]:
    return v, math.copysign(1.0, v)


def _random_inputs(rng: np.random.Generator, n: int, fmt_name: str):
    fmt = float_format(fmt_name)
    vh = rng.uniform(0.5, 1.0, n) * rng.choice([-1.0, 1.0], n)
    vh = np.ldexp(vh, rng.integers(-1060, 1000, n))
    vh, vl = two_sum(vh, vh * rng.uniform(-(2.0**-53), 2.0**-53, n))
    # place 2**k (vh + vl) anywhere from far below the smallest subnormal to overflow
    target = rng.integers(fmt.emin - fmt.precision - 8, fmt.emax + 3, n)
    k = target - np.frexp(vh)[1]
    err = np.abs(vh) * np.ldexp(1.0, -rng.integers(fmt.precision - 2, fmt.precision + 40, n))
    return vh, vl, k, err


def _check(vh, vl, k, err, fmt_name):
    """Every accepted element: both ends of the interval round to the answer (sign included)."""
    fmt = float_format(fmt_name)
    out, ok = round_scaled(vh, vl, k, err, fmt)
    for i in np.flatnonzero(ok):
        scale = Fraction(2) ** int(k[i])
        v = (Fraction(float(vh[i])) + Fraction(float(vl[i]))) * scale
        e = Fraction(float(err[i])) * scale
        for end in (v - e, v + e):
            assert _sign_bits(round_to_format(end, fmt)) == _sign_bits(float(out[i])), (
                f"round_scaled({vh[i]!r}, {vl[i]!r}, k={k[i]}, err={err[i]!r}, {fmt_name}) "
                f"accepted {out[i]!r}, but {float(end)!r} rounds to {round_to_format(end, fmt)!r}"
            )
    return out, ok


@pytest.mark.parametrize("fmt_name", FLOAT_DTYPES)
def test_accepted_answers_hold_over_the_whole_interval(fmt_name):
    rng = np.random.default_rng(sum(map(ord, fmt_name)))
    _, ok = _check(*_random_inputs(rng, 3000, fmt_name), fmt_name)
    assert ok.mean() > 0.5, f"round_scaled decided only {ok.mean():.2f} of random values"


@pytest.mark.parametrize("fmt_name", FLOAT_DTYPES)
def test_intervals_straddling_a_midpoint_are_refused(fmt_name):
    # v a hair off a midpoint between neighbours of the format (normal and
    # subnormal ones), err reaching across it.
    fmt = float_format(fmt_name)
    p, min_qe = fmt.precision, fmt.emin - fmt.precision + 1
    rng = np.random.default_rng(3)
    mids = []
    for _ in range(300):
        if rng.random() < 0.2:  # among the subnormals: (j + 1/2) 2**min_qe
            j = int(rng.integers(0, 2 ** (p - 1)))
            mids.append((2 * j + 1) * Fraction(2) ** (min_qe - 1))
        else:
            mant = int(rng.integers(2 ** (p - 1), 2**p))
            e = int(rng.integers(fmt.emin, fmt.emax))
            mids.append((2 * mant + 1) * Fraction(2) ** (e - p))
    vh, vl, k, err = [], [], [], []
    for mid in mids:
        sign = rng.choice([-1, 1])
        kk = math.floor(math.log2(mid)) + 1  # mid = 2**kk * r, r in [1/2, 1)
        r = mid / Fraction(2) ** kk * (1 + Fraction(float(rng.uniform(-1, 1))) / 2 ** (p + 20))
        h = float(r)
        lo = float(r - Fraction(h))
        dist = abs(Fraction(h) + Fraction(lo) - mid / Fraction(2) ** kk)
        vh.append(sign * h)
        vl.append(sign * lo)
        k.append(kk)
        err.append(float(2 * dist) + 2.0**-140)
    vh, vl, k, err = map(np.array, (vh, vl, k, err))
    out, ok = _check(vh, vl, k, err, fmt_name)
    assert not ok.any(), f"{np.count_nonzero(ok)} straddling intervals accepted"


def test_zero_needs_its_sign_and_overflow_gives_infinity():
    f64 = float_format("float64")
    # tiny values: -0.0 / +0.0 decided only when the sign is certain
    out, ok = round_scaled(
        np.array([-1.0, 1.0, 1.0]), np.zeros(3), -1100, np.array([0.5, 0.5, 2.0]), f64
    )
    assert ok.tolist() == [True, True, False]
    assert _sign_bits(out[0]) == (0.0, -1.0) and _sign_bits(out[1]) == (0.0, 1.0)
    assert not round_scaled(np.zeros(1), np.zeros(1), 0, np.zeros(1), f64)[1][0]
    # beyond max + ulp/2 -> +/-inf; just below -> max
    f16 = float_format("float16")
    out, ok = round_scaled(
        np.array([65520.0 + 1, -70000.0, 65519.0]), np.zeros(3), 0, np.array([0.5, 1, 0.25]), f16
    )
    assert ok.all() and out.tolist() == [math.inf, -math.inf, 65504.0]
