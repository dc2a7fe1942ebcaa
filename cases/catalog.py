"""The edge-case catalogue: a fixed, deterministic set of inputs, one family per tag.

Every array is built in float64, cast once to the target dtype, and the cast
array is what the case holds, so every value is exactly representable in the
dtype it claims. Each (family, dtype) pair draws from its own
``numpy.random.default_rng`` seed, so ids are stable from run to run and
adding a dtype or a family never changes the other cases.

``catalog(quick=True)`` is a subset of the full catalogue (same ids): every
family is still present, with fewer cases, and one long row only.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

from cases.dtypes import (
    FLOAT_DTYPES,
    Format,
    dtype_name,
    float_format,
    np_dtype,
    result_dtype,
)
from cases.model import Case

__all__ = ["FAMILIES", "LONG_ROW", "catalog"]

FAMILIES: dict[str, str] = {
    "huge": "values near and beyond the dtype's exp overflow threshold, up to its max",
    "tiny": "values ~1e-3 of eps, and rows so negative that every exp underflows",
    "mixed-scale-rows": "rows of very different scale: one global max underflows a whole row",
    "ties": "rows with exactly equal values, including equal maxima",
    "near-ties": "rows whose values are a few ulps apart in the dtype",
    "1-D": "one-dimensional input",
    "2-D": "two-dimensional input, along either axis",
    "N-D": "three- and four-dimensional input, along several axes",
    "axis-not-last": "reduction along an axis other than the last (positive and negative axis)",
    "single-element": "reduction axis of length one: the output is exactly one",
    "empty": "zero-size input: the output is empty",
    "pos-inf": "+inf in a row (no single right answer: a convention)",
    "neg-inf": "partial -inf mask: masked entries get exactly zero",
    "all-neg-inf-row": "a fully masked (all -inf) row beside ordinary rows (a convention)",
    "nan": "NaN in a row (a convention)",
    "subnormal": "subnormal inputs, and inputs whose softmax outputs are subnormal",
    "long-row": "one row of at least 10^5 elements: summation error grows with n",
    "int-input": "integer input (int64, int32): a float64 result is expected",
    "non-contiguous": "strided or transposed views, kept non-contiguous",
    "wide-spread": "one row spanning thousands: [-1e4 .. 0], [0, -700, -745, ...]",
    "temperature": "logits divided by a small and a large temperature",
}

LONG_ROW = 100_000  # elements in the long-row family's row

_TAG_ORDER = {tag: i for i, tag in enumerate(FAMILIES)}


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Spec:
    """One case before it becomes a Case: the cast array, axis and what it probes."""

    x: np.ndarray
    axis: int
    note: str
    core: bool = False  # kept by quick=True
    tags: tuple[str, ...] = ()


_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


class _Ctx:
    """Everything a family builder needs for one float dtype."""

    def __init__(self, family: str, dtype: str) -> None:
        self.dtype = dtype
        self.dt = np_dtype(dtype)
        self.fmt: Format = float_format(dtype)
        self.rng = np.random.default_rng(zlib.crc32(f"{family}|{dtype}".encode()))

    # The thresholds every family scales by.
    @property
    def overflow(self) -> float:
        """exp(x) overflows this format above this x (log of the max)."""
        return self.fmt.exp_overflow

    def overflow_bounds(self) -> tuple[float, float]:
        """The largest input whose exp fits the format and the smallest whose exp overflows.

        exp(x) rounds to inf when it reaches max + ulp(max)/2 = 2^emax (2 - 2^-p),
        so the exact threshold is emax ln 2 + ln(2 - 2^-p), computed in decimal.
        """
        fmt = self.fmt
        with localcontext() as ctx:
            ctx.prec = 60
            two = Decimal(2)
            exact = fmt.emax * two.ln() + (two - two**-fmt.precision).ln()
            c = float(self.cast([float(exact)])[0])
            for _ in range(4):  # float(exact) is within an ulp of the answer
                if Decimal(c) > exact:
                    c = self.step(c, -1)
                elif Decimal(self.step(c, 1)) < exact:
                    c = self.step(c, 1)
                else:
                    return c, self.step(c, 1)
        raise RuntimeError(f"catalogue bug: no exp overflow threshold found for {self.dtype}")

    @property
    def underflow(self) -> float:
        """exp(x) rounds to zero at or below this x (log of half the smallest subnormal)."""
        return math.log(self.fmt.smallest_subnormal) - math.log(2.0)

    def cast(self, values: object) -> np.ndarray:
        """values built in float64, cast once to the dtype; finite values must stay finite."""
        wide = np.asarray(values, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            out = wide.astype(self.dt, order="C")
        lost = np.isfinite(wide) & ~np.isfinite(out.astype(np.float64))
        if lost.any():
            raise RuntimeError(f"catalogue bug: {wide[lost][0]!r} overflows {self.dtype}")
        return out

    def step(self, value: float, k: int) -> float:
        """The representable number k steps above (k < 0: below) ``value`` in the dtype."""
        a = self.cast([value])
        u = _UINT[self.dt.itemsize]
        sign = 1 << (8 * self.dt.itemsize - 1)
        bits = int(a.view(u)[0])
        ordered = bits if bits < sign else -(bits - sign)
        ordered += k
        bits = ordered if ordered >= 0 else sign + (-ordered)
        return float(np.array([bits], dtype=u).view(self.dt)[0])

    def normal(self, *shape: int, scale: float = 1.0) -> np.ndarray:
        return self.cast(self.rng.standard_normal(shape) * scale)


Builder = Callable[[_Ctx], list[_Spec]]


# --------------------------------------------------------------------------- families


def _huge(c: _Ctx) -> list[_Spec]:
    t, fmt = c.overflow, c.fmt
    b, a = c.overflow_bounds()
    big = c.cast([1e4])[0]
    return [
        _Spec(
            c.cast([b, b - 1, b - 2, 0]),
            -1,
            f"max just below the exp overflow threshold "
            f"{t:.6g}: the largest x whose exp fits; the sum of exps does not",
            core=True,
        ),
        _Spec(
            c.cast([a, a - 1, 0, -1]),
            -1,
            f"max just above the exp overflow threshold "
            f"{t:.6g}: the smallest x whose exp overflows",
            core=True,
        ),
        _Spec(
            c.cast([big, c.step(big, -1), c.step(big, -2), big / 2]),
            -1,
            "1e4 and its two lower neighbours: far beyond the overflow threshold",
        ),
        _Spec(
            c.cast([fmt.max, c.step(fmt.max, -1), fmt.max / 2, 0, -fmt.max]),
            -1,
            "the format's max, its neighbour and -max: x - max(x) itself overflows to -inf",
        ),
        _Spec(
            c.cast(t * np.array([[2.0], [10.0], [100.0]]) * c.rng.uniform(1, 1.5, (3, 5))),
            -1,
            "rows at 2x, 10x and 100x the overflow threshold",
        ),
        _Spec(
            c.cast(c.rng.uniform(t, 4 * t, (2, 4, 3))),
            1,
            "3-D, axis 1, every value beyond the overflow threshold",
        ),
    ]


def _tiny(c: _Ctx) -> list[_Spec]:
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
        _Spec(
            c.normal(8, scale=1e-3 * eps),
            -1,
            "values ~1e-3 eps: the output is uniform to within an ulp",
            core=True,
        ),
        _Spec(
            c.cast(very_negative),
            -1,
            f"every value below -log(max) = {-t:.6g}; one row below the underflow "
            f"threshold {u:.6g}: exp(x) is zero for the whole row",
            core=True,
        ),
        _Spec(c.normal(3, 4, scale=1e-3 * eps), 0, "values ~1e-3 eps along axis 0"),
    ]


def _mixed_scale_rows(c: _Ctx) -> list[_Spec]:
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
        _Spec(
            c.cast(level),
            -1,
            "no row overflows or underflows alone, but a global max underflows row 0 entirely",
            core=True,
        ),
        _Spec(
            c.cast(classic),
            -1,
            "[[1,2,3],[1000,2000,3000]] scaled: a global max underflows row 0 entirely",
            core=True,
        ),
        _Spec(c.cast(three), -1, "three rows at scales 1e-3, 1 and 1e3"),
        _Spec(
            c.cast(scales * c.rng.uniform(0.5, 1.0, (2, 3, 4))),
            -1,
            "3-D batch of rows at scales spanning two orders of magnitude",
        ),
        _Spec(c.cast(classic.T), 0, "the classic example transposed, along axis 0"),
    ]


def _ties(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.cast([1.0, 1.0, 1.0, 1.0]), -1, "all equal: exactly uniform", core=True),
        _Spec(
            c.cast([[3, 3, 1, 0], [2, 2, 2, 2], [-1, 5, 5, 0]]),
            -1,
            "tied maxima and an all-equal row: equal inputs give equal outputs",
            core=True,
        ),
        _Spec(c.cast([1e4] * 5), -1, "five equal huge values: exactly uniform"),
        _Spec(c.cast([0.0] * 6), -1, "all zeros: exactly uniform"),
        _Spec(c.cast(c.rng.integers(-2, 3, (4, 6))), -1, "small integers, many ties per row"),
    ]


def _near_ties(c: _Ctx) -> list[_Spec]:
    def row(v: float, ks: Sequence[int]) -> list[float]:
        return [c.step(v, k) for k in ks]

    return [
        _Spec(
            c.cast(row(1.0, [0, 1, 2, -1, 3])),
            -1,
            "values one to four ulps apart around 1: order and near-uniformity",
            core=True,
        ),
        _Spec(
            c.cast([row(v, [0, 1, -1, 2]) for v in (1.0, -3.0, 100.0, 0.5 * c.overflow)]),
            -1,
            "rows a few ulps apart around 1, -3, 100 and half the overflow threshold",
            core=True,
        ),
        _Spec(
            c.cast(row(1000.0, [0, -2, 1, -1, 2, 0])),
            -1,
            "values a few ulps apart around 1000, one exact tie",
        ),
    ]


def _one_d(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.normal(5), -1, "a short random row", core=True),
        _Spec(c.normal(17, scale=4.0), 0, "a random row, axis given as 0"),
        _Spec(c.cast([-1.0, 0.0, 1.0, 2.0, 3.0]), -1, "evenly spaced integers"),
    ]


def _two_d(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.normal(4, 7), -1, "random rows, axis -1", core=True),
        _Spec(c.normal(3, 5, scale=3.0), 1, "random rows, axis 1", core=True),
        _Spec(c.normal(5, 3), 0, "random columns, axis 0"),
        _Spec(c.normal(1, 6), -1, "a single row"),
        # the hunt found 2-D-only variants summing bfloat16 one element at a time stall here
        _Spec(c.normal(2, 2048, scale=2.0), -1, "a batch of two rows of 2048: summation error",
              core=True),
        _Spec(c.normal(2048, 2, scale=2.0), 0, "2048-long columns, axis 0: strided summation",
              core=True),
    ]


def _n_d(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.normal(2, 3, 4, scale=3.0), -1, "3-D, last axis", core=True),
        _Spec(c.normal(2, 3, 4, scale=3.0), 0, "3-D, axis 0", core=True),
        _Spec(c.normal(3, 4, 5, scale=3.0), 1, "3-D, axis 1"),
        _Spec(c.normal(2, 3, 2, 5, scale=3.0), -1, "4-D, last axis", core=True),
        _Spec(c.normal(2, 3, 2, 5, scale=3.0), 2, "4-D, axis 2"),
        _Spec(c.normal(2, 3, 4, 2, scale=3.0), -3, "4-D, axis -3"),
    ]


def _axis_not_last(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.normal(6, 3, scale=2.0), 0, "2-D, axis 0", core=True),
        _Spec(c.normal(4, 5, 3, scale=2.0), -2, "3-D, axis -2", core=True),
        _Spec(c.normal(2, 5, 3, 2, scale=2.0), 1, "4-D, axis 1"),
        _Spec(c.normal(7, 2, scale=10.0), -2, "2-D, axis -2, a wide range of values"),
    ]


def _single_element(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.cast([0.5]), -1, "one element: the output is exactly [1]", core=True),
        _Spec(c.cast([1e4]), 0, "one huge element: exp overflows, the output is still [1]"),
        _Spec(c.normal(4, 1, scale=3.0), -1, "rows of length one: every output is 1", core=True),
        _Spec(c.cast([[[-2.5]]]), 0, "3-D of size one, axis 0"),
        _Spec(c.normal(1, 5), 0, "axis 0 of length one in a 1x5 array: every output is 1"),
    ]


def _empty(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.cast(np.zeros(0)), -1, "empty 1-D", core=True),
        _Spec(c.cast(np.zeros((0, 5))), -1, "no rows"),
        _Spec(c.cast(np.zeros((3, 0))), -1, "three empty rows", core=True),
        _Spec(c.cast(np.zeros((2, 0, 3))), 1, "3-D, empty along the reduction axis 1"),
        _Spec(c.cast(np.zeros((4, 0))), 0, "empty along the other axis (axis 0 of shape (4, 0))"),
    ]


_INF = math.inf


def _pos_inf(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.cast([_INF, 1.0, 2.0]), -1, "one +inf in a row: one-hot or NaN?", core=True),
        _Spec(c.cast([_INF, _INF, 0.0, -1.0]), -1, "two +inf in a row: [0.5, 0.5, 0, 0] or NaN?"),
        _Spec(
            c.cast([[0, 1, 2], [1, _INF, 3], [-_INF, _INF, 0]]),
            -1,
            "+inf in some rows beside an ordinary row, which must stay exact",
            core=True,
        ),
        _Spec(c.cast([_INF]), -1, "a single +inf"),
    ]


def _neg_inf(c: _Ctx) -> list[_Spec]:
    scores = c.rng.standard_normal((4, 4)) * 2
    causal = np.where(np.triu(np.ones((4, 4), dtype=bool), k=1), -_INF, scores)
    padded = c.rng.standard_normal((2, 3, 5))
    for (i, j), n in zip(np.ndindex(2, 3), (0, 1, 2, 3, 4, 2), strict=True):
        padded[i, j, 5 - n :] = -_INF
    cols = c.rng.standard_normal((5, 3))
    cols[[0, 3], 1] = -_INF
    return [
        _Spec(c.cast([-_INF, 1.0, 2.0, 0.0]), -1, "one masked entry: it gets exactly 0", core=True),
        _Spec(
            c.cast(causal), -1, "a causal attention mask (strict upper triangle -inf)", core=True
        ),
        _Spec(c.cast([-_INF, -_INF, -_INF, 3.0]), -1, "one unmasked entry: exactly one-hot"),
        _Spec(c.cast(padded), -1, "3-D padding masks of 0 to 4 trailing -inf"),
        _Spec(c.cast(cols), 0, "-inf entries along axis 0"),
    ]


def _all_neg_inf_row(c: _Ctx) -> list[_Spec]:
    batch = c.rng.standard_normal((2, 3, 4))
    batch[1, 2, :] = -_INF
    batch[0, 0, 1] = -_INF
    cols = c.rng.standard_normal((3, 4))
    cols[:, 2] = -_INF
    return [
        _Spec(
            c.cast([[1, 2, 3], [-_INF, -_INF, -_INF], [0, -_INF, 1]]),
            -1,
            "a fully masked row between ordinary rows, which must stay exact",
            core=True,
        ),
        _Spec(c.cast([-_INF] * 4), -1, "a 1-D fully masked row: NaN, zeros or uniform?", core=True),
        _Spec(c.cast(batch), -1, "3-D, one fully masked row in the batch"),
        _Spec(c.cast(cols), 0, "a fully masked column, reduced along axis 0"),
    ]


_NAN = math.nan


def _nan(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(
            c.cast([_NAN, 1.0, 2.0]), -1, "one NaN in a row: does it spread to the row?", core=True
        ),
        _Spec(
            c.cast([[0, 1, 2], [1, _NAN, 3], [4, 5, 6]]),
            -1,
            "NaN in one row: the other rows must stay exact",
            core=True,
        ),
        _Spec(c.cast([_NAN] * 3), -1, "all NaN"),
        _Spec(c.cast([1.0, _NAN, _INF, -_INF]), -1, "NaN beside +inf and -inf"),
    ]


def _subnormal(c: _Ctx) -> list[_Spec]:
    fmt = c.fmt
    ss = fmt.smallest_subnormal
    top = 2 ** (fmt.precision - 1)  # k * ss is subnormal for 0 < k < top
    lo, hi = math.log(ss), math.log(fmt.tiny)  # outputs in (ss, tiny) are subnormal

    def out_sub(n: int) -> np.ndarray:
        # log-outputs between log(ss) and log(tiny) with a margin at both ends
        return lo + (hi - lo) * np.linspace(0.15, 0.85, n)

    sub_row = c.rng.integers(1, top, 6) * ss * c.rng.choice([-1, 1], 6)
    return [
        _Spec(
            c.cast(np.array([1, 2, 3, 0, -1, 5]) * ss),
            -1,
            "subnormal inputs: the output is uniform to within an ulp",
            core=True,
        ),
        _Spec(
            c.cast([sub_row, c.rng.standard_normal(6)]),
            -1,
            "a row of random subnormals beside an ordinary row",
        ),
        _Spec(
            c.cast(np.concatenate([[0.0], out_sub(4)])),
            -1,
            "normal inputs whose softmax outputs are subnormal",
            core=True,
        ),
        _Spec(
            c.cast([np.concatenate([[0.0], out_sub(5)]), c.rng.standard_normal(6)]),
            -1,
            "a row with subnormal outputs beside an ordinary row",
        ),
        _Spec(
            c.cast([fmt.tiny, fmt.tiny - ss, 0.0, -(fmt.tiny - ss), ss]),
            -1,
            "the smallest normal, the largest and smallest subnormals, and zero",
        ),
    ]


def _long_row(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(
            c.normal(LONG_ROW, scale=2.0),
            -1,
            f"one row of {LONG_ROW} random values: summation error grows with n",
            core=True,
        ),
    ]


def _non_contiguous(c: _Ctx) -> list[_Spec]:
    return [
        _Spec(c.normal(4, 10)[:, ::2], -1, "a strided view x[:, ::2]", core=True),
        _Spec(c.normal(5, 4).T, -1, "a transposed (Fortran-ordered) array", core=True),
        _Spec(c.normal(6, 4, 9, scale=2.0)[::2, :, ::3], 1, "a 3-D strided view, axis 1"),
        _Spec(c.normal(30)[::3], 0, "a 1-D view x[::3]"),
    ]


def _wide_spread(c: _Ctx) -> list[_Spec]:
    t, u = c.overflow, c.underflow
    rows = -(10.0 ** c.rng.uniform(-1, 4, (3, 8)))
    rows[:, 0] = 0.0
    rows[:, 1] = -1e4
    return [
        _Spec(c.cast(np.linspace(-1e4, 0, 11)), -1, "one row spanning [-1e4 .. 0]"),
        _Spec(
            c.cast([0, -700, -745, -746, -1e4]),
            -1,
            "[0, -700, -745, -746, -1e4]: around float64's underflow threshold",
            core=True,
        ),
        _Spec(
            c.cast([0, -t / 2, -t, u + 1, u - 1, 2 * u]),
            -1,
            f"a row spanning the dtype's exp range: 0 down to 2x the underflow threshold {u:.6g}",
            core=True,
        ),
        _Spec(c.cast(rows), -1, "rows spanning [-1e4 .. 0] at random magnitudes"),
    ]


def _temperature(c: _Ctx) -> list[_Spec]:
    logits = c.rng.standard_normal((3, 8)) * 2
    return [
        _Spec(c.cast(logits / 0.01), -1, "logits / temperature 0.01: nearly one-hot", core=True),
        _Spec(c.cast(logits / 100), -1, "logits / temperature 100: nearly uniform", core=True),
        _Spec(c.cast(c.rng.standard_normal(10) / 0.001), -1, "1-D logits / temperature 0.001"),
    ]


_BUILDERS: dict[str, Builder] = {
    "huge": _huge,
    "tiny": _tiny,
    "mixed-scale-rows": _mixed_scale_rows,
    "ties": _ties,
    "near-ties": _near_ties,
    "1-D": _one_d,
    "2-D": _two_d,
    "N-D": _n_d,
    "axis-not-last": _axis_not_last,
    "single-element": _single_element,
    "empty": _empty,
    "pos-inf": _pos_inf,
    "neg-inf": _neg_inf,
    "all-neg-inf-row": _all_neg_inf_row,
    "nan": _nan,
    "subnormal": _subnormal,
    "long-row": _long_row,
    "non-contiguous": _non_contiguous,
    "wide-spread": _wide_spread,
    "temperature": _temperature,
}


def _int_input() -> list[_Spec]:
    return [
        _Spec(
            np.array([[1, 2, 3], [-4, 0, 7]], dtype=np.int64),
            -1,
            "int64 input: softmax returns float64",
            core=True,
        ),
        _Spec(
            np.array([0, 1, 2, 3, -4], dtype=np.int32),
            -1,
            "int32 input: softmax returns float64",
            core=True,
        ),
    ]


# --------------------------------------------------------------------------- tags


def _derived_tags(x: np.ndarray, axis: int) -> set[str]:
    """The tags an array earns by its content and layout, whatever its family."""
    tags = {"1-D" if x.ndim == 1 else "2-D" if x.ndim == 2 else "N-D"}
    axis %= x.ndim
    if axis != x.ndim - 1:
        tags.add("axis-not-last")
    if x.shape[axis] == 1:
        tags.add("single-element")
    if x.shape[axis] >= LONG_ROW:
        tags.add("long-row")
    if x.size == 0:
        tags.add("empty")
    elif not x.flags.c_contiguous:
        tags.add("non-contiguous")
    dtype = dtype_name(x.dtype)
    wide = x.astype(np.float64)
    if np.issubdtype(x.dtype, np.integer):
        tags.add("int-input")
    else:
        mag = np.abs(wide[np.isfinite(wide)])
        if ((mag > 0) & (mag < float_format(dtype).tiny)).any():
            tags.add("subnormal")
    if x.size == 0:
        return tags
    if np.isnan(wide).any():
        tags.add("nan")
    if np.isposinf(wide).any():
        tags.add("pos-inf")
    if np.isneginf(wide).any():
        tags.add("neg-inf")
        if np.isneginf(np.moveaxis(wide, axis, -1)).all(axis=-1).any():
            tags.add("all-neg-inf-row")
    finite = wide[np.isfinite(wide)]
    overflow = float_format(result_dtype(dtype)).exp_overflow
    if finite.size and finite.max() > overflow:
        tags.add("huge")
    return tags


def _to_case(family: str, spec: _Spec) -> Case:
    tags = (_derived_tags(spec.x, spec.axis) | set(spec.tags)) - {family}
    ordered = tuple(sorted(tags, key=lambda t: (_TAG_ORDER.get(t, len(_TAG_ORDER)), t)))
    return Case(
        family=family, x=spec.x, axis=spec.axis, tags=ordered, origin="catalog", note=spec.note
    )


# --------------------------------------------------------------------------- public


def _check_dtypes(dtypes: object) -> list[str]:
    expected = ", ".join(FLOAT_DTYPES)
    if isinstance(dtypes, (str, bytes)) or not isinstance(dtypes, Sequence):
        raise ValueError(
            f"dtypes={dtypes!r}: expected a sequence of dtype names (a subset of {expected})"
        )
    names = list(dtypes)
    if not names:
        raise ValueError(f"dtypes={names!r}: expected at least one of {expected}")
    unknown = [d for d in names if d not in FLOAT_DTYPES]
    if unknown:
        raise ValueError(
            f"dtypes={names!r} has unknown {', '.join(map(repr, unknown))}: "
            f"expected a subset of {expected}"
        )
    return list(dict.fromkeys(names))


def catalog(*, dtypes: Sequence[str] = FLOAT_DTYPES, quick: bool = False) -> list[Case]:
    """The edge-case catalogue for the given float dtypes (origin ``catalog``).

    Every family of FAMILIES appears in every requested dtype; ``int-input``
    appears once per integer dtype (int64, int32) whatever ``dtypes`` says.
    ``quick=True`` keeps a subset of the same cases (same ids): every family,
    fewer cases, and the 10^5 long row only in float32 (or, if float32 is
    not requested, in the first requested dtype).
    """
    names = _check_dtypes(dtypes)
    if not isinstance(quick, bool):
        raise ValueError(f"quick={quick!r}: expected True or False")
    long_dtype = "float32" if "float32" in names else names[0]

    cases: list[Case] = []
    for family in FAMILIES:
        if family == "int-input":
            cases.extend(_to_case(family, s) for s in _int_input())
            continue
        for dtype in names:
            if quick and family == "long-row" and dtype != long_dtype:
                continue
            specs = _BUILDERS[family](_Ctx(family, dtype))
            cases.extend(_to_case(family, s) for s in specs if s.core or not quick)

    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise RuntimeError(
                f"catalogue bug: {case.note!r} and {seen[case.id].note!r} share id {case.id}"
            )
        seen[case.id] = case
    return cases
