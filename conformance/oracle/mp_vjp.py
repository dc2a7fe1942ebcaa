"""The baseline for the softmax VJP: exact zeros decided symbolically, the rest by Ziv.

``dx_i = s_i (g_i - G)``, ``G = sum_j s_j g_j``, ``s = softmax(x)``, every
``x_j`` and ``g_j`` the exact number it stores.  With ``e_j = exp(d_j)``,
``d_j = x_j - max(x)`` and ``S = sum_j e_j``:
``dx_i = e_i N_i / S**2`` where ``N_i = g_i S - sum_j e_j g_j =
sum_j e_j (g_i - g_j)``.

Exact values, one row at a time (-inf elements of ``x`` have ``s = 0`` and
give exactly 0; the finite ones fall into classes of equal ``x``):

- *One class* (all finite ``x`` equal, a single finite element included):
  ``s = 1/m`` and ``dx_i = (m g_i - sum g) / m**2``, a rational, rounded
  exactly (``g`` constant gives exact zeros).
- *Exact zeros*: ``N_i = sum_k c_k exp(a_k)`` over the distinct values
  ``a_k`` of ``d`` with rational ``c_k = sum_{j in class k} (g_i - g_j)``.  By
  the Lindemann-Weierstrass theorem the ``exp(a_k)`` are linearly independent
  over the algebraic numbers, so ``dx_i = 0`` exactly iff every class has
  mean ``g`` equal to ``g_i``: iff all class means are one value ``c`` and
  ``g_i = c``.  Those elements are ``+0.0``, decided with exact rationals.
- Otherwise ``dx_i`` is not zero, nor any dyadic rational when there are two
  classes or more (the smallest and the largest exponent of the identity
  ``e_i N_i - b S**2 = 0`` in the ``exp(d_j + d_l)`` each occur once, so ``b``
  must vanish): it is never a rounding boundary.

Ziv's loop for the others, at ``w`` bits: ``e_j`` rounded to ``w`` bits
(relative error within the budget ``delta = 2**(2-w)``) over the ``d_j >=
-(w + 21 + bitlen(n)) ln 2`` (the rest below ``nu = 2**-(w+20)`` of ``S``),
``S`` and ``T = sum e_j g_j`` and ``N_i = g_i S - T`` exactly, and ``dx_i =
e_i N_i / S**2`` with one rounding (``2**-w``).  With ``M = max |g_j|``
(finite ``x_j``): ``|N_i - N_i*| <= (delta + nu) S* (|g_i| + M)``, and
``|dx - dx*| <= 2**(4-w) |dx| + 2 (e_i / S**2) |N_i - N_i*|`` (the test,
rounded up).  When ``N_i`` is not clearly above its bound (cancellation:
``g_i S - T`` is dominated by the classes whose ``g`` equals ``g_i``, as at
the maximum of well-separated logits, where ``N_i`` may be ``exp(-1e7)``),
it is recomputed per class, ``N_i = sum_k c_k exp(a_k)`` with the exact
coefficients ``c_k``: vanishing terms drop out exactly, the others are kept
relative to the largest of them, and the bound becomes ``2**(3-w) sum_k |c_k
exp(a_k)|`` (see :func:`_class_form`).  When ``dx`` minus and plus that bound
round to the same number of the output format (the sign of zero included), it
is the correctly rounded result.  An element with ``d_i < (emin - p) ln 2 - ln(2M) -
1`` has ``|dx_i| <= e_i (|g_i| + M) <`` half the smallest subnormal: it is
``+/-0``, and only the sign of ``N_i`` (known once ``|N_i|`` exceeds its
bound ``2**(3-w) S (|g_i| + M)``) is computed, never ``exp(d_i)``.

Near-rational values: with a tie at the maximum (or any class carrying
almost all the mass) ``dx_i`` is a rational, often exactly a midpoint of the
output format, plus a perturbation as small as ``exp(-10000)``; no
precision short of that would separate it from the midpoint.  So when the
interval straddles one boundary ``B`` (a midpoint, 0, or the overflow
threshold) between neighbours ``lo`` and ``hi``, the side is decided from
``Q = e_i N_i - B S**2 = sum C_kl exp(a_k + a_l)`` over pairs of classes,
with exact coefficients merged per exact exponent (so the rational part
cancels exactly, and by Lindemann-Weierstrass ``Q != 0``), evaluated like
the class form with relative precision (rows of at most 64 classes; the cost
is quadratic in them).

The cap: cancellation in ``N_i`` can be deep (``x = [0, -d, -2d, -3d]`` with
``d`` the smallest subnormal and ``g`` a third difference needs about 3200
bits).  After the pass at the first ``w > 4096`` an element still undecided
is returned rounded from that pass: its error is then at most half an ulp
plus ``2**(7-w) s_i M <= 2**-4089 * scale`` (``scale = s_i * M``, see
:func:`conformance.oracle.vjp.softmax_vjp_scale`), and only its last bit or
the sign of a zero can be wrong.  Non-cancelling values are decided long
before (their error is relative, ``2**-4000``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np
from mpmath.libmp import (
    from_float,
    from_int,
    fzero,
    mpf_abs,
    mpf_add,
    mpf_div,
    mpf_exp,
    mpf_gt,
    mpf_mul,
    mpf_neg,
    mpf_shift,
    mpf_sub,
    round_nearest,
    round_up,
    to_float,
)

from cases.dtypes import Format
from conformance.oracle.decide import same_float
from conformance.oracle.mp import row_values
from conformance.oracle.rounding import round_mpf_tuple, round_to_format

__all__ = ["VJP_CAP_BITS", "vjp_row_mp", "vjp_rows_mp"]

_LN2 = math.log(2.0)
_GUARD_BITS = 32
VJP_CAP_BITS = 4096  # the last pass is the first at more than this many bits
_MAX_PAIR_CLASSES = 64  # the boundary test costs (classes)**2 per element


def _exact(v: float | int) -> tuple:
    return from_int(v) if isinstance(v, int) else from_float(v)


def _mag(v: tuple) -> int:
    """An integer ``m`` with ``|v| < 2**m`` (``v`` nonzero)."""
    return v[2] + v[3]


def vjp_row_mp(
    xrow: Sequence[float | int],
    grow: Sequence[float | int],
    fmt: Format,
    cols: Iterable[int] | None = None,
) -> tuple[list[float], int]:
    """Correctly rounded ``s * (g - sum(g s))`` of one row at ``cols`` (default all).

    Returns the values at ``cols`` and how many of them were capped (see
    the module docstring).  ``xrow`` holds no NaN and no +inf and not only
    -inf; ``grow`` only finite values (the caller applies the conventions
    for those).
    """
    n = len(xrow)
    wanted = list(range(n)) if cols is None else list(cols)
    result: dict[int, float] = {}
    finite = [i for i, v in enumerate(xrow) if v != -math.inf]
    top = max(xrow[i] for i in finite)
    mtop = _exact(top)
    d = {i: mpf_sub(_exact(xrow[i]), mtop) for i in finite}  # exact
    members: dict[tuple, list[int]] = {}
    for i in finite:
        members.setdefault(d[i], []).append(i)
    gf = {i: Fraction(grow[i]) for i in finite}
    for i in wanted:
        if xrow[i] == -math.inf:
            result[i] = 0.0  # s_i = 0
    if len(members) == 1:  # s = 1/m exactly
        m = len(finite)
        total = sum(gf.values())
        for i in wanted:
            if i not in result:
                result[i] = round_to_format((m * gf[i] - total) / (m * m), fmt)
        return [result[i] for i in wanted], 0
    means = {sum(gf[j] for j in ms) / len(ms) for ms in members.values()}
    common = means.pop() if len(means) == 1 else None
    pending = []
    for i in wanted:
        if i in result:
            continue
        if common is not None and gf[i] == common:
            result[i] = 0.0  # every class has mean g_i: exactly 0
        elif i not in pending:
            pending.append(i)
    if not pending:
        return [result[i] for i in wanted], 0
    g = {i: _exact(grow[i]) for i in finite}
    # > 0: a zero g is one class mean.  (Python compares ints and floats exactly;
    # raw mpf tuples must never be compared with < or max: that compares mantissas.)
    big_m = _exact(max(abs(grow[i]) for i in finite))
    zero_cut = (fmt.emin - fmt.precision) * _LN2 - (math.log2(to_float(big_m)) + 1) * _LN2 - 1
    df = {i: to_float(d[i]) for i in finite}
    # classes: (d, float d / ln 2, count, exact sum of g); kind[i]: the class of i
    classes: list[tuple[tuple, float, tuple, tuple]] = []
    kind: dict[int, int] = {}
    for dk, ms in members.items():
        for j in ms:
            kind[j] = len(classes)
        gsum = fzero
        for j in ms:
            gsum = mpf_add(gsum, g[j])
        classes.append((dk, to_float(dk) / _LN2, from_int(len(ms)), gsum))
    capped = 0
    w = fmt.precision + _GUARD_BITS
    while pending:
        last = w > VJP_CAP_BITS
        cut_sum = -(w + 21 + n.bit_length()) * _LN2
        exps: dict[int, tuple] = {}
        s = fzero
        t = fzero
        for j in finite:
            if df[j] >= cut_sum:
                exps[j] = mpf_exp(d[j], w, round_nearest)
                s = mpf_add(s, exps[j])  # exact
                t = mpf_add(t, mpf_mul(exps[j], g[j]))  # exact
        class_exps: dict[int, tuple] = {}
        undecided = []
        for i in pending:
            n_i = mpf_sub(mpf_mul(g[i], s), t)  # exact
            gm = mpf_add(mpf_abs(g[i]), big_m)
            bound = mpf_shift(mpf_mul(s, gm, 53, round_up), 3 - w)  # |N_i - N_i*| <= bound
            if not mpf_gt(mpf_abs(n_i), mpf_shift(bound, 1)):
                n_i, bound = _class_form(g[i], classes, class_exps, w, n)
            if df[i] < zero_cut:  # |dx_i| below half the smallest subnormal: only the sign
                known = mpf_gt(mpf_abs(n_i), bound)
                if known or last:
                    result[i] = -0.0 if n_i[0] else 0.0
                    capped += not known
                else:
                    undecided.append(i)
                continue
            e_i = exps.get(i)
            if e_i is None:
                e_i = mpf_exp(d[i], w, round_nearest)
            s2 = mpf_mul(s, s)
            dx = mpf_div(mpf_mul(e_i, n_i), s2, w, round_nearest)
            # |dx - dx*| <= 2**(4-w) |dx| + 2 (e_i / S**2) bound  (see the module docstring)
            slack = mpf_add(
                mpf_shift(mpf_abs(dx), 4 - w),
                mpf_shift(mpf_mul(mpf_div(e_i, s2, 53, round_up), bound, 53, round_up), 1),
                53,
                round_up,
            )
            lo = round_mpf_tuple(mpf_sub(dx, slack), fmt)
            hi = round_mpf_tuple(mpf_add(dx, slack), fmt)
            side = None
            if not same_float(lo, hi) and len(classes) <= _MAX_PAIR_CLASSES:
                side = _boundary_side(lo, hi, fmt, g[i], kind[i], classes, w)
            if same_float(lo, hi):
                result[i] = lo
            elif side is not None:
                result[i] = hi if side > 0 else lo
            elif last:
                result[i] = round_mpf_tuple(dx, fmt)
                capped += 1
            else:
                undecided.append(i)
        pending = undecided
        w *= 2
    return [result[i] for i in wanted], capped


def _class_form(
    gi: tuple, classes: list, class_exps: dict[int, tuple], w: int, n: int
) -> tuple[tuple, tuple]:
    """``N_i = sum_k c_k exp(a_k)``, ``c_k = m_k g_i - sum_{class k} g`` exact; and its bound.

    Terms with ``c_k = 0`` vanish exactly; the others are kept down to
    ``2**-(w + 25 + bitlen(n))`` of the largest, estimated from ``mag(c_k)``
    and the float ``a_k / ln 2`` with a margin for their errors (1 bit and
    ``2**-50`` relative), so the rest is below ``2**-(w+24)`` of the sum of
    magnitudes ``A``.  Each ``exp(a_k)`` is rounded to ``w`` bits and the sum
    to ``w + 40`` bits (exponents may be far apart).  Returns ``(N_i, bound)``
    with ``|N_i - N_i*| <= bound = 2**(3-w) A (1 + n 2**-36)``.
    """
    terms = []
    for k, (_dk, dbits, count, gsum) in enumerate(classes):
        ck = mpf_sub(mpf_mul(count, gi), gsum)  # exact
        if ck != fzero:
            terms.append((k, ck, _mag(ck) + dbits))
    top = max(e for _, _, e in terms)
    keep = top - (w + 25 + n.bit_length()) - 2 - 2.0**-45 * abs(top)
    total = fzero
    size = fzero
    for k, ck, e in terms:
        if e < keep:
            continue
        ek = class_exps.get(k)
        if ek is None:
            ek = class_exps[k] = mpf_exp(classes[k][0], w, round_nearest)
        term = mpf_mul(ck, ek)  # exact
        total = mpf_add(total, term, w + 40, round_nearest)
        size = mpf_add(size, mpf_abs(term), 53, round_up)
    bound = mpf_shift(mpf_mul(size, from_float(1 + n * 2.0**-36), 53, round_up), 3 - w)
    return total, bound


def _next_up(v: float, fmt: Format) -> float:
    """The number of ``fmt`` after ``v`` (finite, ``v >= 0``); ``inf`` past the largest."""
    if v == 0:
        return fmt.smallest_subnormal
    e = max(math.frexp(v)[1] - 1, fmt.emin)
    nxt = v + math.ldexp(1.0, e - fmt.precision + 1)
    return math.inf if nxt > fmt.max else nxt


def _boundary(lo: float, hi: float, fmt: Format) -> tuple | None:
    """The one rounding boundary between neighbours ``lo < hi`` of ``fmt``, exactly; else None.

    Neighbours: ``-0.0 | +0.0`` (boundary 0), or ``|hi|`` the number after
    ``|lo|`` (same sign), the boundary being their midpoint, or for
    ``max | inf`` the overflow threshold ``max + ulp/2``.
    """
    s_lo, s_hi = math.copysign(1.0, lo), math.copysign(1.0, hi)
    if lo == 0 and hi == 0:
        return fzero if s_lo != s_hi else None
    if s_lo != s_hi:  # e.g. -0.0 and the smallest subnormal: two boundaries apart
        return None
    a, b = sorted((abs(lo), abs(hi)))
    if a == math.inf or _next_up(a, fmt) != b:
        return None
    if b == math.inf:
        e = max(math.frexp(a)[1] - 1, fmt.emin)
        mid = mpf_add(from_float(a), from_float(math.ldexp(0.5, e - fmt.precision + 1)))
    else:
        mid = mpf_shift(mpf_add(from_float(a), from_float(b)), -1)  # exact
    return mpf_neg(mid) if s_lo < 0 else mid


def _boundary_side(
    lo: float, hi: float, fmt: Format, gi: tuple, ki: int, classes: list, w: int
) -> int | None:
    """Which side of the boundary between ``lo`` and ``hi`` the exact ``dx_i`` lies on.

    ``dx_i - B = Q / S**2`` with ``Q = e_i N_i - B S**2 = sum C_kl exp(a_k + a_l)``
    over pairs of classes, the coefficients exact (``c_l`` from ``e_i N_i``,
    ``-B m_k m_l`` twice over from ``S**2``) and merged per exact exponent.
    This is where a tie at the maximum leaves ``dx_i`` a rational (often a
    midpoint) plus ``exp(-10000)``: the rational part cancels exactly here,
    and what is left is evaluated with relative precision (as in
    :func:`_class_form`).  Returns +1 or -1 when ``|Q|`` exceeds its bound at
    ``w`` bits, else None (also when ``lo``, ``hi`` are not neighbours).
    """
    big_b = _boundary(lo, hi, fmt)
    if big_b is None:
        return None
    coef: dict[tuple, tuple] = {}

    def add(expo: tuple, c: tuple) -> None:
        coef[expo] = mpf_add(coef.get(expo, fzero), c)  # exact

    a_i = classes[ki][0]
    for dk, _, count, gsum in classes:
        add(mpf_add(a_i, dk), mpf_sub(mpf_mul(count, gi), gsum))
    for k, (dk, _, mk, _) in enumerate(classes):
        for dl, _, ml, _ in classes[k:]:
            twice = 1 if dl == dk else 2
            add(mpf_add(dk, dl), mpf_mul(mpf_mul(big_b, mpf_mul(mk, ml)), from_int(-twice)))
    terms = [(expo, c, _mag(c) + to_float(expo) / _LN2) for expo, c in coef.items() if c != fzero]
    if not terms:
        return None
    top = max(e for _, _, e in terms)
    keep = top - (w + 25 + len(terms).bit_length()) - 2 - 2.0**-45 * abs(top)
    total = fzero
    size = fzero
    for expo, c, e in terms:
        if e < keep:
            continue
        term = mpf_mul(c, mpf_exp(expo, w, round_nearest))
        total = mpf_add(total, term, w + 40, round_nearest)
        size = mpf_add(size, mpf_abs(term), 53, round_up)
    bound = mpf_shift(mpf_mul(size, from_float(1 + len(terms) * 2.0**-36), 53, round_up), 3 - w)
    if not mpf_gt(mpf_abs(total), bound):
        return None
    return -1 if total[0] else 1


def vjp_rows_mp(
    xv: np.ndarray,
    gv: np.ndarray,
    fmt: Format,
    which: Iterable[int],
    cols: dict[int, list[int]] | None = None,
) -> dict[int, list[float]]:
    """:func:`vjp_row_mp` of the rows ``which`` of two 2-D blocks (no undefined rows).

    ``cols`` maps a row to the columns wanted (default: all of them).
    """
    out = {}
    for r in which:
        r = int(r)
        c = None if cols is None else cols.get(r)
        out[r] = vjp_row_mp(row_values(xv[r]), row_values(gv[r]), fmt, c)[0]
    return out
