"""Does each wrapped thread variant reproduce what its author printed?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from adapters.base import Loaded
from cases.model import Case
from conformance.runner import call_adapter

__all__ = ["GoldenOutcome", "check_golden"]


@dataclass(frozen=True)
class GoldenOutcome:
    case: str
    adapter: str
    where: str
    reproduced: bool
    max_abs_diff: float | None
    detail: str
    note: str


def check_golden(cases: Sequence[Case], loaded: Mapping[str, Loaded]) -> list[GoldenOutcome]:
    out = []
    for case in cases:
        g = case.golden
        if g is None:
            continue
        if g.adapter not in loaded:
            out.append(
                GoldenOutcome(
                    case.id, g.adapter, g.where, False, None, "adapter unavailable", g.note
                )
            )
            continue
        call = call_adapter(loaded[g.adapter], "softmax", case)
        printed = np.array(g.printed, dtype=np.float64)
        if call.y is None:
            out.append(
                GoldenOutcome(
                    case.id, g.adapter, g.where, False, None, f"raised {call.error}", g.note
                )
            )
            continue
        y = call.y.astype(np.float64)
        if y.shape != printed.shape:
            out.append(
                GoldenOutcome(
                    case.id,
                    g.adapter,
                    g.where,
                    False,
                    None,
                    f"shape {y.shape}, printed {printed.shape}",
                    g.note,
                )
            )
            continue
        same_nan = np.array_equal(np.isnan(y), np.isnan(printed))
        diff = np.where(np.isnan(printed), 0.0, np.abs(y - printed))
        worst = float(np.nanmax(diff)) if diff.size else 0.0
        ok = same_nan and worst <= g.atol
        detail = f"max |y - printed| = {worst:.3g} (printed to ±{g.atol:g})"
        if not same_nan:
            detail += "; NaN in different places"
        out.append(GoldenOutcome(case.id, g.adapter, g.where, ok, worst, detail, g.note))
    return out
