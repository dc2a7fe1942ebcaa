"""Does each wrapped thread variant reproduce what its author printed?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cases.model import Case
from conformance.measure.records import Result

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
    cases: Sequence[Case], result: Callable[[str, str], Result | None],
    output: Callable[[str, str], np.ndarray | None],
) -> list[GoldenOutcome]:
    """What each golden case's adapter returned in the run against what its thread printed.

    ``result(adapter, case id)`` is the run's softmax result (None when the adapter did not
    run: unavailable, or not selected) and ``output(adapter, case id)`` the output the run
    kept. The run's own calls are read, never made again.
    """
    out = []
    for case in cases:
        g = case.golden
        if g is None:
            continue

        def outcome(ok: bool, diff: float | None, detail: str, g=g, case=case) -> GoldenOutcome:
            return GoldenOutcome(case.id, g.adapter, g.where, ok, diff, detail, g.note)

        made = result(g.adapter, case.id)
        if made is None:
            out.append(outcome(False, None, "adapter unavailable"))
            continue
        if made.status != "ok":
            out.append(outcome(False, None, f"raised {made.error}"))
            continue
        kept = output(g.adapter, case.id)
        if kept is None:
            out.append(outcome(False, None, f"output of another shape than {case.shape}"))
            continue
        y = kept.astype(np.float64)
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
