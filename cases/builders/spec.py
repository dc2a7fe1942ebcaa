"""What a family builder makes (``Spec``) and what it is given (``Ctx``: the dtype, its
format, its thresholds and a random generator seeded by family and dtype)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

from cases.dtypes import Format, float_format, np_dtype

__all__ = ["Builder", "Ctx", "Spec"]

@dataclass(frozen=True)
class Spec:
    """One case before it becomes a Case: the cast array, axis and what it probes."""

    x: np.ndarray
    axis: int
    note: str
    core: bool = False  # kept by core=True; one per family (see leads) by quick=True
    tags: tuple[str, ...] = ()
    leads: bool = False  # the core case quick=True keeps for its family, not the first


_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


class Ctx:
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


Builder = Callable[[Ctx], list[Spec]]
