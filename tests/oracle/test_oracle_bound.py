"""The fast screen's stated error bound holds, measured against 400-bit mpmath."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from cases.dtypes import FLOAT_DTYPES, float_format
from conformance.oracle import dd
from conformance.oracle.fast import EPS_CORE, _grid_sum, quotients


def _worst_ratio(x: np.ndarray, out_dtype: str) -> float:
    """max over elements of |computed - exact| / (exact * eps)."""
    q = quotients(x, float_format(out_dtype))
    worst = 0.0
    with mpmath.workprec(400):
        for r in range(x.shape[0]):
            vals = [mpmath.mpf(float(v)) for v in x[r]]
            top = max(vals)
            e = [mpmath.exp(v - top) for v in vals]
            s = mpmath.fsum(e)
            for c in range(x.shape[1]):
                if q.zero[r, c]:
                    assert e[c] / s < mpmath.mpf(float_format(out_dtype).smallest_subnormal) / 2
                    continue
                got = mpmath.ldexp(
                    mpmath.mpf(float(q.yh[r, c])) + float(q.yl[r, c]), int(q.k[r, c])
                )
                exact = e[c] / s
                worst = max(worst, float(abs(got - exact) / (exact * q.eps)))
    return worst


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("scale", [1e-6, 1.0, 8.0, 60.0, 300.0])
def test_relative_error_within_eps(out_dtype, scale):
    rng = np.random.default_rng(int(scale * 1000) % 2**31)
    x = rng.standard_normal((4, 40)) * scale
    x[0, :4] = [0.0, -700.0, -745.0, -708.5]
    ratio = _worst_ratio(x, out_dtype)
    assert ratio <= 1.0, f"fast screen error is {ratio:.3g} x its stated bound ({out_dtype})"


def test_bound_is_not_vacuous():
    # The measured error sits within a few powers of two of the bound: if the
    # bound were wildly loose, or the arithmetic much worse, this would show it.
    rng = np.random.default_rng(9)
    x = rng.standard_normal((20, 50)) * 20
    ratio = _worst_ratio(x, "float64")
    assert 2.0**-12 < ratio <= 1.0, ratio
    assert EPS_CORE == 2.0**-90


@pytest.mark.parametrize("n", [1, 2, 7, 100, 5000])
def test_grid_sum_within_its_bound(n):
    rng = np.random.default_rng(n)
    hi = rng.random((3, n)) ** 8
    hi[:, 0] = 1.0  # the maximum's exp(0), as in the oracle
    lo = hi * rng.uniform(-(2.0**-53), 2.0**-53, size=hi.shape)
    sh, sl, bound = _grid_sum(hi, lo)
    for r in range(3):
        exact = sum(map(Fraction, hi[r].tolist())) + sum(map(Fraction, lo[r].tolist()))
        err = abs(Fraction(float(sh[r])) + Fraction(float(sl[r])) - exact)
        assert err <= Fraction(bound) * exact, (
            f"n={n}: error {float(err / exact):.3g} > {bound:.3g}"
        )
        assert abs(float(sl[r])) <= math.ulp(float(sh[r])) / 2


def test_error_free_transformations_are_exact():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(2000) * np.exp(rng.uniform(-30, 30, 2000))
    b = rng.standard_normal(2000) * np.exp(rng.uniform(-30, 30, 2000))
    s, e = dd.two_sum(a, b)
    p, f = dd.two_prod(a, b)
    big, small = np.maximum(abs(a), abs(b)) * np.sign(a), np.minimum(abs(a), abs(b))
    t, g = dd.fast_two_sum(big, small)
    for i in range(0, 2000, 7):
        fa, fb = Fraction(float(a[i])), Fraction(float(b[i]))
        assert Fraction(float(s[i])) + Fraction(float(e[i])) == fa + fb
        assert Fraction(float(p[i])) + Fraction(float(f[i])) == fa * fb
        assert Fraction(float(t[i])) + Fraction(float(g[i])) == Fraction(float(big[i])) + Fraction(
            float(small[i])
        )
