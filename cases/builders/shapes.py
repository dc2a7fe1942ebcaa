"""Families of shapes and layouts: 1-D, 2-D, N-D, axis not last, single element, empty,
long rows, non-contiguous."""

from __future__ import annotations

import numpy as np

from cases.builders.spec import Ctx, Spec
from cases.dtypes import FLOAT_DTYPES
from cases.families import EQUAL_ROW, LONG_ROW, VOCAB_LENGTHS

__all__ = [
    "axis_not_last",
    "empty",
    "long_row",
    "n_d",
    "non_contiguous",
    "one_d",
    "single_element",
    "two_d",
    "vocab_rows",
]

def one_d(c: Ctx) -> list[Spec]:
    return [
        Spec(c.normal(5), -1, "a short random row", core=True),
        Spec(c.normal(17, scale=4.0), 0, "a random row, axis given as 0"),
        Spec(c.cast([-1.0, 0.0, 1.0, 2.0, 3.0]), -1, "evenly spaced integers"),
    ]


def two_d(c: Ctx) -> list[Spec]:
    return [
        Spec(c.normal(4, 7), -1, "random rows, axis -1", core=True),
        Spec(c.normal(3, 5, scale=3.0), 1, "random rows, axis 1", core=True),
        Spec(c.normal(5, 3), 0, "random columns, axis 0"),
        Spec(c.normal(1, 6), -1, "a single row"),
        # the hunt found 2-D-only variants summing bfloat16 one element at a time stall here
        Spec(c.normal(2, 2048, scale=2.0), -1, "a batch of two rows of 2048: summation error",
              core=True),
        Spec(c.normal(2048, 2, scale=2.0), 0, "2048-long columns, axis 0: strided summation",
              core=True),
    ]


def n_d(c: Ctx) -> list[Spec]:
    return [
        Spec(c.normal(2, 3, 4, scale=3.0), -1, "3-D, last axis", core=True),
        Spec(c.normal(2, 3, 4, scale=3.0), 0, "3-D, axis 0", core=True,
             leads=True),  # a leading axis: where code that assumes the last goes wrong
        Spec(c.normal(3, 4, 5, scale=3.0), 1, "3-D, axis 1"),
        Spec(c.normal(2, 3, 2, 5, scale=3.0), -1, "4-D, last axis", core=True),
        Spec(c.normal(2, 3, 2, 5, scale=3.0), 2, "4-D, axis 2"),
        Spec(c.normal(2, 3, 4, 2, scale=3.0), -3, "4-D, axis -3"),
    ]


def axis_not_last(c: Ctx) -> list[Spec]:
    return [
        Spec(c.normal(6, 3, scale=2.0), 0, "2-D, axis 0", core=True),
        Spec(c.normal(4, 5, 3, scale=2.0), -2, "3-D, axis -2", core=True),
        Spec(c.normal(2, 5, 3, 2, scale=2.0), 1, "4-D, axis 1"),
        Spec(c.normal(7, 2, scale=10.0), -2, "2-D, axis -2, a wide range of values"),
    ]


def single_element(c: Ctx) -> list[Spec]:
    return [
        Spec(c.cast([0.5]), -1, "one element: the output is exactly [1]", core=True),
        Spec(c.cast([1e4]), 0, "one huge element: exp overflows, the output is still [1]"),
        Spec(c.normal(4, 1, scale=3.0), -1, "rows of length one: every output is 1", core=True),
        Spec(c.cast([[[-2.5]]]), 0, "3-D of size one, axis 0"),
        Spec(c.normal(1, 5), 0, "axis 0 of length one in a 1x5 array: every output is 1"),
    ]


def empty(c: Ctx) -> list[Spec]:
    return [
        Spec(c.cast(np.zeros(0)), -1, "empty 1-D", core=True),
        Spec(c.cast(np.zeros((0, 5))), -1, "no rows"),
        Spec(c.cast(np.zeros((3, 0))), -1, "three empty rows", core=True),
        Spec(c.cast(np.zeros((2, 0, 3))), 1, "3-D, empty along the reduction axis 1"),
        Spec(c.cast(np.zeros((4, 0))), 0, "empty along the other axis (axis 0 of shape (4, 0))"),
    ]


