"""Families of values: huge, tiny, mixed scales, ties, near-ties, subnormals, wide spread,
temperature."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cases.builders.spec import Ctx, Spec

__all__ = [
    "huge",
    "mixed_scale_rows",
    "near_ties",
    "subnormal",
    "temperature",
    "ties",
    "tiny",
    "wide_spread",
]

def huge(c: Ctx) -> list[Spec]:
    t, fmt = c.overflow, c.fmt
    b, a = c.overflow_bounds()
    big = c.cast([1e4])[0]
    return [
        Spec(
            c.cast([b, b - 1, b - 2, 0]),
            -1,
            f"max just below the exp overflow threshold "
            f"{t:.6g}: the largest x whose exp fits; the sum of exps does not",
            core=True,
        ),
        Spec(
            c.cast([a, a - 1, 0, -1]),
            -1,
            f"max just above the exp overflow threshold "
            f"{t:.6g}: the smallest x whose exp overflows",
            core=True,
            leads=True,  # where exp without the shift overflows
        ),
        Spec(
            c.cast([big, c.step(big, -1), c.step(big, -2), big / 2]),
            -1,
            "1e4 and its two lower neighbours: far beyond the overflow threshold",
        ),
        Spec(
            c.cast([fmt.max, c.step(fmt.max, -1), fmt.max / 2, 0, -fmt.max]),
            -1,
            "the format's max, its neighbour and -max: x - max(x) itself overflows to -inf",
        ),
        Spec(
            c.cast(t * np.array([[2.0], [10.0], [100.0]]) * c.rng.uniform(1, 1.5, (3, 5))),
            -1,
            "rows at 2x, 10x and 100x the overflow threshold",
        ),
        Spec(
            c.cast(c.rng.uniform(t, 4 * t, (2, 4, 3))),
            1,
            "3-D, axis 1, every value beyond the overflow threshold",
        ),
    ]


def tiny(c: Ctx) -> list[Spec]:
    t, u, eps = c.overflow, c.underflow, c.fmt.eps
    rng = c.rng
    very_negative = np.stack(
        [
            -t - 1 - rng.uniform(0, 1, 5),  # just below -log(max)
            u - 1 - rng.uniform(0, 5, 5),  # every exp rounds to zero
            2 * u * (1 + rng.uniform(0, 1, 5)),  # far below
        ]
    )
    return [
        Spec(
            c.normal(8, scale=1e-3 * eps),
            -1,
            "values ~1e-3 eps: the output is uniform to within an ulp",
            core=True,
        ),
        Spec(
            c.cast(very_negative),
            -1,
            f"every value below -log(max) = {-t:.6g}; one row below the underflow "
            f"threshold {u:.6g}: exp(x) is zero for the whole row",
            core=True,
            leads=True,  # outputs below the normal range: where XLA flushes them to zero
        ),
        Spec(c.normal(3, 4, scale=1e-3 * eps), 0, "values ~1e-3 eps along axis 0"),
    ]


def mixed_scale_rows(c: Ctx) -> list[Spec]:
    t, u = c.overflow, c.underflow
    # (a) Every row is harmless alone (no exp overflows or underflows), but the
    # global max sits more than |u| above row 0's max.
    top = 0.95 * t
    low = (u + top) - 0.1 * abs(u)
    level = np.array([[low - 2, low - 1, low], [top - 2, top - 1.5, top]])
    # (b), (c) The classic example, scaled so that the spread between rows is 2|u|.
    k = 2 * abs(u) / 3000
    classic = np.array([[1.0, 2.0, 3.0], [1000.0, 2000.0, 3000.0]]) * k
    three = np.array([[1e-3, 2e-3, 3e-3], [1.0, 2.0, 3.0], [1e3, 2e3, 3e3]]) * k
    scales = np.geomspace(1e-2, 1.0, 6).reshape(2, 3, 1) * 3 * abs(u)
    return [
        Spec(
            c.cast(level),
            -1,
            "no row overflows or underflows alone, but a global max underflows row 0 entirely",
            core=True,
        ),
        Spec(
            c.cast(classic),
            -1,
            "[[1,2,3],[1000,2000,3000]] scaled: a global max underflows row 0 entirely",
            core=True,
        ),
        Spec(c.cast(three), -1, "three rows at scales 1e-3, 1 and 1e3"),
        Spec(
            c.cast(scales * c.rng.uniform(0.5, 1.0, (2, 3, 4))),
            -1,
            "3-D batch of rows at scales spanning two orders of magnitude",
        ),
        Spec(c.cast(classic.T), 0, "the classic example transposed, along axis 0"),
    ]


def ties(c: Ctx) -> list[Spec]:
    return [
        Spec(c.cast([1.0, 1.0, 1.0, 1.0]), -1, "all equal: exactly uniform", core=True),
        Spec(
            c.cast([[3, 3, 1, 0], [2, 2, 2, 2], [-1, 5, 5, 0]]),
            -1,
            "tied maxima and an all-equal row: equal inputs give equal outputs",
            core=True,
        ),
        Spec(c.cast([1e4] * 5), -1, "five equal huge values: exactly uniform"),
        Spec(c.cast([0.0] * 6), -1, "all zeros: exactly uniform"),
        Spec(c.cast(c.rng.integers(-2, 3, (4, 6))), -1, "small integers, many ties per row"),
    ]


def near_ties(c: Ctx) -> list[Spec]:
    def row(v: float, ks: Sequence[int]) -> list[float]:
        return [c.step(v, k) for k in ks]

    return [
        Spec(
            c.cast(row(1.0, [0, 1, 2, -1, 3])),
            -1,
            "values one to four ulps apart around 1: order and near-uniformity",
            core=True,
        ),
        Spec(
            c.cast([row(v, [0, 1, -1, 2]) for v in (1.0, -3.0, 100.0, 0.5 * c.overflow)]),
            -1,
            "rows a few ulps apart around 1, -3, 100 and half the overflow threshold",
            core=True,
        ),
        Spec(
            c.cast(row(1000.0, [0, -2, 1, -1, 2, 0])),
            -1,
            "values a few ulps apart around 1000, one exact tie",
        ),
    ]


def subnormal(c: Ctx) -> list[Spec]:
    fmt = c.fmt
    ss = fmt.smallest_subnormal
    top = 2 ** (fmt.precision - 1)  # k * ss is subnormal for 0 < k < top
    lo, hi = math.log(ss), math.log(fmt.tiny)  # outputs in (ss, tiny) are subnormal

    def out_sub(n: int) -> np.ndarray:
        # log-outputs between log(ss) and log(tiny) with a margin at both ends
        return lo + (hi - lo) * np.linspace(0.15, 0.85, n)

    sub_row = c.rng.integers(1, top, 6) * ss * c.rng.choice([-1, 1], 6)
    return [
        Spec(
            c.cast(np.array([1, 2, 3, 0, -1, 5]) * ss),
            -1,
            "subnormal inputs: the output is uniform to within an ulp",
            core=True,
        ),
        Spec(
            c.cast([sub_row, c.rng.standard_normal(6)]),
            -1,
            "a row of random subnormals beside an ordinary row",
        ),
        Spec(
            c.cast(np.concatenate([[0.0], out_sub(4)])),
            -1,
            "normal inputs whose softmax outputs are subnormal",
            core=True,
        ),
        Spec(
            c.cast([np.concatenate([[0.0], out_sub(5)]), c.rng.standard_normal(6)]),
            -1,
            "a row with subnormal outputs beside an ordinary row",
        ),
        Spec(
            c.cast([fmt.tiny, fmt.tiny - ss, 0.0, -(fmt.tiny - ss), ss]),
            -1,
            "the smallest normal, the largest and smallest subnormals, and zero",
        ),
    ]


def wide_spread(c: Ctx) -> list[Spec]:
    t, u = c.overflow, c.underflow
    rows = -(10.0 ** c.rng.uniform(-1, 4, (3, 8)))
    rows[:, 0] = 0.0
    rows[:, 1] = -1e4
    return [
        Spec(c.cast(np.linspace(-1e4, 0, 11)), -1, "one row spanning [-1e4 .. 0]"),
        Spec(
            c.cast([0, -700, -745, -746, -1e4]),
            -1,
            "[0, -700, -745, -746, -1e4]: around float64's underflow threshold",
            core=True,
        ),
        Spec(
            c.cast([0, -t / 2, -t, u + 1, u - 1, 2 * u]),
            -1,
            f"a row spanning the dtype's exp range: 0 down to 2x the underflow threshold {u:.6g}",
            core=True,
        ),
        Spec(c.cast(rows), -1, "rows spanning [-1e4 .. 0] at random magnitudes"),
    ]


def temperature(c: Ctx) -> list[Spec]:
    logits = c.rng.standard_normal((3, 8)) * 2
    return [
        Spec(c.cast(logits / 0.01), -1, "logits / temperature 0.01: nearly one-hot", core=True),
        Spec(c.cast(logits / 100), -1, "logits / temperature 100: nearly uniform", core=True),
        Spec(c.cast(c.rng.standard_normal(10) / 0.001), -1, "1-D logits / temperature 0.001"),
    ]
