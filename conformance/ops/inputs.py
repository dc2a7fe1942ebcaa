"""What an op is fed besides the case's input, derived from the case id (deterministic).

An op record names the functions here that build its extra arrays (``derived_by``), so a
reproducer rebuilds them from the case by the same name:

- ``cotangent(case)``: g of the input's shape and result dtype, normal(0, 1) seeded by
  the case id (softmax_vjp);
- ``labels(case)``: one int64 label per row (the row's argmax for even rows, a seeded
  random class for odd ones, so both the likely and the unlikely class are hit)
  (cross_entropy).
"""

from __future__ import annotations

import zlib

import numpy as np

from cases.dtypes import np_dtype, result_dtype
from cases.model import Case

__all__ = ["cotangent", "labels"]


def _rng(case: Case, what: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{what}|{case.id}".encode()))


def cotangent(case: Case) -> np.ndarray:
    """The cotangent g a gradient is pulled back through."""
    g = _rng(case, "g").normal(0.0, 1.0, case.shape)
    return g.astype(np_dtype(result_dtype(case.dtype)))


def labels(case: Case) -> np.ndarray:
    """The class index of each row along the case's axis."""
    axis = case.axis % case.x.ndim
    n = case.shape[axis]
    rest = case.shape[:axis] + case.shape[axis + 1:]
    if n == 0:
        return np.zeros(rest, dtype=np.int64)
    x64 = np.nan_to_num(case.x.astype(np.float64), nan=-np.inf)
    top = np.argmax(x64, axis=axis)
    random = _rng(case, "labels").integers(0, n, size=rest)
    parity = (np.arange(int(np.prod(rest))) % 2).reshape(rest)
    return np.where(parity == 0, top, random).astype(np.int64)
