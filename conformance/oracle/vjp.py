"""``reference_softmax_vjp`` and ``softmax_vjp_scale``: fast screen, mpmath for the rest."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cases.dtypes import Format
from conformance.oracle.fast_vjp import screen_vjp_rows
from conformance.oracle.mp_vjp import vjp_rows_mp
from conformance.oracle.reference import SolveStats, reference_softmax
from conformance.oracle.rows import Rows, float64_exact_rows, from_rows, to_rows, undefined_rows
from conformance.oracle.solve import finish, undecided_columns

__all__ = [
    "reference_softmax_vjp",
    "reference_softmax_vjp_mpmath",
    "softmax_vjp_scale",
    "solve_vjp",
    "vjp_rows",
]


def vjp_rows(x: np.ndarray, g: np.ndarray, axis: int, out_dtype: str | None) -> tuple[Rows, Rows]:
    """Validate ``x``, ``g`` (same shape), ``axis`` and ``out_dtype``; the rows of both."""
    x = np.asarray(x)
    g = np.asarray(g)
    if x.shape != g.shape:
        raise ValueError(
            f"reference softmax_vjp: g of shape {g.shape} for x of shape {x.shape}: "
            "expected g of the same shape as x"
        )
    rows = to_rows(x, axis, out_dtype, op="softmax_vjp")
    try:
        grows = to_rows(g, axis, "float64", op="softmax_vjp")
    except TypeError as exc:
        raise TypeError(f"{exc} (for g)") from None
    return rows, grows


def _undefined(xv: np.ndarray, gv: np.ndarray) -> np.ndarray:
    bad = undefined_rows(xv)
    if gv.dtype.kind == "f" and gv.size:
        bad |= ~np.isfinite(gv).all(axis=1)
    return bad


def solve_vjp(rows: Rows, grows: Rows, *, use_fast: bool = True) -> tuple[np.ndarray, SolveStats]:
    """The correctly rounded VJP of every row, as float64 ``(m, n)``, and statistics."""
    xv, gv = rows.values, grows.values
    out = np.empty(xv.shape, dtype=np.float64)
    if xv.size == 0:
        return out, SolveStats(0, 0, 0, 0)
    bad = _undefined(xv, gv)
    out[bad] = np.nan
    if use_fast:
        fast = ~bad & float64_exact_rows(xv) & float64_exact_rows(gv)
    else:
        fast = np.zeros(len(bad), dtype=bool)
    slow = ~bad & ~fast
    cols: dict[int, list[int]] = {}
    if fast.any():
        o, ok = screen_vjp_rows(
            xv[fast].astype(np.float64, copy=False), gv[fast].astype(np.float64), rows.fmt
        )
        out[fast] = o
        cols = undecided_columns(np.flatnonzero(fast), ok)

    def rows_mp(
        values: np.ndarray,
        fmt: Format,
        which: Iterable[int],
        wanted: dict[int, list[int]] | None = None,
    ) -> dict[int, list[float]]:
        return vjp_rows_mp(values, gv, fmt, which, wanted)

    return finish(out, xv, rows, slow, cols, rows_mp)


def reference_softmax_vjp(
    x: np.ndarray, g: np.ndarray, axis: int, out_dtype: str | None = None
) -> np.ndarray:
    """Correctly rounded ``dx = s * (g - sum(g * s, axis))``, ``s = softmax(x, axis)``.

    ``x`` and ``g`` (same shape) are taken as the exact reals they store; the
    exact ``dx`` is rounded once, to nearest with ties to even, into
    ``out_dtype`` (default: ``x``'s float dtype, float64 for integer ``x``;
    ``g`` may be of any float or integer dtype).  A row holding a NaN or a
    +inf in ``x``, or only -inf, or any non-finite ``g``, gives all NaN;
    elements where ``x`` is -inf give exactly 0 (``s = 0``).

    Zeros: ``dx_i`` is exactly 0 iff every class of equal ``x`` values has
    the same mean ``g``, equal to ``g_i`` (``g`` constant along the row is the
    common case); those are ``+0.0``, decided with exact rationals.  Any
    other value is correctly rounded, with IEEE's sign of zero for values
    that round to zero.  Values a hair from a rounding boundary (a tie at the
    maximum makes ``dx`` a rational, often a midpoint, plus ``exp(-10000)``)
    are decided exactly by an identity over pairs of classes of equal ``x``
    (rows of up to 64 classes).  The one exception is stated: a value whose
    rounding is still undecided after a pass at more than 4096 bits (deep
    cancellation in ``g_i - sum(g s)``, e.g. ``x = [0, -d, -2d, ..., -7d]``
    with ``d`` the smallest subnormal and ``g`` a 6th difference, or a
    near-rational value in a row of more than 64 classes) is returned rounded
    from that pass, within half an ulp plus ``2**-4089 * softmax_vjp_scale``
    of the exact value.

    Computed by the double-double screen of
    :mod:`conformance.oracle.fast_vjp`; what it leaves undecided, and integer
    rows not exact in float64, by :mod:`conformance.oracle.mp_vjp`.
    """
    rows, grows = vjp_rows(x, g, axis, out_dtype)
    out, _ = solve_vjp(rows, grows)
    return from_rows(out, rows)


def reference_softmax_vjp_mpmath(
    x: np.ndarray, g: np.ndarray, axis: int, out_dtype: str | None = None
) -> np.ndarray:
    """:func:`reference_softmax_vjp` by mpmath alone (the baseline)."""
    rows, grows = vjp_rows(x, g, axis, out_dtype)
    out, _ = solve_vjp(rows, grows, use_fast=False)
    return from_rows(out, rows)


def softmax_vjp_scale(x: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """The scale a VJP error is measured against: ``scale_i = s_i * max_j |g_j|``.

    ``s = softmax(x, axis)`` (correctly rounded to float64) and the maximum
    runs over the row's elements with ``x_j > -inf`` (where ``s_j > 0``);
    the product is rounded to float64 (so within about 1 ulp; it may be a
    subnormal or 0 where ``s_i`` is that small).  Always ``|dx_i| <= 2 *
    scale_i`` (indeed ``|g_i - sum(g s)| <= max g - min g``), and the exact
    zeros of ``g = const`` have scale ``s_i |const|``.  Undefined rows (as
    for :func:`reference_softmax_vjp`) give NaN; ``-inf`` elements give 0.
    Returned as float64 with the shape of ``x``.
    """
    rows, grows = vjp_rows(x, g, axis, None)
    xv, gv = rows.values, grows.values
    out = np.empty(xv.shape, dtype=np.float64)
    if xv.size:
        s = np.moveaxis(reference_softmax(np.asarray(x), axis, "float64"), axis, -1)
        s = s.reshape(xv.shape)
        finite = xv > -np.inf if xv.dtype.kind == "f" else np.ones(xv.shape, dtype=bool)
        big_m = np.where(finite, np.abs(gv.astype(np.float64)), 0.0).max(axis=1)
        with np.errstate(all="ignore"):
            out = s * big_m[:, None]
        out[_undefined(xv, gv)] = np.nan
    rows_f = Rows(rows.values, rows.moved_shape, rows.axis, "float64", rows.fmt)
    return from_rows(out, rows_f)
