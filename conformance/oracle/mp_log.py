"""The baseline for log_softmax and cross-entropy: mpmath with Ziv's strategy.

One row at a time, every input element the exact dyadic number it stores and
``d_i = x_i - max(x)`` formed exactly.  Pick one maximal element ``a``
(``d_a = 0``); the others give ``T = sum_{j != a} exp(d_j)`` and
``L = logsumexp(x) - max(x) = log1p(T)``, so ``log_softmax_i = d_i - L``.  At
a working precision of ``w`` bits:

- each ``exp(d_j)`` is rounded to ``w`` bits (relative error below
  ``2**(1-w)``; the budget allows ``2**(2-w)``) and ``T`` is added exactly over
  the ``j`` with ``d_j >= dmax - (w + 21 + bitlen(n)) ln 2`` (``dmax`` the
  largest ``d_j``, ``j != a``); the neglected part is below ``2**-(w+20) T``.
  So ``T`` carries a relative error below ``2**(2.01-w)``, *relative to T*:
  ``L`` keeps its relative precision however small it is (the row
  ``[0, -745]`` has ``L`` about ``5e-324``);
- ``L = log(1 + T)`` with ``1 + T`` formed exactly and mpmath's ``log``
  (which widens its precision by the cancellation near 1), or
  ``T - T**2/2`` when ``T < 2**-(w+4)``; either way within ``2**(1-w) L`` of
  ``log1p`` of the computed ``T``, and ``log1p`` has condition number at most 1,
  so ``|L_w - L| <= 2**(2.62-w) L``;
- so ``L`` lies in ``[L_w (1 - 2**(3-w)), L_w (1 + 2**(4-w))]`` (``0 < L``), and
  ``y_i = d_i - L`` in ``[d_i - L_hi, d_i - L_lo]``; those ends are rounded
  outwards at ``w + 8`` bits.  ``d_i`` is exact (up to 106 bits, or any
  integer) and often *exactly* a midpoint of the output format while ``L`` is
  astronomically small (logits times 1e8 give ``L`` near ``2**-29000000``):
  when the upper end rounds back to ``d_i`` itself, every ``d_i - L`` lies
  strictly inside the gap below ``d_i`` at ``w + 8`` bits, which holds no
  rounding boundary, so any point of that gap stands for them all.  No
  precision proportional to ``-log2 L`` is ever needed.

When both ends round to the same number of the output format (the sign of
zero included) that number is the correctly rounded result; otherwise the
precision doubles (Ziv's loop).  The loop
terminates: with at least two finite elements ``L > 0``, and ``d_i - L`` is
never a dyadic rational (if it were, ``S = exp(d_i - y)`` would make
``sum_k m_k exp(a_k) - exp(c) = 0`` over the distinct finite values ``a_k`` of
``d`` (multiplicities ``m_k``) with ``c`` algebraic, which the
Lindemann-Weierstrass theorem allows only for a single ``a_k`` of
multiplicity 1).  A row with one finite element gives exactly ``0`` there
(``+0.0``); elements ``-inf`` give ``-inf``.  A value below
``-(max + ulp/2)`` of the format rounds to ``-inf`` (IEEE overflow), e.g.
``log_softmax([1e308, -1e308])[1]`` in float64; a value in ``(-tiny, 0)``
rounds to ``-0.0``.  Cross-entropy is ``-log_softmax`` at the label, rounded
the same way (rounding commutes with negation; its zeros are ``+0.0``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from mpmath.libmp import (
    fone,
    from_float,
    from_int,
    fzero,
    mpf_add,
    mpf_exp,
    mpf_log,
    mpf_mul,
    mpf_neg,
    mpf_shift,
    mpf_sub,
    round_ceiling,
    round_floor,
    round_nearest,
    to_float,
)

from cases.dtypes import Format
from conformance.oracle.decide import same_float
from conformance.oracle.mp import row_values
from conformance.oracle.rounding import round_mpf_tuple

__all__ = ["log_softmax_row_mp", "log_softmax_rows_mp"]

_LN2 = math.log(2.0)
_GUARD_BITS = 32
_MAX_PREC = 1 << 16  # never reached (see the module docstring)


def _exact(v: float | int) -> tuple:
    return from_int(v) if isinstance(v, int) else from_float(v)


def _log1p(t: tuple, w: int) -> tuple:
    """``log(1 + t)`` for an exact ``t >= 0``, within ``2**(1-w)`` relative."""
    if t == fzero:
        return fzero
    mag = t[2] + t[3]  # t < 2**mag
    if mag < -(w + 4):
        return mpf_sub(t, mpf_shift(mpf_mul(t, t), -1), w, round_nearest)
    return mpf_log(mpf_add(fone, t), w, round_nearest)  # 1 + t exact


def _ends(d: tuple, l_lo: tuple, l_hi: tuple, prec: int) -> tuple[tuple, tuple]:
    """Two numbers whose roundings (into any format of at most ``prec - 2`` bits) bracket
    the rounding of every ``d - L``, ``l_lo <= L <= l_hi``, ``0 < l_lo``.

    ``d - l_hi`` rounded down and ``d - l_lo`` rounded up at ``prec`` bits; when
    the latter comes back as ``d`` itself, every ``d - L`` lies strictly between
    ``d`` and its ``prec``-bit neighbour below, a gap no rounding boundary of
    the format falls in, so the point ``d - 2**(mag(d) - prec - 4)`` rounds
    like all of them.
    """
    if d == fzero:
        return mpf_neg(l_hi), mpf_neg(l_lo)
    lo = mpf_sub(d, l_hi, prec, round_floor)
    hi = mpf_sub(d, l_lo, prec, round_ceiling)
    if hi == d:
        hi = mpf_sub(d, mpf_shift(fone, d[2] + d[3] - prec - 4))
    return lo, hi


def log_softmax_row_mp(
    row: Sequence[float | int], fmt: Format, cols: Iterable[int] | None = None
) -> list[float]:
    """Correctly rounded log_softmax of one row of exact values, at ``cols`` (default all).

    The row holds no NaN and no +inf and not only -inf (the caller applies
    the conventions for those).
    """
    n = len(row)
    wanted = list(range(n)) if cols is None else list(cols)
    finite = [i for i, v in enumerate(row) if v != -math.inf]
    top = max(row[i] for i in finite)  # exact comparison of Python ints and floats
    a = next(i for i in finite if row[i] == top)
    mtop = _exact(top)
    d = {i: mpf_sub(_exact(row[i]), mtop) for i in finite}  # prec=0: exact
    rest = [i for i in finite if i != a]
    result: dict[int, float] = {}
    pending = []
    for i in wanted:
        if row[i] == -math.inf:
            result[i] = -math.inf
        elif not rest:
            result[i] = 0.0  # the only finite element: exactly 0
        elif i not in pending:
            pending.append(i)
    if pending:
        dr = [to_float(d[j]) for j in rest]
        rtop = max(dr)
        w = fmt.precision + _GUARD_BITS
        while pending:
            if w > _MAX_PREC:
                raise RuntimeError(
                    f"reference log_softmax (mpmath): rounding of elements {pending[:5]} into "
                    f"{fmt.name} still undecided at {w // 2} bits; expected it decided by now"
                )
            cut = rtop - (w + 21 + n.bit_length()) * _LN2
            t = fzero
            for j, f in zip(rest, dr, strict=True):
                if f >= cut:
                    t = mpf_add(t, mpf_exp(d[j], w, round_nearest))  # exact
            big_l = _log1p(t, w)
            l_lo = mpf_mul(big_l, mpf_sub(fone, mpf_shift(fone, 3 - w)))  # exact products
            l_hi = mpf_mul(big_l, mpf_add(fone, mpf_shift(fone, 4 - w)))
            undecided = []
            for i in pending:
                lo, hi = _ends(d[i], l_lo, l_hi, w + 8)
                a_lo = round_mpf_tuple(lo, fmt)
                a_hi = round_mpf_tuple(hi, fmt)
                if same_float(a_lo, a_hi):
                    result[i] = a_lo
                else:
                    undecided.append(i)
            pending = undecided
            w *= 2
    return [result[i] for i in wanted]


def log_softmax_rows_mp(
    values: np.ndarray,
    fmt: Format,
    which: Iterable[int],
    cols: dict[int, list[int]] | None = None,
) -> dict[int, list[float]]:
    """:func:`log_softmax_row_mp` of the rows ``which`` of a 2-D block.

    ``cols`` maps a row to the columns wanted (default: all of them).
    """
    out = {}
    for r in which:
        r = int(r)
        c = None if cols is None else cols.get(r)
        out[r] = log_softmax_row_mp(row_values(values[r]), fmt, c)
    return out
