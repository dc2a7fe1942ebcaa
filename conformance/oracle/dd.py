"""Error-free transformations on NumPy float64 arrays (double-double building blocks).

NumPy evaluates each ufunc with one IEEE rounding (it never contracts
``a * b + c`` into a fused multiply-add), which is what these classic
algorithms need.  Inputs must stay clear of overflow; underflow only matters
where a caller says so.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPLITTER", "fast_two_sum", "split", "two_prod", "two_prod_split", "two_sum"]

SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp's constant for 53-bit doubles


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``s + e == a + b`` exactly, ``s = fl(a + b)``."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def fast_two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's Fast2Sum: exact when ``a == 0`` or ``exponent(a) >= exponent(b)``."""
    s = a + b
    e = b - (s - a)
    return s, e


def split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's splitting: ``a == hi + lo`` with both halves of at most 26 bits."""
    t = a * SPLITTER
    hi = t - (t - a)
    return hi, a - hi


def two_prod_split(
    a: np.ndarray, ah: np.ndarray, al: np.ndarray, b: np.ndarray, bh: np.ndarray, bl: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProd from pre-split operands: ``p + e == a * b`` exactly.

    Exact as long as no partial product underflows (|a * b| above 2**-969).
    """
    p = a * b
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProd: ``p + e == a * b`` exactly (barring underflow)."""
    ah, al = split(a)
    bh, bl = split(b)
    return two_prod_split(a, ah, al, b, bh, bl)
