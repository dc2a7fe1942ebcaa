"""The fast path: a vectorised double-double screen with a rigorous acceptance test.

For a block of rows (float64 values, each the exact input; no NaN, no +inf, no
row of only -inf) :func:`screen` returns, for every element, a candidate
output and whether that candidate is *certainly* the correctly rounded
softmax.  Undecided elements go to the mpmath path with their row.  They are
rare: on random logits none in millions; in practice only rows of near-ties,
whose softmax is to first order a rational that can sit on a midpoint.

Algorithm, per row, with u = 2**-53 and C = ln2 / 4096 (NumPy rounds every
ufunc once, to nearest, and never fuses a multiply-add):

1. ``d = x - max`` exactly as a double-double ``dh + dl`` (TwoSum).  Elements
   with ``d`` below ``zero_threshold`` (``(emin - precision) ln 2``, less
   1e-6; never below -745.2) round to exactly 0: softmax_i <= exp(d_i) <= half
   the smallest subnormal.  Those below -800 (or ``-inf``) are not computed
   at all; those below -600 add under ``2**-865`` each to the row sum and are
   left out of it (which also keeps subnormal arithmetic, slow on x86, away).
2. Cody-Waite reduction: ``n = rint(dh / C)`` (``|n| < 2**22.2``),
   ``C = C1 + C2 + C3`` with C1 and C2 of 28 bits (``n C1``, ``n C2`` exact),
   the differences by TwoSum, then ``r = rh + rl`` renormalised:
   ``|rh + rl - (d - n C)| <= 2**-95.1`` (three roundings of the low part,
   each at most ``u 2**-43.9``, plus ``n (C - C1 - C2 - C3)`` and the rounding
   of ``n C3``), ``|rh| <= 2**-13.52``, ``|rl| <= 2**-67``.
3. ``exp(r) = 1 + r + r**2/2 + ... + r**6/720`` (truncation below 2**-106):
   ``rh**2`` exactly by Dekker's TwoProd (Veltkamp splitting), ``rh rl`` kept
   (``rl`` elsewhere costs at most 2**-95), the tail ``rh**3 (1/6 + ...)``
   (below 2**-43.1) in plain double with five roundings (2**-93.8); summed as
   a double-double and renormalised (three roundings of a low part below
   2**-43: 3 * 2**-96).  Error at most 2**-92.6 relative.
4. ``exp(d) = 2**(n >> 12) * T[n & 4095] * exp(r)`` with ``T[j] = exp(j C)``
   as correctly rounded double-doubles (relative error 2**-105) computed once
   with mpmath; the double-double product adds at most 2**-103.  The binary
   exponent ``n >> 12`` is kept apart, so values far below the smallest
   normal keep full relative precision.  Altogether each ``exp(d_i)`` carries
   a relative error ``alpha <= 2**-92``.
5. The row sum ``S = sum exp(d_i)`` (at least 1: the maximum contributes
   exp(0) = 1 exactly) by exact fixed-grid splitting of its ``N = 2n`` terms
   (high and low parts): each term is cut into parts on the grids
   ``g_j = 2**(j (L - 53))`` (``N * 1.002 <= 2**L``) by
   ``(t + 1.5 * 2**52 * g) - 1.5 * 2**52 * g``; parts on one grid add exactly
   in any order; only the last residuals (each below ``g_J / 2``) are summed
   in rounding arithmetic, error ``<= N**2 u g_J <= 2**-100``, and combining
   the level sums adds ``2**-104 S + (levels - 1) N u g_2`` (``g_2`` the
   second grid; below 2**-104 up to rows of about 10**5).  With the terms left out
   (``N 2**-860`` together) the sum's relative error is ``alpha + sigma``,
   ``sigma`` computed from N.
6. ``1/S`` as a double-double (one Newton step, relative error 2**-101.5)
   and ``Y_i = exp(d_i) / S`` by a double-double product (2**-102).

So ``Y_i = 2**k (yh + yl) = softmax_i (1 + t)`` with
``|t| <= 2 alpha + sigma + 2**-100.7 + (second order) <= EPS = 2**-90 + sigma``.
The tests measure the actual error against 400-bit mpmath at about 2**-94.

Acceptance: let ``q`` be the output quantum at ``Y_i`` (from the binade of
``yh``; the subnormal quantum below the smallest normal), ``z = yh/q``
(exact: a power-of-two scaling), ``N`` the nearest integer to ``z + yl/q``
(``rint(z)``, moved by one when ``yl/q`` carries past a half) and
``rho = z - N + yl/q`` (to within 2**-53).  The exact value lies within
``1.01 EPS z`` of ``z + yl/q``.  ``N q`` is accepted when
``|rho| + 1.01 EPS z + 2**-52 < 1/2``: the whole error interval lies strictly
between the midpoints to both neighbours.  When ``N q`` is a power of two
above the smallest normal and ``rho < 0``, the neighbour below is only
``q/2`` away and the test is ``-rho + 1.01 EPS z + 2**-52 < 1/4``.  Rounding
to 0 and to subnormals goes through the same test; outputs never exceed 1,
so never overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cases.dtypes import Format
from conformance.oracle.dd import fast_two_sum, split, two_prod, two_prod_split, two_sum
from conformance.oracle.mp import zero_threshold

__all__ = [
    "EPS_CORE",
    "EXP_ALPHA",
    "ExpTerms",
    "Quotients",
    "accept",
    "exp_dd",
    "exp_terms",
    "grid_sum",
    "quotients",
    "screen",
    "screen_rows",
]

_K = 12
_TABLE = 1 << _K
_DEAD = -800.0  # below this the output is 0 in every format: not computed at all
_OUT_OF_SUM = -600.0  # below this exp(d) < 2**-865: left out of the row sum
_U = 2.0**-53
_ONE = np.ones(())  # 1.0 as an array, for the typed helpers
EPS_CORE = 2.0**-90  # the relative error bound of steps 1-4 and 6 (see the module docstring)
EXP_ALPHA = 2.0**-92  # the relative error bound of each exp(d_i) (steps 1-4)
_BLOCK = 1 << 12  # elements per block of rows: its temporaries stay in cache (measured best)


@dataclass(frozen=True)
class _Constants:
    c1: float  # C = ln2/4096 = c1 + c2 + c3, c1 and c2 of 28 bits
    c2: float
    c3: float
    inv_c: float  # 1/C rounded
    th: np.ndarray  # exp(j C) = th[j] + tl[j], correctly rounded double-doubles
    tl: np.ndarray
    thh: np.ndarray  # Veltkamp halves of th
    thl: np.ndarray


@lru_cache(maxsize=1)
def _constants() -> _Constants:
    """Cody-Waite constants and the table of exp(j ln2/4096), from mpmath, once."""
    import mpmath

    with mpmath.workprec(400):
        c = mpmath.ln2 / _TABLE

        def head(v: mpmath.mpf, bits: int) -> float:
            e = int(mpmath.floor(mpmath.log(abs(v), 2)))
            scale = mpmath.mpf(2) ** (bits - 1 - e)
            return float(mpmath.nint(v * scale) / scale)

        c1 = head(c, 28)
        c2 = head(c - c1, 28)
        c3 = float(c - c1 - c2)
        inv_c = float(1 / c)
        th = np.empty(_TABLE)
        tl = np.empty(_TABLE)
        for j in range(_TABLE):
            t = mpmath.exp(j * c)
            th[j] = float(t)
            tl[j] = float(t - th[j])
    thh, thl = split(th)
    return _Constants(c1, c2, c3, inv_c, th, tl, thh, thl)


def _grid_levels(terms: int) -> tuple[int, int]:
    """``(L, J)``: the grid ratio exponent and the number of exact levels for ``terms`` terms."""
    big_l = max(3, math.ceil(math.log2(terms * 1.002)))
    levels = 2
    while 2 * math.log2(terms) - 53 + levels * (big_l - 53) > -100:
        levels += 1
    return big_l, levels


def grid_sum(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Row sums of ``hi + lo`` (|hi| <= 1.001, |lo| <= 2**-52, either sign) as double-doubles.

    Returns ``(Sh, Sl, bound)`` with ``|Sh + Sl - exact| <= bound * max(|S|, 1)``
    and ``|Sl| <= ulp(Sh) / 2`` (see step 5 of the module docstring).  Parts
    on one grid add exactly whatever their signs; the level sums beyond the
    second are bounded by ``N g_2`` (``g_2`` the second grid), so combining
    them costs at most ``(levels - 1) N u g_2`` besides ``2**-106 |S|``.
    """
    n_terms = 2 * hi.shape[1]
    big_l, levels = _grid_levels(n_terms)
    grid = 2.0 ** (big_l - 53)
    ratio = 2.0 ** (big_l - 53)
    grid2 = grid * ratio
    # level 1: |lo| < grid / 2, so lo has no part on the first grid
    magic = 1.5 * 2.0**52 * grid
    part = (hi + magic) - magic
    res = [hi - part, lo]
    sums = [part.sum(axis=1)]
    for _ in range(levels - 1):
        grid *= ratio
        magic = 1.5 * 2.0**52 * grid
        level = np.zeros(hi.shape[0])
        nxt = []
        for r in res:
            part = (r + magic) - magic
            level += part.sum(axis=1)  # exact: multiples of grid, bounded by 2**53 grid
            nxt.append(r - part)
        sums.append(level)
        res = nxt
    acc = res[0].sum(axis=1) + res[1].sum(axis=1)
    for level in reversed(sums[2:]):
        acc = level + acc
    sh, sl = two_sum(sums[0], sums[1])
    # TwoSum, not Fast2Sum: for signed terms Sh may be smaller than the correction.
    # (For positive terms both give the same pair.)
    sh, sl = two_sum(sh, sl + acc)
    # the last term covers the terms left out (below 2**-865 each) and underflow
    bound = (
        n_terms**2 * _U * grid
        + (levels - 1) * n_terms * _U * grid2 * 1.01
        + 2.0**-104
        + n_terms * 2.0**-860
    )
    return sh, sl, bound


