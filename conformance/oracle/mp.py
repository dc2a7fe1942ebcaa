"""The baseline: correctly rounded softmax with mpmath, by Ziv's strategy.

One row at a time.  Each input element is the exact dyadic number it stores
(``from_float``/``from_int`` are exact) and ``d_i = x_i - max(x)`` is formed
exactly.  At a working precision of ``w`` bits:

- ``e_i = exp(d_i)`` is rounded to ``w`` bits.  mpmath evaluates exp with 14
  guard bits and then rounds, so its relative error is below one ulp,
  ``2**(1 - w)``; the error budget below allows twice that, ``2**(2 - w)``.
- ``S = sum(e_i)`` is added exactly (no rounding), over every element with
  ``d_i >= -(w + 21 + bitlen(n)) * ln 2``; each neglected term is below
  ``2**-(w + 20) / n`` and ``S >= 1`` (the maximum contributes exp(0) = 1), so
  the neglected part is below ``2**-(w + 20) * S``.
- ``y_i = e_i / S`` is rounded to ``w`` bits by mpmath's correctly rounded
  division: relative error ``<= 2**-w``.

So ``y_i = softmax_i * (1 + t)`` with
``|t| <= (1 + 2**(2-w)) (1 + 2**-w) / ((1 - 2**(2-w)) (1 - 2**-(w+20))) - 1 < 2**(4 - w)``
and the exact value lies in ``[y_i (1 - 2**(4-w)), y_i (1 + 2**(4-w))]``.
Rounding is monotone, so when both ends of that interval round to the same
number of the output format, that number is the correctly rounded softmax.
Elements not so decided are recomputed at twice the precision (Ziv's loop).
The loop terminates: by the Lindemann-Weierstrass theorem the exact softmax of
dyadic inputs is irrational unless every finite element of the row is equal,
so it is never a rounding boundary; rows of equal elements (exact value 1/k)
are rounded exactly as rationals.  Elements with
``d_i < (emin - precision) * ln 2`` give ``softmax_i < exp(d_i) <`` half the
smallest subnormal and round to exactly 0 without evaluating anything.
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
    mpf_add,
    mpf_div,
    mpf_exp,
    mpf_shift,
    mpf_sub,
    round_nearest,
    to_float,
)

from cases.dtypes import Format
from conformance.oracle.rounding import round_mpf_tuple, round_to_format
from conformance.oracle.rows import Rows, from_rows, to_rows, undefined_rows

__all__ = ["reference_softmax_mpmath", "softmax_row_mp", "softmax_rows_mp"]

_LN2 = math.log(2.0)
_GUARD_BITS = 32  # first working precision: output precision + this
_MAX_PREC = 1 << 16  # never reached for a well-defined softmax (see the module docstring)


def zero_threshold(fmt: Format) -> float:
    """A float below which ``d = x_i - max`` makes the softmax round to exactly 0.

    softmax_i <= exp(d) (the row sum is at least 1), and for
    d <= (emin - precision) ln 2 that is at most half the smallest subnormal,
    which rounds to 0 (ties go to the even neighbour, 0).  The float returned
    sits 1e-6 below that real bound, far more than the float rounding of
    either side.
    """
    return (fmt.emin - fmt.precision) * _LN2 - 1e-6


def _exact(v: float | int) -> tuple:
    return from_int(v) if isinstance(v, int) else from_float(v)


def softmax_row_mp(row: Sequence[float | int], fmt: Format) -> list[float]:
    """Correctly rounded softmax of one row of exact values (floats or ints) into ``fmt``.

    The row holds no NaN and no +inf and not only -inf (the caller applies the
    conventions for those); -inf elements give exactly 0.
    """
    n = len(row)
    finite = [i for i, v in enumerate(row) if v != -math.inf]
    out = [0.0] * n
    top = max(row[i] for i in finite)  # exact comparison of Python ints and floats
    mtop = _exact(top)
    d = {i: mpf_sub(_exact(row[i]), mtop) for i in finite}  # prec=0: exact
    if all(d[i] == fzero for i in finite):  # every finite element equal: exactly 1/k
        y = round_to_format(Fraction(1, len(finite)), fmt)
        for i in finite:
            out[i] = y
        return out
    cut_zero = zero_threshold(fmt)
    pending = [i for i in finite if to_float(d[i]) >= cut_zero]
    w = fmt.precision + _GUARD_BITS
    while pending:
        if w > _MAX_PREC:
            raise RuntimeError(
                f"reference softmax (mpmath): rounding of elements {pending[:5]} into "
                f"{fmt.name} still undecided at {w // 2} bits; expected it decided by now"
            )
        cut_sum = -(w + 21 + n.bit_length()) * _LN2
        exps: dict[int, tuple] = {}
        total = fzero
        for i in finite:
            if to_float(d[i]) >= cut_sum:
                exps[i] = mpf_exp(d[i], w, round_nearest)
                total = mpf_add(total, exps[i])  # prec=0: exact
        undecided = []
        for i in pending:
            e = exps.get(i)
            if e is None:
                e = mpf_exp(d[i], w, round_nearest)
            y = mpf_div(e, total, w, round_nearest)
            slack = mpf_shift(y, 4 - w)  # |y - exact| < y * 2**(4 - w)
            lo = round_mpf_tuple(mpf_sub(y, slack), fmt)
            hi = round_mpf_tuple(mpf_add(y, slack), fmt)
            if lo == hi:
                out[i] = lo
            else:
                undecided.append(i)
        pending = undecided
        w *= 2
    return out


def row_values(row: np.ndarray) -> list[float | int]:
    """A row's elements as exact Python numbers (ints stay ints), for mpmath."""
    if row.dtype.kind in "iu":
        return [int(v) for v in row.tolist()]
    return [float(v) for v in row.tolist()]


def softmax_rows_mp(values: np.ndarray, fmt: Format, which: Iterable[int]) -> dict[int, list]:
    """``softmax_row_mp`` of the rows ``which`` of a 2-D block (no undefined rows among them)."""
    return {int(r): softmax_row_mp(row_values(values[r]), fmt) for r in which}


def _solve(rows: Rows) -> np.ndarray:
    values = rows.values
    out = np.empty(values.shape, dtype=np.float64)
    if values.size == 0:
        return out
    bad = undefined_rows(values)
    out[bad] = np.nan
    for r, y in softmax_rows_mp(values, rows.fmt, np.flatnonzero(~bad)).items():
        out[r] = y
    return out


def reference_softmax_mpmath(x: np.ndarray, axis: int, out_dtype: str | None = None) -> np.ndarray:
    """Correctly rounded softmax of ``x`` along ``axis``, by mpmath alone (the baseline).

    Same contract as :func:`conformance.oracle.reference_softmax`; see this
    module's docstring for the error bound and why the result is certain.
    """
    rows = to_rows(x, axis, out_dtype)
    return from_rows(_solve(rows), rows)
