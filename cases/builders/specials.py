"""Families of special values: +inf, -inf masks, fully masked rows, NaN, integer input."""

from __future__ import annotations

import math

import numpy as np

from cases.builders.spec import Ctx, Spec

__all__ = ["all_neg_inf_row", "int_input", "mixed_batch", "nan", "neg_inf", "pos_inf"]

_INF = math.inf


def pos_inf(c: Ctx) -> list[Spec]:
    return [
        Spec(c.cast([_INF, 1.0, 2.0]), -1, "one +inf in a row: one-hot or NaN?", core=True),
        Spec(c.cast([_INF, _INF, 0.0, -1.0]), -1, "two +inf in a row: [0.5, 0.5, 0, 0] or NaN?"),
        Spec(
            c.cast([[0, 1, 2], [1, _INF, 3], [-_INF, _INF, 0]]),
            -1,
            "+inf in some rows beside an ordinary row, which must stay exact",
            core=True,
        ),
        Spec(c.cast([_INF]), -1, "a single +inf"),
    ]


def neg_inf(c: Ctx) -> list[Spec]:
    scores = c.rng.standard_normal((4, 4)) * 2
    causal = np.where(np.triu(np.ones((4, 4), dtype=bool), k=1), -_INF, scores)
    padded = c.rng.standard_normal((2, 3, 5))
    for (i, j), n in zip(np.ndindex(2, 3), (0, 1, 2, 3, 4, 2), strict=True):
        padded[i, j, 5 - n :] = -_INF
    cols = c.rng.standard_normal((5, 3))
    cols[[0, 3], 1] = -_INF
    return [
        Spec(c.cast([-_INF, 1.0, 2.0, 0.0]), -1, "one masked entry: it gets exactly 0", core=True),
        Spec(
            c.cast(causal), -1, "a causal attention mask (strict upper triangle -inf)", core=True
        ),
        Spec(c.cast([-_INF, -_INF, -_INF, 3.0]), -1, "one unmasked entry: exactly one-hot"),
        Spec(c.cast(padded), -1, "3-D padding masks of 0 to 4 trailing -inf"),
        Spec(c.cast(cols), 0, "-inf entries along axis 0"),
    ]


def all_neg_inf_row(c: Ctx) -> list[Spec]:
    batch = c.rng.standard_normal((2, 3, 4))
    batch[1, 2, :] = -_INF
    batch[0, 0, 1] = -_INF
    cols = c.rng.standard_normal((3, 4))
    cols[:, 2] = -_INF
    return [
        Spec(
            c.cast([[1, 2, 3], [-_INF, -_INF, -_INF], [0, -_INF, 1]]),
            -1,
            "a fully masked row between ordinary rows, which must stay exact",
            core=True,
        ),
        Spec(c.cast([-_INF] * 4), -1, "a 1-D fully masked row: NaN, zeros or uniform?", core=True),
        Spec(c.cast(batch), -1, "3-D, one fully masked row in the batch"),
        Spec(c.cast(cols), 0, "a fully masked column, reduced along axis 0"),
    ]


_NAN = math.nan


def nan(c: Ctx) -> list[Spec]:
    return [
        Spec(
            c.cast([_NAN, 1.0, 2.0]), -1, "one NaN in a row: does it spread to the row?", core=True
        ),
        Spec(
            c.cast([[0, 1, 2], [1, _NAN, 3], [4, 5, 6]]),
            -1,
            "NaN in one row: the other rows must stay exact",
            core=True,
        ),
        Spec(c.cast([_NAN] * 3), -1, "all NaN"),
        Spec(c.cast([1.0, _NAN, _INF, -_INF]), -1, "NaN beside +inf and -inf"),
    ]


def int_input() -> list[Spec]:
    return [
        Spec(
            np.array([[1, 2, 3], [-4, 0, 7]], dtype=np.int64),
            -1,
            "int64 input: softmax returns float64",
            core=True,
        ),
        Spec(
            np.array([0, 1, 2, 3, -4], dtype=np.int32),
            -1,
            "int32 input: softmax returns float64",
            core=True,
        ),
    ]


def mixed_batch(c: Ctx) -> list[Spec]:
    """One row with no single right answer among ordinary rows, which must stay exact."""

    def batch(rows: int, n: int, bad_row: int, fill: str) -> np.ndarray:
        x = c.rng.normal(0.0, 2.0, (rows, n))
        if fill == "nan":
            x[bad_row, c.rng.integers(0, n)] = _NAN
        elif fill == "inf":
            x[bad_row, c.rng.integers(0, n)] = _INF
        else:
            x[bad_row, :] = -_INF
        return c.cast(x)

    return [
        Spec(batch(10, 6, 3, "nan"), -1, "a NaN in row 3 of 10: the other 9 rows stay exact",
             core=True),
        Spec(batch(9, 5, 5, "inf"), -1, "a +inf in row 5 of 9: the other 8 rows stay exact",
             core=True),
        Spec(batch(12, 7, 8, "masked"), -1,
             "row 8 of 12 fully masked (-inf): the other 11 rows stay exact", core=True),
        Spec(batch(8, 9, 2, "nan").T, 0,
             "a NaN in column 2 of 8, reduced along axis 0: the other columns stay exact"),
    ]
