"""The fast path for the softmax VJP: a double-double screen with a proved bound.

Per row (float64 ``x`` and ``g``, each the exact input; ``x`` without NaN,
+inf or only -inf, ``g`` finite), with ``u = 2**-53``:

1. ``s_j = 2**k_j (yh_j + yl_j) (1 + t_j)``, ``|t_j| <= eps`` (the softmax
   screen's quotients, :func:`conformance.oracle.fast.quotients`, for every
   ``x_j - max >= -800``; ``eps = EPS_CORE + sigma``).
2. ``g`` is scaled by a power of two, ``g' = g 2**-kg``, so that
   ``M' = max |g'_j|`` (over finite ``x_j``) lies in ``[1/2, 1)``; exact
   except where ``g'_j`` underflows (``2**-1075`` each).  ``g`` constant over
   the finite ``x_j`` gives exactly 0 everywhere: decided at once.
3. Not ``G = sum s_j g_j`` (``g_i - G`` cancels whenever the mass of ``s``
   sits on elements with ``g_j = g_i``: at the maximum of well-separated
   logits ``g_a - G`` is ``e**-100`` or less) but, with ``c = g'_a`` at the
   (first) maximum ``a`` and ``sum s_j = 1``, ``R = G' - c = sum_j s_j (g'_j -
   c)``: each ``g'_j - c`` exact by TwoSum, times ``yh_j + yl_j`` as a
   double-double (``2**-103`` relative), scaled by ``2**(k_j - K_R)`` so that
   the largest term lies in ``[1/2, 1)``, terms below ``2**-600`` of it left
   out, summed exactly on the grid.  So ``R = 2**K_R (Rh + Rl)`` within
   ``E_R = (1.01 eps + 2**-102) A + 1.01 bound max(|Rh|, 1) + n 2**-599``
   (``A = sum |terms|``, scaled) plus, in real units, ``n 2**-1153`` for the
   elements below -800 and, only in rows where some ``g'_j`` underflowed,
   ``2**-1072``: relative precision wherever ``R`` is not a genuine
   cancellation, down to far below the smallest normal.
4. ``D_i = g'_i - G' = (g'_i - c) - R``: exactly ``-R`` (exponent ``K_R``
   apart) where ``g'_i = c``; otherwise by two TwoSums in real units within
   ``E_D = E_R 2**K_R + 2**-1070 + 2**-104 |D_i|`` (the constant for underflow
   in scaling ``R`` back).
5. ``P_i = (yh_i + yl_i) D_i`` by a double-double product (``2**-103 |P|``
   plus ``2**-1068`` for underflow), so ``dx_i = 2**(k_i + kg + kd) P_i``
   within ``|P| (1.01 eps + 2**-101) + 1.01 |yh_i| E_D + 2**-1066`` (in those
   units), and :func:`conformance.oracle.decide.round_scaled` decides the
   rounding (a zero needs its sign: ``|P|`` above the bound).
6. Elements with ``x_i - max < -800`` (``s_i < 2**-1154``): ``|dx_i| <
   2**(kg - 1153)`` (``|D_i| <= 2``), which rounds to ``+/-0`` when
   ``kg - 1153 <= emin - p``; decided when the sign of ``D_i`` is
   (``|D_i| > E_D``).  ``x_i = -inf`` gives exactly 0.

Exact zeros other than constant ``g`` (ties in ``x`` whose ``g`` averages
match), the elements whose ``D_i`` is a genuine cancellation or hangs on
terms below -800, and the rare values within the bound of a rounding
boundary are left undecided for :mod:`conformance.oracle.mp_vjp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cases.dtypes import Format
from conformance.oracle.dd import fast_two_sum, two_prod, two_sum
from conformance.oracle.decide import round_scaled
from conformance.oracle.fast import grid_sum, quotients

__all__ = ["VjpParts", "screen_vjp", "screen_vjp_rows", "vjp_parts"]

_BLOCK = 1 << 12
_NO_K = -(2**40)


def _dd_mul(
    ah: np.ndarray, al: np.ndarray, bh: np.ndarray, bl: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ah + al)(bh + bl)`` as a normalised double-double (``2**-103`` relative)."""
    p, pe = two_prod(ah, bh)
    return fast_two_sum(p, pe + (ah * bl + al * bh))


@dataclass(frozen=True)
class VjpParts:
    """Steps 1-5 for a block: ``dx = 2**k (ph + pl)`` within ``2**k err`` where ``live``.

    ``dd`` (``D_i``, in units of ``2**kd``) with its bound ``e_d`` serves
    step 6; ``constant`` marks the rows of constant ``g``.
    """

    ph: np.ndarray
    pl: np.ndarray
    k: np.ndarray
    err: np.ndarray
    live: np.ndarray
    dd: np.ndarray
    e_d: np.ndarray
    kg: np.ndarray
    constant: np.ndarray


