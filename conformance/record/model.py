"""Builds report.json's content from a run. Every number a report shows is computed here."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from adapters.base import DEFECTS
from cases.dtypes import FLOAT_DTYPES
from cases.model import Case
from conformance.contract.defects import detect
from conformance.contract.diagnosis import CAUSES
from conformance.contract.golden import GoldenOutcome
from conformance.execute.runner import RunOutcome
from conformance.measure.conventions import CONVENTION_KINDS
from conformance.measure.records import Result, to_jsonable
from conformance.ops import OPS
from conformance.record.columns import VIOLATION_CATEGORICAL, VIOLATION_COLUMNS
from conformance.record.environment import environment
from conformance.record.figures import figures
from conformance.record.results import result_records, results_table
from conformance.record.summaries import choices, summary, verdict_line
from conformance.record.table import encode_table
from conformance.record.types import Report

__all__ = ["SCHEMA", "TERMS", "build_report", "cause_definitions", "violations_table"]

SCHEMA = "softmax-conformance/report/2"

# The words the reports use, defined once (the renderers print them as the glossary).
TERMS = {
    "condition-aware error": "the error in units of the output dtype's epsilon, divided by "
    "the condition bound 1 + |x_i| + Σ s_j |x_j| (absolute for log_softmax and the loss, "
    "in units of the gradient's scale for softmax_vjp): a backward-stable implementation "
    "scores O(1) whatever the input's magnitude",
    "bound": "the largest condition-aware error the default policy accepts (4 in every "
    "dtype; softmax_vjp 4 times that); the reports show errors as a multiple of it, so 1 "
    "is the bound",
    "ULP error": "|y - ref| in units in the last place of the correctly rounded reference. "
    "Not shown in the tables: near zero an ulp is tiny (down to the smallest subnormal), "
    "so a conforming library's negligible absolute error can count 10^15 ulp",
    "row check": "how far a row is from summing to one (softmax), from Σ exp(y) = 1 "
    "(log_softmax) or from Σ dx = 0 (the gradient), in epsilons",
    "convention": "what an implementation returns where there is no single right answer "
    "(a fully masked row, +inf, NaN, empty or integer input): recorded side by side, not "
    "judged",
    "agreement": "the share of the cases two adapters both ran on which their outputs "
    "agree within 8 epsilon (relative for softmax, absolute for the log ops, of the row's "
    "scale for the gradient)",
    "ratio to copy": "the best time of a call divided by the best time of np.copyto of the "
    "same bytes on the same machine in the same run: the memory-bound floor is 1",
}


def cause_definitions() -> dict[str, str]:
    """Each cause code of a failing check (contract.diagnosis.CAUSES) in one line."""
    return {code: cause for code, (cause, _fix) in sorted(CAUSES.items())}


def violations_table(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every finding as a row of a compact table (conformance.record.table)."""
    return encode_table(records, VIOLATION_COLUMNS, categorical=VIOLATION_CATEGORICAL)


def _described(adapter: Any) -> dict[str, Any]:
    """The adapter as it describes itself, "any float dtype" spelt out."""
    out = adapter.describe()
    if out["capabilities"]["dtypes"] is None:
        out["capabilities"]["dtypes"] = sorted(FLOAT_DTYPES)
    return out


def _case_families(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """How many cases each (origin, family) has, and in which dtypes."""
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.origin, c.family].append(c)
    return [
        {"origin": origin, "family": family, "cases": len(cs),
         "dtypes": sorted({c.dtype for c in cs})}
        for (origin, family), cs in sorted(groups.items())
    ]


def _convention(labels: set[str]) -> str:
    """The behaviours seen, joined; "unsupported" only when the adapter ran on none of
    the cases (some cases of a kind can be outside its capabilities, others not)."""
    seen = labels - {"unsupported"} or labels
    return " / ".join(sorted(seen))


def _matrix(names: list[str], agree: Mapping[tuple[str, str], int],
            common: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    """The share of common cases on which each pair agrees, and how many cases that is."""
    matrix, counts = [], []
    for a in names:
        row, crow = [], []
        for b in names:
            key = (a, b) if a < b else (b, a)
            n = common.get(key, 0)
            crow.append(n if a != b else None)
            row.append(1.0 if a == b else (agree.get(key, 0) / n if n else None))
        matrix.append(row)
        counts.append(crow)
    return {"adapters": names, "matrix": matrix, "common_cases": counts}


def build_report(
    outcome: RunOutcome, golden: Sequence[GoldenOutcome], config: dict[str, Any]
) -> Report:
    cases = {c.id: c for c in outcome.cases}
    findings = detect(outcome.cases, outcome.results)
    by_adapter: dict[str, list[Result]] = defaultdict(list)
    for r in outcome.results:
        by_adapter[r.adapter].append(r)
    ops = [name for name in OPS if name in config.get("ops", OPS)]
    backends = sorted({d for s in outcome.statuses for d in s.adapter.requires})
    summaries = [
        summary(s.label, by_adapter.get(s.label, []), cases, findings.get(s.label, []),
                s.adapter.expected_defects(s.versions), s.available,
                s.adapter.version_notes(s.versions))
        for s in outcome.statuses
    ]
    report = {
        "schema": SCHEMA,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "environment": environment(backends),
        "verdict": verdict_line(summaries),
        "defect_definitions": DEFECTS,
        "cause_definitions": cause_definitions(),
        "terms": TERMS,
        # what the renderers print of each op, the dtypes in the order they list them and
        # the convention kinds: names the renderers take from here, not from the code
        "ops": {name: OPS[name].describe() for name in ops},
        "dtype_order": list(FLOAT_DTYPES),
        "convention_kinds": list(CONVENTION_KINDS),
        "adapters": [
            {
                **_described(s.adapter),
                "name": s.label,
                "environment": s.env,
                "interpreter": s.environment or None,
                "available": s.available,
                "reason": s.reason,
                "versions": s.versions,
            }
            for s in outcome.statuses
        ],
        "cases": [
            {
                "id": c.id,
                "family": c.family,
                "tags": list(c.all_tags),
                "dtype": c.dtype,
                "shape": list(c.shape),
                "axis": c.axis,
                "origin": c.origin,
                "note": c.note,
                **({"only": list(c.only)} if c.only else {}),
            }
            for c in outcome.cases
        ],
        "case_families": _case_families(outcome.cases),
        "results": results_table(result_records(outcome.results)),
        # per op: the adapters that provide it and ran, each pair's agreement
        "agreement": {
            op: _matrix([s.label for s in outcome.statuses
                         if s.available and op in s.adapter.ops],
                        outcome.agree.get(op, {}), outcome.common.get(op, {}))
            for op in ops
        },
        "conventions": {
            a: {kind: _convention(labels) for kind, labels in sorted(kinds.items())}
            for a, kinds in sorted(outcome.conventions.items())
        },
        "summaries": summaries,
        # op -> dtype -> the libraries that conform there, best first
        "choices": choices(summaries, {s.label: s.adapter.family for s in outcome.statuses}),
        "figures": figures(outcome.results, cases,
                           {s.label: s.adapter.family for s in outcome.statuses}),
        "violations": violations_table([{"adapter": a, **vars(f)}
                                        for a, fs in sorted(findings.items()) for f in fs]),
        "golden": list(golden),
        "timing": {**outcome.timing, "isolation": outcome.isolation},
        "interrupted": outcome.interrupted,
    }
    return cast(Report, to_jsonable(report))
