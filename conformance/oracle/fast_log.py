"""The fast path for log_softmax and cross-entropy: a double-double screen with proofs.

Per row of float64 values (each the exact input; no NaN, no +inf, not only
-inf), with ``u = 2**-53`` and the machinery of :mod:`conformance.oracle.fast`:

1. ``d = x - max`` exactly as ``dh + dl`` and ``exp(d_j) = 2**k_j (ph + pl)
   (1 + a_j)``, ``|a_j| <= EXP_ALPHA = 2**-92``, for every ``d_j >= -800``
   (steps 1-4 of the softmax screen).  Pick one maximal element ``a``.
2. ``T = sum_{j != a} exp(d_j)`` *with relative precision*: with ``K`` the
   largest ``k_j`` (``j != a``), the terms ``2**(k_j - K - 1) (ph + pl)``
   (each at most 1.0001, the largest at least 0.49995; terms with
   ``k_j < K - 600`` left out, below ``n 2**-598`` of the sum together) are
   added by the exact grid sum (absolute error ``bound``, so relative
   ``2.0002 bound``).  Elements with ``d_j < -800`` add less than
   ``2**-1154`` each: an absolute ``n_dead 2**-1154``.  So ``T = 2**(K+1)
   (Th + Tl)`` within ``rel_T = EXP_ALPHA + 2.0002 bound + n 2**-598`` (relative)
   plus the dead part.
3. ``L = log1p(T)``:

   * ``T < 2**-30`` (series): ``L = T f``, ``f = 1 - t/2 + t**2/3 - t**3/4``
     (``t = T`` as a double; truncation below ``t**4/5 < 2**-122``; ``1 - t/2``
     exact as a double-double, the rest below ``2**-60`` in plain double:
     ``f`` within ``2**-105``), ``T f`` by a double-double product
     (``2**-104``).  ``L`` keeps the exponent ``K + 1`` apart, so it stays
     relatively precise far below the smallest normal; relative error
     ``rel_T + 2**-100`` (``log1p`` has condition number at most 1).
   * ``T >= 2**-30`` (Newton): ``S = 1 + T`` as a double-double (relative
     error ``rel_S = 1.01 rel_T + 2**-104``), ``L0 = log(Sh)`` in double,
     ``E = exp(-L0)`` by steps 2-4 (``EXP_ALPHA``), ``W = S E - 1`` as a
     double-double (``S E`` by TwoProd, ``p - 1`` exact by Sterbenz, the rest
     below ``2**-52`` with three roundings: ``2**-103``), required
     ``|W| <= 2**-40``, and ``L = L0 + W - W**2/2 + W**3/3`` (truncation
     ``W**4/4 < 2**-162``; ``W**2`` with its cross term, ``2**-104``).
     ``|L - log S| <= (EXP_ALPHA + rel_S)(1 + 2**-38) + 2**-100 = E_L``, an
     absolute bound (``L >= 2**-30.1``).
   * no element but ``a`` above -800: ``L`` is 0 exactly when no other
     element is finite, else ``0 < L <= n_dead 2**-1154``.

4. ``y_i = d_i - L`` as a double-double (two TwoSums), within
   ``E_abs + 2**-101 |y_i| + 2**-1070`` (``E_abs`` the absolute error of ``L``
   in real units; the last term covers underflow in scaling ``L``), and
   :func:`conformance.oracle.decide.round_scaled` decides the rounding.  The
   maximal element ``a`` of a series row is decided from ``-L`` with its
   exponent apart (relative error ``rel_T + 2**-100``): ``y_a = -L`` may be
   far below the smallest normal.  ``x_i = -inf`` gives ``-inf``; so does
   ``d_i`` beyond the float64 range (then ``|y_i| >= |d_i| >= 2**1024 -
   2**970``, which rounds to ``-inf`` in every format).

5. Near ties.  ``d = x_i - max`` needs up to 106 bits, so it often is
   *exactly* a midpoint of the output format (or within ``2**-100`` of one),
   and ``L`` is often far below ``2**-101 |y|`` (rows of well-separated
   logits): then ``y = d - L`` lies a hair beyond that midpoint, on the side
   ``L`` pushes it, and step 4's bound cannot tell.  For those elements, in
   units of the quantum ``q`` at ``y``: ``A = |d| / q`` is split exactly as
   ``n0 + r1 + r2`` (``rint``, then TwoSum), ``delta = r1 - (+/-1/2) + r2``
   (``r1 -/+ 1/2`` exact by Sterbenz when ``|delta| <= 2**-40``) is the exact
   offset of ``A`` from the nearest midpoint ``M``, and ``|y|/q = M + delta
   + L/q``.  The sign of ``delta + L/q`` over ``L``'s interval (its lower end
   0 but ``L > 0`` known when the row has two finite elements) is decided by
   one rounded addition with a ``2**-51`` relative margin; with
   ``L/q < 1/4`` that places ``|y|`` strictly between ``M`` and the next
   midpoint on the same side, so it rounds to ``M +/- 1/2``.

Undecided elements (their interval straddles a rounding boundary) send their
row to :mod:`conformance.oracle.mp_log`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cases.dtypes import Format
from conformance.oracle.dd import fast_two_sum, two_prod, two_sum
from conformance.oracle.decide import round_scaled
from conformance.oracle.fast import EXP_ALPHA, ExpTerms, exp_dd, exp_terms, grid_sum

__all__ = ["LogSums", "log_softmax_at", "log_sums", "screen_log_softmax"]

_NO_K = -(2**40)  # sentinel exponent: no live term besides the maximum
_SERIES = 2.0**-30
_BLOCK = 1 << 12


@dataclass(frozen=True)
class LogSums:
    """Steps 1-3 for a block of rows: ``L = logsumexp(x) - max(x)`` per row.

    In real units ``L = lh + ll`` within ``l_err`` (absolute).  For the rows
    ``scaled`` (series and empty rows) also ``L = 2**lk (sh + sl)`` within
    ``s_err`` (same units), which keeps ``-L`` precise for the maximal
    element ``am``.  ``exact_zero`` rows have ``L = 0`` exactly (one finite
    element); ``bad`` rows failed a precondition and must be recomputed.
    """

    terms: ExpTerms
    am: np.ndarray
    lh: np.ndarray
    ll: np.ndarray
    l_err: np.ndarray
    scaled: np.ndarray
    lk: np.ndarray
    sh: np.ndarray
    sl: np.ndarray
    s_err: np.ndarray
    exact_zero: np.ndarray
    bad: np.ndarray


def log_sums(v: np.ndarray) -> LogSums:
    """Steps 1-3 of the module docstring on a float64 ``(m, n)`` block of rows."""
    e = exp_terms(v)
    m, n = v.shape
    rows = np.arange(m)
    am = np.argmax(v, axis=1)
    with np.errstate(all="ignore"):
        finite = v > -np.inf
        rest = e.live.copy()
        rest[rows, am] = False
        n_dead = np.count_nonzero(finite & ~e.live, axis=1).astype(np.float64)
        big_k = np.where(rest, e.k, _NO_K).max(axis=1)
        has = big_k > _NO_K
        k0 = np.where(has, big_k, 0)
        inc = rest & (e.k >= (k0 - 600)[:, None])
        sc = np.where(inc, e.k - k0[:, None] - 1, 0)
        hi = np.where(inc, np.ldexp(e.ph, sc), 0.0)
        lo = np.where(inc, np.ldexp(e.pl, sc), 0.0)
        th, tl, bound = grid_sum(hi, lo)
        rel_t = EXP_ALPHA * (1 + 2.0**-40) + 2.0002 * bound + n * 2.0**-598
        # n_dead 2**-1154 (exp(d) < 2**-1154 below -800) rounded up: it is subnormal
        dead_real = np.ldexp(n_dead, -1154) + np.where(n_dead > 0, 2.0**-1074, 0.0)
        t = np.ldexp(th, k0 + 1)
        series = has & (t < _SERIES)
        newton = has & ~series

        lh = np.zeros(m)
        ll = np.zeros(m)
        l_err = dead_real.copy()  # the empty rows: 0 <= L <= n_dead 2**-1154
        sh = np.zeros(m)
        sl = np.zeros(m)
        s_err = np.zeros(m)
        lk = k0 + 1
        bad = np.zeros(m, dtype=bool)

        # series: L = T (1 - t/2 + t**2/3 - t**3/4), exponent K + 1 apart
        if series.any():
            half_h = np.ldexp(th, k0)
            half_l = np.ldexp(tl, k0)
            poly = (t * t) * (1 / 3 - t * 0.25)
            fh, fl = fast_two_sum(np.ones(m), -half_h)
            fh, fl = fast_two_sum(fh, fl + (poly - half_l))
            p, pe = two_prod(th, fh)
            qh, ql = fast_two_sum(p, pe + (th * fl + tl * fh))
            dead_s = np.ldexp(n_dead, -1154 - (k0 + 1))  # K >= -1160: no underflow
            err_s = (rel_t + 2.0**-100) * qh * 1.01 + dead_s
            sh = np.where(series, qh, 0.0)
            sl = np.where(series, ql, 0.0)
            s_err = np.where(series, err_s, 0.0)
            lh = np.where(series, np.ldexp(qh, k0 + 1), lh)
            ll = np.where(series, np.ldexp(ql, k0 + 1), ll)
            l_err = np.where(series, np.ldexp(err_s, k0 + 1) + 2.0**-1072, l_err)

        # Newton: L = L0 + log1p(S exp(-L0) - 1)
        idx = np.flatnonzero(newton)
        if idx.size:
            kn = k0[idx] + 1
            tth = np.ldexp(th[idx], kn)
            ttl = np.ldexp(tl[idx], kn)
            s_h, s_l = two_sum(np.ones(idx.size), tth)
            s_h, s_l = fast_two_sum(s_h, s_l + ttl)
            rel_s = 1.01 * rel_t + 2.0**-104 + 2.0**-1000  # the last: n 2**-1154 dead
            l0 = np.log(s_h)
            ph, pl, ke = exp_dd(-l0, np.zeros(idx.size))
            eh = np.ldexp(ph, ke)
            el = np.ldexp(pl, ke)
            p, pe = two_prod(s_h, eh)
            wh = p - 1.0  # exact (Sterbenz)
            wl = pe + (s_h * el + s_l * eh)
            w = wh + wl
            cube = w * w * w / 3
            nh, nl = fast_two_sum(l0, wh)
            nl = nl + ((wl - 0.5 * wh * (wh + 2 * wl)) + cube)
            nh, nl = fast_two_sum(nh, nl)
            lh[idx] = nh
            ll[idx] = nl
            l_err[idx] = (EXP_ALPHA + rel_s) * (1 + 2.0**-38) + 2.0**-100
            bad[idx] = ~(np.abs(w) <= 2.0**-40)
    scaled = ~newton
    exact_zero = ~has & (n_dead == 0)
    return LogSums(e, am, lh, ll, l_err, scaled, lk, sh, sl, s_err, exact_zero, bad)


def _near_ties(
    ah: np.ndarray,
    al: np.ndarray,
    l_mid: np.ndarray,
    l_err: np.ndarray,
    l_pos: np.ndarray,
    yh: np.ndarray,
    fmt: Format,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 5: ``|y| = A + L`` decided exactly when ``A = |d|`` is within 2**-40 q of a midpoint.

    ``A = ah + al`` exactly; ``L`` in ``[l_mid - l_err, l_mid + l_err]``,
    and ``L > 0`` where ``l_pos``.  Returns ``(out, ok)`` for ``y = -|y|``.
    """
    p = fmt.precision
    min_qe = fmt.emin - (p - 1)
    with np.errstate(all="ignore"):
        e = np.frexp(np.abs(yh))[1].astype(np.int64) - 1
        qe = np.maximum(e, fmt.emin) - (p - 1)
        azh = np.ldexp(ah, -qe)  # exact: a power-of-two scaling up to [2**(p-1), 2**p)
        azl = np.ldexp(al, -qe)
        lost = (al != 0) & (np.abs(azl) < 2.0**-1000)  # the low part underflowed
        n0 = np.rint(azh)
        r1, r2 = two_sum(azh - n0, azl)  # the exact fraction of A/q about n0
        h = np.copysign(0.5, r1)  # the midpoint next to A/q is n0 + h (kept apart: 54 bits)
        dh_, dl_ = two_sum(r1 - h, r2)  # A/q - mid, exactly (Sterbenz for r1 - h)
        lz_hi = np.ldexp((l_mid + l_err) * (1 + 2.0**-50), -qe)
        lz_lo = np.maximum(np.ldexp((l_mid - l_err) * (1 - 2.0**-50), -qe), 0.0)
        t_lo = dl_ + lz_lo
        s_lo = dh_ + t_lo
        t_hi = dl_ + lz_hi
        s_hi = dh_ + t_hi
        exact_nonneg = (dh_ > 0) | ((dh_ == 0) & (dl_ >= 0))
        above = (exact_nonneg & l_pos) | (s_lo > 2.0**-51 * np.abs(t_lo))
        below = s_hi < -(2.0**-51) * np.abs(t_hi)
        ok = (above | below) & (np.abs(dh_) <= 2.0**-40) & (lz_hi < 0.25) & ~lost
        bottom = 2.0 ** (p - 1)
        ok &= (n0 > bottom) | ((n0 == bottom) & (h > 0)) | (qe == min_qe)
        whole = n0 + np.where(above, h + 0.5, h - 0.5)
        out = np.ldexp(whole, qe)
        out = -np.where(out > fmt.max, np.inf, out)
    return out, ok


