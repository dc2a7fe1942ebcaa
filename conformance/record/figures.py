"""The data behind report.html's charts, computed here so the renderers only draw.

Every value is an adapter's condition-aware error divided by its op's accuracy bound
(1 is the bound; 0 is exact), worst over the cases in a point. Charts show the adapters of
libraries, the reference and external implementations (the threads' variants are in the
tables): ``CHARTED`` families.

- ``error_vs_length``: op -> dtype -> adapter -> [[row length, ratio], ...] over the
  cases whose rows have at least ``LONG_ROW`` elements (long and vocabulary-size rows);
- ``error_vs_magnitude``: op -> dtype -> adapter -> [[10^k, ratio], ...], cases binned
  by the decade of their largest finite |x| (10^k <= max|x| < 10^(k+1); 0 in its own bin);
- ``by_family``: op -> adapter -> family -> ratio (worst over dtypes).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cases.dtypes import result_dtype
from cases.model import Case
from conformance.measure.bounds import DEFAULT, Policy
from conformance.measure.records import Result
from conformance.ops import OPS

__all__ = ["CHARTED", "LONG_ROW", "figures", "magnitude"]

CHARTED = ("reference", "library", "external", "plugin")
LONG_ROW = 1000


def magnitude(case: Case) -> float:
    """The largest finite |x| of the input (0 for an input with none)."""
    x = case.x.astype(np.float64)
    finite = np.abs(x[np.isfinite(x)])
    return float(finite.max()) if finite.size else 0.0


def _decade(v: float) -> float:
    return 0.0 if v <= 0 else 10.0 ** math.floor(math.log10(v))


def _worse(a: float | None, b: float) -> float:
    if a is None or math.isnan(b):
        return b
    return a if math.isnan(a) else max(a, b)


def _series(points: Mapping[float, float]) -> list[list[float]]:
    return [[k, points[k]] for k in sorted(points)]


def figures(results: Sequence[Result], cases: Mapping[str, Case],
            families: Mapping[str, str], policy: Policy = DEFAULT) -> dict[str, Any]:
    """report.json's ``figures`` (see the module docstring); ``families`` maps each
    adapter to its family (reference, library, thread ...)."""
    length: dict[str, Any] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    scale: dict[str, Any] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    fam: dict[str, Any] = defaultdict(lambda: defaultdict(dict))
    mags: dict[str, float] = {}
    charted = sorted({a for a, f in families.items() if f in CHARTED})
    for r in results:
        case = cases.get(r.case)
        if (case is None or r.status != "ok" or r.max_cond_error is None or case.is_special
                or families.get(r.adapter) not in CHARTED):
            continue
        dtype = result_dtype(case.dtype)
        ratio = r.max_cond_error / policy.accuracy_bound(dtype, OPS[r.op].accuracy_factor)
        n = case.shape[case.axis] if case.x.ndim else 1
        if n >= LONG_ROW:
            line = length[r.op][dtype][r.adapter]
            line[n] = _worse(line.get(n), ratio)
        if r.case not in mags:
            mags[r.case] = _decade(magnitude(case))
        line = scale[r.op][dtype][r.adapter]
        line[mags[r.case]] = _worse(line.get(mags[r.case]), ratio)
        row = fam[r.op][r.adapter]
        row[case.family] = _worse(row.get(case.family), ratio)

    def nested(table: Mapping[str, Any]) -> dict[str, Any]:
        return {op: {dt: {a: _series(pts) for a, pts in sorted(by_a.items())}
                     for dt, by_a in by_dt.items()}
                for op, by_dt in table.items()}

    return {
        "adapters": charted,
        "long_row": LONG_ROW,
        "error_vs_length": nested(length),
        "error_vs_magnitude": nested(scale),
        "by_family": {op: {a: dict(sorted(row.items())) for a, row in sorted(by_a.items())}
                      for op, by_a in fam.items()},
    }
