"""What each op is fed besides the case's input, derived from the case id (deterministic).

softmax, log_softmax: the input. softmax_vjp: the input and a cotangent g of
its shape and dtype, normal(0, 1) seeded by the case id. cross_entropy: the
logits and one int64 label per row (the row's argmax for even rows, a seeded
random class for odd ones, so both the likely and the unlikely class are hit).
"""

from __future__ import annotations

import zlib

import numpy as np

from cases.dtypes import np_dtype, result_dtype
from cases.model import Case

__all__ = ["op_arrays", "op_supported"]


def _rng(case: Case, what: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{what}|{case.id}".encode()))


def cotangent(case: Case) -> np.ndarray:
    g = _rng(case, "g").normal(0.0, 1.0, case.shape)
    return g.astype(np_dtype(result_dtype(case.dtype)))


def labels(case: Case) -> np.ndarray:
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


def op_supported(op: str, case: Case) -> str | None:
    """Why an op has no meaning on this case (None when it has)."""
    if op == "cross_entropy" and case.shape[case.axis] == 0:
        return "no classes along the axis"
    return None


def op_arrays(op: str, case: Case) -> list[np.ndarray]:
    """Fresh arrays for one call (the input keeps the case's memory layout)."""
    x = case.input_copy()
    if op == "softmax_vjp":
        return [x, cotangent(case)]
    if op == "cross_entropy":
        return [x, labels(case)]
    return [x]