def log_softmax_at(
    ls: LogSums, rows: np.ndarray, cols: np.ndarray, fmt: Format
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 4-5 at the elements ``(rows[i], cols[i])``: candidates and which are certain."""
    e = ls.terms
    dh = e.dh[rows, cols]
    dl = e.dl[rows, cols]
    with np.errstate(all="ignore"):
        s, t = two_sum(dh, -ls.lh[rows])
        yh, yl = two_sum(s, t + (dl - ls.ll[rows]))
        err = ls.l_err[rows] + 2.0**-101 * np.abs(yh) + 2.0**-1070
        out, ok = round_scaled(yh, yl, 0, err, fmt)
        minf = dh == -np.inf
        out[minf] = -np.inf
        ok |= minf
        top = cols == ls.am[rows]
        sel = top & ls.scaled[rows]
        if sel.any():
            r = rows[sel]
            o, k = round_scaled(-ls.sh[r], -ls.sl[r], ls.lk[r], ls.s_err[r], fmt)
            # rows with no live term besides the maximum: L = 0 or 0 < L < 2**-1100
            empty = ls.sh[r] == 0
            o = np.where(empty, np.where(ls.exact_zero[r], 0.0, -0.0), o)
            out[sel] = o
            ok[sel] = k | empty
        tie = np.flatnonzero(~ok & ~sel)
        if tie.size:
            rt = rows[tie]
            o, k = _near_ties(
                -dh[tie],
                -dl[tie],
                ls.lh[rt] + ls.ll[rt],
                ls.l_err[rt],
                ~ls.exact_zero[rt],
                yh[tie],
                fmt,
            )
            out[tie] = np.where(k, o, out[tie])
            ok[tie] = k
        ok &= ~ls.bad[rows]
    return out, ok


def screen_log_softmax(
    v: np.ndarray, fmt: Format, cols: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate log_softmax of the rows of ``v`` rounded into ``fmt``, and which are certain.

    ``v`` is a float64 ``(m, n)`` block without NaN, +inf or rows of only
    -inf.  Without ``cols`` the result is ``(m, n)``; with ``cols`` (one
    column per row) it is the ``(m,)`` elements at those columns.  Works on
    blocks of rows of about 4096 elements (cache-sized).
    """
    m, n = v.shape
    step = max(1, _BLOCK // max(n, 1))
    shape = (m, n) if cols is None else (m,)
    out = np.empty(shape)
    ok = np.empty(shape, dtype=bool)
    for a in range(0, m, step):
        block = v[a : a + step]
        ls = log_sums(block)
        mb = block.shape[0]
        if cols is None:
            rr = np.repeat(np.arange(mb), n)
            cc = np.tile(np.arange(n), mb)
            o, k = log_softmax_at(ls, rr, cc, fmt)
            out[a : a + mb] = o.reshape(mb, n)
            ok[a : a + mb] = k.reshape(mb, n)
        else:
            o, k = log_softmax_at(ls, np.arange(mb), cols[a : a + mb], fmt)
            out[a : a + mb] = o
            ok[a : a + mb] = k
    return out, ok