def vjp_parts(v: np.ndarray, g: np.ndarray, fmt: Format) -> VjpParts:
    """Steps 1-5 of the module docstring on float64 ``(m, n)`` blocks ``v`` and ``g``."""
    m, n = v.shape
    q = quotients(v, fmt)
    rows = np.arange(m)
    with np.errstate(all="ignore"):
        finite = v > -np.inf
        big_m = np.where(finite, np.abs(g), 0.0).max(axis=1)
        kg = np.frexp(big_m)[1].astype(np.int64)  # M = m 2**kg, m in [1/2, 1)
        gp = np.ldexp(g, -kg[:, None])
        lost = (np.ldexp(gp, kg[:, None]) != g).any(axis=1)  # some g'_j underflowed
        gmin = np.where(finite, g, np.inf).min(axis=1)
        gmax = np.where(finite, g, -np.inf).max(axis=1)
        constant = gmin == gmax
        yh = np.where(q.live, q.yh, 0.0)
        yl = np.where(q.live, q.yl, 0.0)
        n_dead = np.count_nonzero(finite & ~q.live, axis=1)
        # 3. R = sum_j s_j (g'_j - c), relative to its largest term
        am = np.argmax(v, axis=1)
        c = gp[rows, am][:, None]
        dgh, dgl = two_sum(gp, -c)
        th, tl = _dd_mul(yh, yl, dgh, dgl)
        te = q.k + np.frexp(th)[1]  # |term| < 2**te
        nz = q.live & (th != 0)
        big_k = np.where(nz, te, _NO_K).max(axis=1)
        has = big_k > _NO_K
        k0 = np.where(has, big_k, 0)[:, None]
        inc = nz & (te >= k0 - 600)
        sc = np.where(inc, q.k - k0, 0)
        hi = np.where(inc, np.ldexp(th, sc), 0.0)
        lo = np.where(inc, np.ldexp(tl, sc), 0.0)
        rh, rl, bound = grid_sum(hi, lo)
        big_a = np.abs(hi).sum(axis=1) * (1 + n * 2.0**-52)
        e_r = (
            (1.01 * q.eps + 2.0**-102) * big_a
            + 1.01 * bound * np.maximum(np.abs(rh), 1.0)
            + n * 2.0**-599
            + np.ldexp(n_dead, -1153 - k0[:, 0])  # n 2**-1153 in real units
            + np.where(lost, np.ldexp(1.0, -1072 - k0[:, 0]), 0.0)
        )
        # 4. D_i = (g'_i - c) - R
        r_real_h = np.ldexp(rh, k0[:, 0])[:, None]
        r_real_l = np.ldexp(rl, k0[:, 0])[:, None]
        a_, b_ = two_sum(dgh, -r_real_h)
        ddh, ddl = two_sum(a_, b_ + (dgl - r_real_l))
        e_d = np.ldexp(e_r, k0[:, 0])[:, None] + 2.0**-1070 + 2.0**-104 * np.abs(ddh)
        same = dgh == 0
        kd = np.where(same, k0, 0)
        ddh = np.where(same, -rh[:, None], ddh)
        ddl = np.where(same, -rl[:, None], ddl)
        e_d = np.where(same, e_r[:, None], e_d)
        # 5. P = (yh + yl) D
        pph, ppl = _dd_mul(yh, yl, ddh, ddl)
        err = np.abs(pph) * (1.01 * q.eps + 2.0**-101) + 1.01 * np.abs(yh) * e_d + 2.0**-1066
    return VjpParts(pph, ppl, q.k + kg[:, None] + kd, err, q.live, ddh, e_d, kg, constant)


def screen_vjp(v: np.ndarray, g: np.ndarray, fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """Candidate VJP of the rows of ``v`` (float64 ``(m, n)``) with ``g`` rounded into ``fmt``.

    Returns ``(out, ok)``: float64 candidates and the mask of the elements
    proved correctly rounded.
    """
    parts = vjp_parts(v, g, fmt)
    finite = v > -np.inf
    with np.errstate(all="ignore"):
        out, ok = round_scaled(parts.ph, parts.pl, parts.k, parts.err, fmt)
        ok &= parts.live
        # 6. far below the maximum: a signed zero when the sign of D is known
        dead = finite & ~parts.live
        if dead.any():
            tiny = (parts.kg - 1153 <= fmt.emin - fmt.precision)[:, None]
            known = np.abs(parts.dd) > parts.e_d * (1 + 2.0**-50)
            out = np.where(dead, np.where(parts.dd < 0, -0.0, 0.0), out)
            ok = np.where(dead, tiny & known, ok)
        # exact zeros: masked elements, and rows of constant g
        zero = ~finite | parts.constant[:, None]
        out[zero] = 0.0
        ok |= zero
    return out, ok


def screen_vjp_rows(v: np.ndarray, g: np.ndarray, fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """:func:`screen_vjp` over blocks of rows of about 4096 elements (cache-sized)."""
    m, n = v.shape
    step = max(1, _BLOCK // max(n, 1))
    if step >= m:
        return screen_vjp(v, g, fmt)
    out = np.empty(v.shape)
    ok = np.empty(v.shape, dtype=bool)
    for a in range(0, m, step):
        out[a : a + step], ok[a : a + step] = screen_vjp(v[a : a + step], g[a : a + step], fmt)
    return out, ok
