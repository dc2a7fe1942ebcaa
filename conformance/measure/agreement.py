"""Do implementations' outputs of one op on one case agree? By the op record's rule."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from conformance.measure.bounds import agreement_tolerance

__all__ = ["agreeing_pairs", "agrees", "output_key"]


def _agree_with(a: np.ndarray, others: np.ndarray, dtype: str, rule: str,
                axis: int) -> np.ndarray:
    """For each of ``others`` (stacked on a first axis, float64), does it agree with ``a``?

    ``relative`` (softmax): every element within 8 eps relative, or both below the
    smallest normal. ``absolute`` (log_softmax, cross_entropy, whose values near 0 have no
    relative precision): within 8 eps * (1 + |y|). ``row-scale`` (softmax_vjp, whose exact
    values may be 0): within 8 eps of the row's largest |y|. NaN must be in the same
    places; equal values (infinities) agree.
    """
    rtol, atol = agreement_tolerance(dtype)
    m = others.shape[0]
    if a.size == 0:
        return np.ones(m, dtype=bool)
    flat = (m, -1)
    nan_a = np.isnan(a)
    same_nans = (np.isnan(others) == nan_a).reshape(flat).all(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.maximum(np.abs(a), np.abs(others))
        if rule == "absolute":
            size = 1.0 + size
        elif rule == "row-scale":
            finite = np.where(np.isfinite(size), size, 0.0)
            along = axis % a.ndim - a.ndim if a.ndim else -1  # the same axis in ``others``
            size = np.broadcast_to(np.max(finite, axis=along, keepdims=True), size.shape)
        close = (others == a) | (np.abs(others - a) <= rtol * size)
        if rule == "relative":
            close |= size < atol
    return same_nans & (close | nan_a).reshape(flat).all(axis=1)


def agrees(a: np.ndarray, b: np.ndarray, dtype: str, rule: str = "relative",
           axis: int = -1) -> bool:
    """Two outputs agree by ``rule`` (see _agree_with)."""
    a64 = a.astype(np.float64)
    return bool(_agree_with(a64, b.astype(np.float64)[None], dtype, rule, axis)[0])


# elements compared at once: a few dozen MiB of float64 however large the outputs
CHUNK_ELEMENTS = 2**21


def agreeing_pairs(outputs: Mapping[str, np.ndarray], dtype: str, rule: str, axis: int,
                   keys: Mapping[str, Hashable] | None = None
                   ) -> list[tuple[str, str, bool]]:
    """Every pair (a, b), a < b by name, of outputs of one shape and whether they agree.

    Outputs with the same values (as float64, bit for bit) agree with each other and alike
    with every other output, so only one of each is compared: each with the later ones, a
    chunk at a time. Many implementations return the same bits, so this compares far fewer
    pairs than there are. ``keys``: each output's key where the caller has one already,
    equal only for outputs with the same values (dtype, shape and bits: a finer grouping)."""
    names = sorted(outputs)
    if len(names) < 2:
        return []
    first_of: dict[Hashable, str] = {}
    same_as: dict[str, str] = {}  # each name -> the first name with its values
    for name in names:
        key = keys[name] if keys is not None else _values_key(outputs[name])
        same_as[name] = first_of.setdefault(key, name)
    distinct = list(first_of.values())  # in the order of names
    verdict = _compared_pairs({n: outputs[n] for n in distinct}, dtype, rule, axis)
    at = {n: i for i, n in enumerate(names)}
    pairs = []
    for i, a in enumerate(names[:-1]):
        ra = same_as[a]
        for b in names[i + 1:]:
            rb = same_as[b]  # each first name was compared with every later one
            agreed = ra == rb or verdict[(ra, rb) if at[ra] < at[rb] else (rb, ra)]
            pairs.append((a, b, agreed))
    return pairs


def output_key(y: np.ndarray) -> tuple[Any, ...]:
    """The same for two outputs with the same dtype, shape and bits (whatever their layout):
    they are held once, measured once, and compared once with the others."""
    digest = hashlib.blake2b(np.ascontiguousarray(y).view(np.uint8).data, digest_size=20)
    return y.dtype.str, y.shape, digest.digest()


def _values_key(y: np.ndarray) -> bytes:
    """Equal for two outputs exactly when their float64 values are the same bit for bit."""
    y64 = np.ascontiguousarray(y, dtype=np.float64)
    return hashlib.blake2b(y64.data, digest_size=20).digest()


def _compared_pairs(outputs: Mapping[str, np.ndarray], dtype: str, rule: str, axis: int
                    ) -> dict[tuple[str, str], bool]:
    """Each pair (a, b) of ``outputs`` in order, compared by ``rule``."""
    names = list(outputs)
    verdicts: dict[tuple[str, str], bool] = {}
    if len(names) < 2:
        return verdicts
    size = max(outputs[names[0]].size, 1)
    step = max(1, CHUNK_ELEMENTS // size)
    for i, a in enumerate(names[:-1]):
        a64 = outputs[a].astype(np.float64)
        later = names[i + 1:]
        for start in range(0, len(later), step):
            chunk = later[start:start + step]
            others = np.stack([outputs[b].astype(np.float64) for b in chunk])
            found = _agree_with(a64, others, dtype, rule, axis)
            verdicts.update(((a, b), bool(v)) for b, v in zip(chunk, found, strict=True))
    return verdicts
