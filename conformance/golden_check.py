"""Does each wrapped thread variant reproduce what its author printed?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from adapters.calling import Call
from cases.model import Case

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


def check_golden(
    cases: Sequence[Case], call: Callable[[str, Case], Call | None]
) -> list[GoldenOutcome]:
    """``call(adapter name, case)`` gives the call, or None when the adapter is unavailable."""
    out = []
    for case in cases:
        g = case.golden
        if g is None:
            continue

        def outcome(ok: bool, diff: float | None, detail: str, g=g, case=case) -> GoldenOutcome:
            return GoldenOutcome(case.id, g.adapter, g.where, ok, diff, detail, g.note)

        made = call(g.adapter, case)
        if made is None:
            out.append(outcome(False, None, "adapter unavailable"))
            continue
        if made.y is None:
            out.append(outcome(False, None, f"raised {made.error}"))
            continue
        y = made.y.astype(np.float64)
        printed = np.array(g.printed, dtype=np.float64)
        if y.shape != printed.shape:
            out.append(outcome(False, None, f"shape {y.shape}, printed {printed.shape}"))
            continue
        same_nan = np.array_equal(np.isnan(y), np.isnan(printed))
        diff = np.where(np.isnan(printed), 0.0, np.abs(y - printed))
        worst = float(np.nanmax(diff)) if diff.size else 0.0
        detail = f"max |y - printed| = {worst:.3g} (printed to ±{g.atol:g})"
        if not same_nan:
            detail += "; NaN in different places"
        out.append(outcome(same_nan and worst <= g.atol, worst, detail))
    return out
