"""Deciding the rounding of a signed double-double known to within a stated bound.

The fast paths of log_softmax, cross-entropy and the softmax VJP end with a
value ``V = 2**k (vh + vl)`` (``vh + vl`` a normalised double-double,
``|vl| <= ulp(vh) / 2``) and a bound ``err`` such that the exact real lies in
``2**k [vh + vl - err, vh + vl + err]``.  :func:`round_scaled` returns the
number of the output format nearest to ``V`` and whether every real of that
interval rounds to it (to nearest, ties to even, with subnormals, overflow to
infinity and the sign of zero as IEEE 754 has them).

Method, per element (as in :func:`conformance.oracle.fast.accept`): write
``|vh| = m 2**f`` (``m`` in ``[1/2, 1)``), let ``q = 2**qe`` be the quantum of
the output format at ``|V|`` (the subnormal quantum below the smallest
normal) and scale into units of ``q``: ``z = |V| / q`` (exact, a power of two
times ``m``; clamped at ``2**-1000`` for values far below the smallest
subnormal, which only makes ``z`` and the error larger by a common factor),
``N = rint(z + zl)`` and ``rho = z + zl - N`` (to within ``2**-53``).  ``N q``
is certain when ``|rho| + err/q + 2**-51 < 1/2``; at a power of two above
the smallest normal the neighbour below is only ``q/2`` away (the test is
then against ``1/4``).  A candidate 0 also needs the sign: ``|vh| (1 - 2**-50)
> err`` (the exact value is not zero and its sign is that of ``vh``).  A
candidate whose magnitude exceeds the format's largest finite number is
infinity: with the test passed, the whole interval lies beyond
``max + q/2``, the overflow threshold of round-to-nearest.
"""

from __future__ import annotations

import numpy as np

from cases.dtypes import Format

__all__ = ["round_scaled", "same_float"]


def round_scaled(
    vh: np.ndarray, vl: np.ndarray, k: np.ndarray | int, err: np.ndarray, fmt: Format
) -> tuple[np.ndarray, np.ndarray]:
    """Round ``2**k (vh + vl)`` into ``fmt`` where ``err`` (in units of ``2**k``) decides it.

    Returns ``(out, ok)``: float64 candidates (values of ``fmt``, infinities
    and signed zeros included) and the mask of the elements proved correctly
    rounded.  ``vh == 0`` is never decided here (its sign is unknown): exact
    zeros are the caller's to set.
    """
    p = fmt.precision
    min_qe = fmt.emin - (p - 1)
    with np.errstate(all="ignore"):
        neg = vh < 0
        ah = np.abs(vh)
        al = np.where(neg, -vl, vl)
        m, f = np.frexp(ah)
        f = f.astype(np.int64)
        kk = np.asarray(k, dtype=np.int64) + f  # |V| = 2**kk (m + al 2**-f)
        qe = np.maximum(kk - 1, fmt.emin) - (p - 1)
        sc = np.maximum(kk - qe, -1000)  # at most p
        z = np.ldexp(m, sc)
        zl = np.ldexp(np.ldexp(al, -f), sc)
        err_z = np.ldexp(np.ldexp(err, -f), sc)
        whole = np.rint(z)
        rho = (z - whole) + zl  # z - whole is exact
        step = np.rint(rho)
        whole += step
        rho -= step
        slack = err_z * (1 + 2.0**-40) + 2.0**-51
        ok = np.abs(rho) + slack < 0.5
        low_end = (whole == 2.0 ** (p - 1)) & (rho < 0) & (qe > min_qe)
        ok &= ~low_end | (slack - rho < 0.25)
        ok &= (whole >= 2.0 ** (p - 1)) | (qe == min_qe)
        ok &= (whole != 0) | (ah * (1 - 2.0**-50) > err)
        out = np.ldexp(whole, qe)
        out = np.where(out > fmt.max, np.inf, out)
        out = np.where(neg, -out, out)
    return out, ok


def same_float(a: float, b: float) -> bool:
    """``a == b`` with the sign of zero distinguished (no NaN expected)."""
    return a == b and np.copysign(1.0, a) == np.copysign(1.0, b)
