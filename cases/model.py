"""What a case is: an input array, the axis to reduce along, tags and an origin."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cases.dtypes import dtype_name
from cases.layout import copy_layout, layout_name

__all__ = ["ORIGINS", "SPECIAL_TAGS", "Case", "Golden"]

ORIGINS = ("catalog", "generated", "seed-golden")

# Tags of cases whose exact softmax is undefined somewhere or which test a
# convention rather than the contract (the report shows behaviour side by side).
SPECIAL_TAGS = frozenset({"pos-inf", "all-neg-inf-row", "nan", "empty", "int-input"})


@dataclass(frozen=True)
class Golden:
    """What a thread printed for this input, to the precision it printed."""

    adapter: str  # the adapter that wraps the code that printed it
    printed: tuple  # nested lists of floats (nan allowed), as printed
    atol: float  # half a unit in the last printed digit
    where: str  # seed file and answer
    note: str = ""


@dataclass(frozen=True, eq=False)
class Case:
    """One input. ``id`` is derived from the content, so it is stable across runs."""

    family: str
    x: np.ndarray = field(repr=False)
    axis: int
    tags: tuple[str, ...] = ()
    origin: str = "catalog"
    note: str = ""
    golden: Golden | None = None
    # the adapters this case is for, by name (empty: every adapter that takes it)
    only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"origin={self.origin!r} must be one of {ORIGINS}")
        if self.x.ndim == 0:
            raise ValueError("x must have at least one dimension")
        if not -self.x.ndim <= self.axis < self.x.ndim:
            raise ValueError(f"axis={self.axis} is out of range for shape {self.x.shape}")
        self.x.setflags(write=False)

    @property
    def dtype(self) -> str:
        return dtype_name(self.x.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape)

    @property
    def all_tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.family, *self.tags)))

    @property
    def is_special(self) -> bool:
        return bool(SPECIAL_TAGS.intersection(self.all_tags))

    @cached_property
    def id(self) -> str:
        h = hashlib.sha256()
        h.update(f"{self.family}|{self.dtype}|{self.shape}|{self.axis}|".encode())
        h.update(np.ascontiguousarray(self.x).tobytes())
        if self.golden is not None:  # one input printed by two variants is two cases
            h.update(f"|{self.golden.adapter}".encode())
        return f"{self.family}/{self.dtype}/{h.hexdigest()[:10]}"

    @property
    def layout(self) -> str:
        """C, Fortran, transposed, reversed, gaps or broadcast (cases.layout)."""
        return layout_name(self.x)

    def input_copy(self) -> np.ndarray:
        """A fresh copy with the case's exact memory layout (Fortran order, transposed,
        reversed, with gaps or broadcast, as declared); writable, except a broadcast view,
        which is read-only as np.broadcast_to makes it."""
        return copy_layout(self.x)