def long_row(c: Ctx) -> list[Spec]:
    return [
        Spec(
            c.normal(LONG_ROW, scale=2.0),
            -1,
            f"one row of {LONG_ROW} random values: summation error grows with n",
            core=c.dtype in ("float32", "bfloat16"),
        ),
        Spec(
            c.cast(np.zeros(EQUAL_ROW)),
            -1,
            f"{EQUAL_ROW} equal logits: every output is 1/{EQUAL_ROW}; the denominator "
            "passes float16's largest value 65504, so a float16 sum overflows",
            core=c.dtype == "float16",
        ),
    ]


def _lm_logits(c: Ctx, rows: int, n: int) -> np.ndarray:
    """Logits as a language model produces them: N(0, 3), a few spikes at +20 to +40."""
    x = c.rng.normal(0.0, 3.0, (rows, n))
    for r in range(rows):
        spikes = c.rng.choice(n, size=int(c.rng.integers(1, 5)), replace=False)
        x[r, spikes] = c.rng.uniform(20.0, 40.0, spikes.size)
    return c.cast(x)


def vocab_rows(c: Ctx) -> list[Spec]:
    """Vocabulary-size rows: one row of each length (the quick run keeps one length per
    dtype), batches of several rows, and a batch reduced along axis 0."""
    specs = []
    for i, n in enumerate(VOCAB_LENGTHS):
        specs.append(Spec(_lm_logits(c, 1, n), -1, f"one row of {n} language-model logits",
                          core=FLOAT_DTYPES[i % len(FLOAT_DTYPES)] == c.dtype))
    specs += [
        Spec(_lm_logits(c, 4, VOCAB_LENGTHS[0]), -1,
             f"a batch of 4 rows of {VOCAB_LENGTHS[0]} language-model logits"),
        Spec(_lm_logits(c, 3, VOCAB_LENGTHS[1]), -1,
             f"a batch of 3 rows of {VOCAB_LENGTHS[1]} language-model logits"),
        Spec(_lm_logits(c, 2, VOCAB_LENGTHS[0]).T, 0,
             f"{VOCAB_LENGTHS[0]} logits down each column (axis 0, Fortran order)"),
    ]
    return specs


def non_contiguous(c: Ctx) -> list[Spec]:
    return [
        Spec(c.normal(4, 10)[:, ::2], -1, "a strided view x[:, ::2]", core=True),
        Spec(c.normal(5, 4).T, -1, "a transposed (Fortran-ordered) array", core=True),
        Spec(c.normal(6, 4, 9, scale=2.0)[::2, :, ::3], 1, "a 3-D strided view, axis 1"),
        Spec(c.normal(30)[::3], 0, "a 1-D view x[::3]"),
        # delivered as declared (cases.layout): each must reach the implementation so
        Spec(np.asfortranarray(c.normal(3, 5, 4, scale=2.0)), -1,
             "a Fortran-ordered 3-D array, last axis", core=True),
        Spec(c.normal(4, 6, 5, scale=2.0).transpose(1, 0, 2), -1,
             "a transposed 3-D view (axes 1, 0, 2), last axis", core=True),
        Spec(c.normal(4, 7, scale=2.0)[:, ::-1], -1,
             "negative strides along the axis, x[:, ::-1]", core=True),
        Spec(c.normal(6, 5, scale=2.0)[::-2], -1, "negative strides and gaps across rows"),
        Spec(np.broadcast_to(c.normal(7, scale=2.0), (5, 7)), -1,
             "a read-only broadcast view (0 stride across rows): a write must raise",
             core=True),
        Spec(np.broadcast_to(c.normal(4, 1, scale=2.0), (4, 6)), 0,
             "a broadcast view along the axis (each column constant), axis 0"),
    ]
