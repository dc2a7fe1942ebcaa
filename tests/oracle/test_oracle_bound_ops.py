"""The stated error bounds of the log_softmax and VJP screens hold, measured against mpmath.

Each bound is checked element by element against 400-bit mpmath, and shown
not to be vacuous (the measured error reaches a fair fraction of it where the
arithmetic, not a safety margin, dominates).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from cases.dtypes import float_format
from conformance.oracle.fast import EXP_ALPHA, exp_dd
from conformance.oracle.fast_log import log_sums
from conformance.oracle.fast_vjp import vjp_parts


def _mp(v: float) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def test_exp_dd_within_exp_alpha():
    rng = np.random.default_rng(4)
    dh = np.concatenate([-rng.uniform(0, 800, 3000), -rng.uniform(0, 1e-3, 200), [0.0, -800.0]])
    dl = dh * rng.uniform(-(2.0**-53), 2.0**-53, dh.size)
    ph, pl, k = exp_dd(dh, dl)
    worst = 0.0
    with mpmath.workprec(400):
        for i in range(0, dh.size, 3):
            exact = mpmath.exp(_mp(dh[i]) + _mp(dl[i]))
            got = mpmath.ldexp(_mp(ph[i]) + _mp(pl[i]), int(k[i]))
            worst = max(worst, float(abs(got / exact - 1)))
    assert worst <= EXP_ALPHA, f"exp_dd relative error {worst:.3g} > EXP_ALPHA = {EXP_ALPHA:.3g}"
    assert worst > EXP_ALPHA * 2.0**-16, f"EXP_ALPHA looks vacuous: worst {worst:.3g}"


def _rows() -> np.ndarray:
    """Rows in each regime: Newton (T >= 2**-30), series (T < 2**-30) with terms near
    and below -800, no live term besides the maximum, ties, long-ish."""
    rng = np.random.default_rng(6)
    rows = [rng.standard_normal(40) * s for s in (0.1, 1.0, 4.0, 30.0)]
    rows += [np.concatenate([[0.0], -rng.uniform(25, 40, 39)])]  # series, T ~ e**-25
    rows += [np.concatenate([[0.0], -rng.uniform(700, 900, 39)])]  # series, dead terms
    rows += [np.concatenate([[0.0], -rng.uniform(790, 810, 39)])]  # around the -800 edge
    rows += [np.concatenate([[0.0], -rng.uniform(900, 1e4, 39)])]  # only dead terms
    rows += [np.concatenate([[0.0, 0.0], -rng.uniform(0, 3, 38)])]  # a tie at the maximum
    rows += [np.concatenate([[0.0], -rng.uniform(15, 21, 39)])]  # Newton, small L
    return np.stack(rows)


def _exact_l(row: np.ndarray) -> mpmath.mpf:
    a = int(np.argmax(row))
    top = _mp(row[a])
    return mpmath.log1p(mpmath.fsum(mpmath.exp(_mp(v) - top) for j, v in enumerate(row) if j != a))


def test_log_sum_within_its_bounds():
    v = _rows()
    ls = log_sums(v)
    assert not ls.bad.any()
    ratios = []
    with mpmath.workprec(400):
        for r in range(v.shape[0]):
            exact = _exact_l(v[r])
            real = _mp(ls.lh[r]) + _mp(ls.ll[r])
            assert abs(real - exact) <= ls.l_err[r], (
                f"row {r}: L = {float(real)!r} +/- {ls.l_err[r]:.3g}, exact {float(exact)!r}"
            )
            if ls.scaled[r] and ls.sh[r]:
                scaled = mpmath.ldexp(_mp(ls.sh[r]) + _mp(ls.sl[r]), int(ls.lk[r]))
                bound = mpmath.ldexp(_mp(ls.s_err[r]), int(ls.lk[r]))
                assert abs(scaled - exact) <= bound, f"row {r}: scaled L off by more than s_err"
                ratios.append(float(abs(scaled - exact) / bound))
            else:
                ratios.append(float(abs(real - exact) / ls.l_err[r]))
    assert max(ratios) > 2.0**-16, f"log_sums bounds look vacuous: {max(ratios):.3g}"


def _exact_vjp(x: np.ndarray, g: np.ndarray) -> list[mpmath.mpf]:
    top = _mp(max(x))
    e = [mpmath.exp(_mp(v) - top) for v in x]
    s = mpmath.fsum(e)
    big_g = mpmath.fsum(ei * _mp(gi) for ei, gi in zip(e, g, strict=True)) / s
    return [ei / s * (_mp(gi) - big_g) for ei, gi in zip(e, g, strict=True)]


@pytest.mark.parametrize("g_kind", ["normal", "huge", "tiny", "near-constant", "one-hot"])
def test_vjp_parts_within_their_bound(g_kind):
    rng = np.random.default_rng(len(g_kind))
    m, n = 8, 24
    x = rng.standard_normal((m, n)) * rng.choice([0.3, 3.0, 30.0, 200.0], (m, 1))
    x[0, :3] = [0.0, -700.0, -745.0]
    g = {
        "normal": rng.standard_normal((m, n)),
        "huge": rng.standard_normal((m, n)) * 1e300,
        "tiny": rng.standard_normal((m, n)) * 1e-300,
        "near-constant": 1 + rng.integers(-3, 4, (m, n)) * 2.0**-40,
        "one-hot": np.eye(m, n) * 3.0,
    }[g_kind]
    parts = vjp_parts(x, g, float_format("float64"))
    ratios = []
    with mpmath.workprec(400):
        for r in range(m):
            exact = _exact_vjp(x[r], g[r])
            for c in np.flatnonzero(parts.live[r] & ~parts.constant[r]):
                kk = int(parts.k[r, c])
                got = mpmath.ldexp(_mp(parts.ph[r, c]) + _mp(parts.pl[r, c]), kk)
                bound = mpmath.ldexp(_mp(parts.err[r, c]), kk)
                assert abs(got - exact[c]) <= bound, (
                    f"vjp x[{r}]={x[r].tolist()}, g={g[r].tolist()}: element {c} "
                    f"{float(got)!r} +/- {float(bound):.3g}, exact {float(exact[c])!r}"
                )
                ratios.append(float(abs(got - exact[c]) / bound))
    assert max(ratios) > 2.0**-20, f"vjp bound looks vacuous: {max(ratios):.3g}"