_grid_sum = grid_sum  # the name the softmax tests know


@dataclass(frozen=True)
class Quotients:
    """Steps 1-6 for a block of rows: ``softmax = 2**k * (yh + yl) * (1 + t)``, ``|t| <= eps``.

    ``zero`` marks the elements whose softmax certainly rounds to 0 in the
    format the block was computed for; their ``yh``/``yl``/``k`` are
    meaningless unless ``live`` (then they hold the softmax, however small).
    """

    yh: np.ndarray
    yl: np.ndarray
    k: np.ndarray  # int64 binary exponents
    zero: np.ndarray
    eps: float
    live: np.ndarray  # dh >= -800: yh, yl and k are meaningful (in any format)
    in_sum: np.ndarray  # dh >= -600: the terms the row sum kept


def exp_dd(dh: np.ndarray, dl: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 2-4: ``exp(dh + dl) = 2**k * (ph + pl) * (1 + a)``, ``|a| <= EXP_ALPHA``.

    For ``-800 <= dh <= 0`` (and ``|dl| <= ulp(dh)``); ``ph`` lies in
    ``[0.9999, 2.0002]`` and ``k`` is an int64 binary exponent, kept apart so
    that values far below the smallest normal keep full relative precision.
    """
    k_ = _constants()
    with np.errstate(all="ignore"):
        # 2. Cody-Waite reduction
        nf = np.rint(dh * k_.inv_c)
        t1, e0 = two_sum(dh, -(nf * k_.c1))
        s, e1 = two_sum(t1, -(nf * k_.c2))
        rh, rl = two_sum(s, ((dl - nf * k_.c3) + e1) + e0)
        # 3. exp(r)
        rhh, rhl = split(rh)
        sq, sqe = two_prod_split(rh, rhh, rhl, rh, rhh, rhl)
        tail = (rh * sq) * (1 / 6 + rh * (1 / 24 + rh * (1 / 120 + rh * (1 / 720))))
        low = tail + (rl + (rl * rh + sqe * 0.5))
        qh, ql = fast_two_sum(rh, sq * 0.5)
        eh, e2 = fast_two_sum(_ONE, qh)
        eh, el = fast_two_sum(eh, e2 + (ql + low))
        # 4. times the table, exponent kept apart
        ni = nf.astype(np.int64)
        j = ni & (_TABLE - 1)
        k = ni >> _K
        th = k_.th[j]
        ehh, ehl = split(eh)
        ph, pe = two_prod_split(th, k_.thh[j], k_.thl[j], eh, ehh, ehl)
        ph, pl = fast_two_sum(ph, pe + (th * el + k_.tl[j] * eh))
    return ph, pl, k


@dataclass(frozen=True)
class ExpTerms:
    """Steps 1-4 for a block of rows: ``exp(x_i - max)`` for every live element.

    ``dh + dl`` is ``x - max`` exactly (TwoSum), as computed before masking:
    ``dh`` is ``-inf`` where ``x`` is ``-inf`` or where ``x - max`` overflows
    (and ``dl`` is then NaN).  ``exp(dh + dl) = 2**k (ph + pl) (1 + a)`` with
    ``|a| <= EXP_ALPHA`` where ``live`` (``dh >= -800``); elsewhere ``ph``,
    ``pl`` and ``k`` are those of ``exp(0)`` and mean nothing.  ``in_sum``
    marks ``dh >= -600``: the terms a row sum keeps.
    """

    dh: np.ndarray
    dl: np.ndarray
    ph: np.ndarray
    pl: np.ndarray
    k: np.ndarray
    live: np.ndarray
    in_sum: np.ndarray

    @property
    def all_in_sum(self) -> bool:
        return bool(self.in_sum.all())


def exp_terms(v: np.ndarray) -> ExpTerms:
    """Steps 1-4 of the module docstring on a float64 ``(m, n)`` block of rows.

    ``v`` holds no NaN, no +inf and no row of only -inf.
    """
    top = v.max(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        dh, dl = two_sum(v, -top)
        live = dh >= _DEAD  # False for -inf (and the NaN of -inf - -inf)
        in_sum = dh >= _OUT_OF_SUM
        if bool(live.all()):
            ph, pl, k = exp_dd(dh, dl)
        else:
            ph, pl, k = exp_dd(np.where(live, dh, 0.0), np.where(live, dl, 0.0))
    return ExpTerms(dh, dl, ph, pl, k, live, in_sum)


def quotients(v: np.ndarray, fmt: Format) -> Quotients:
    """Steps 1-6 of the module docstring on a float64 ``(m, n)`` block of rows.

    ``v`` holds no NaN, no +inf and no row of only -inf.
    """
    e = exp_terms(v)
    ph, pl, k, in_sum = e.ph, e.pl, e.k, e.in_sum
    with np.errstate(all="ignore"):
        zero = ~(e.dh >= zero_threshold(fmt))
        # 5. the row sum
        if e.all_in_sum:
            hi = np.ldexp(ph, k)
            lo = np.ldexp(pl, k)
        else:  # zero first: no subnormal arithmetic (slow on x86) on negligible terms
            hi = np.ldexp(np.where(in_sum, ph, 0.0), k)
            lo = np.ldexp(np.where(in_sum, pl, 0.0), k)
        sh, sl, sigma = _grid_sum(hi, lo)
        # 6. 1/S and Y = exp(d) / S
        rh_ = 1.0 / sh
        p, pe_ = two_prod(rh_, sh)
        rl_ = (((1.0 - p) - pe_) - rh_ * sl) * rh_
        rh_, rl_ = rh_[:, None], rl_[:, None]
        rhh_, rhl_ = split(rh_)
        phh, phl = split(ph)
        yh, ye = two_prod_split(ph, phh, phl, rh_, rhh_, rhl_)
        yh, yl = fast_two_sum(yh, ye + (ph * rl_ + pl * rh_))
    return Quotients(yh, yl, k, zero, EPS_CORE + sigma, e.live, e.in_sum)


def accept(q: Quotients, fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """Round ``q`` into ``fmt`` where the error bound decides it (see the module docstring).

    Returns ``(out, ok)``: float64 candidates (exact values of ``fmt``) and
    the mask of the elements proved correctly rounded.
    """
    with np.errstate(all="ignore"):
        big_e = q.k + (np.frexp(q.yh)[1] - 1)
        min_qe = fmt.emin - (fmt.precision - 1)  # the subnormal quantum's exponent
        qe = np.maximum(big_e, fmt.emin) - (fmt.precision - 1)
        # Elements that round to 0 get a bounded scale: no subnormal arithmetic
        # (slow on x86).  For all others z >= 1/(2n) and the clamp never acts.
        sc = np.maximum(q.k - qe, -1000)
        z = np.ldexp(q.yh, sc)  # exact: a power-of-two scaling into [0, 2**precision)
        whole = np.rint(z)
        rho = (z - whole) + np.ldexp(q.yl, sc)  # z - whole is exact
        step = np.rint(rho)  # -1, 0 or 1: z + zl may round the other way than z
        whole += step
        rho -= step  # exact (Sterbenz)
        slack = (1.01 * q.eps) * z + 2.0**-52
        ok = np.abs(rho) + slack < 0.5
        # N q a power of two above the smallest normal: the neighbour below is q/2 away
        low_end = (whole == 2.0 ** (fmt.precision - 1)) & (rho < 0) & (qe > min_qe)
        if low_end.any():
            ok &= ~low_end | (slack - rho < 0.25)
        # Never happens (|yl| <= ulp(yh)/2 keeps N >= 2**(p-1) above the
        # subnormals), but a candidate in the binade below would have a
        # rounding interval of only q/4 each side: refuse it rather than argue.
        ok &= (whole >= 2.0 ** (fmt.precision - 1)) | (qe == min_qe)
        out = np.ldexp(whole, qe)
    out[q.zero] = 0.0
    ok |= q.zero
    return out, ok


def screen(v: np.ndarray, fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """Candidate softmax of the rows of ``v`` rounded into ``fmt``, and which are certain.

    ``v`` is a float64 ``(m, n)`` block without NaN, +inf or rows of only -inf.
    Returns ``(out, ok)`` as :func:`accept` does.
    """
    return accept(quotients(v, fmt), fmt)


def screen_rows(v: np.ndarray, fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """:func:`screen` over blocks of rows of about 4096 elements (cache-sized)."""
    m, n = v.shape
    step = max(1, _BLOCK // max(n, 1))
    if step >= m:
        return screen(v, fmt)
    out = np.empty(v.shape)
    ok = np.empty(v.shape, dtype=bool)
    for a in range(0, m, step):
        out[a : a + step], ok[a : a + step] = screen(v[a : a + step], fmt)
    return out, ok
