"""Builds report.json's content from a run. Every number a report shows is computed here."""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from adapters.base import DEFECTS
from cases.dtypes import FLOAT_DTYPES, result_dtype
from cases.model import Case
from conformance.contract.defects import Finding, detect
from conformance.contract.golden import GoldenOutcome
from conformance.contract.reproducer import reproducer
from conformance.execute.runner import RunOutcome
from conformance.measure.conventions import CONVENTION_KINDS
from conformance.measure.records import Result, to_jsonable
from conformance.ops import OPS
from conformance.record.environment import environment
from conformance.record.types import Report

__all__ = ["SCHEMA", "build_report"]

SCHEMA = "softmax-conformance/report/1"

# Which finding to show as an adapter's worst case, most severe first.
SEVERITY = [
    "overflow",
    "denominator-overflow",
    "underflow",
    "global-max",
    "wrong-shift",
    "nan-output",
    "nan-leak",
    "log-of-zero",
    "diagonal-only-jacobian",
    "wrong-jacobian",
    "wrong-axis",
    "raises",
    "shape-changed",
    "mutates-input",
    "inaccurate",
    "flush-to-zero",
    "dtype-changed",
]


def _max(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return max(vals) if vals else None


def _summary(
    name: str,
    results: list[Result],
    cases: dict[str, Case],
    findings: list[Finding],
    expected: tuple[str, ...],
    available: bool,
    version_notes: list[str],
) -> dict:
    per_op: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if r.status == "ok" and not cases[r.case].is_special:
            per_op[r.op][result_dtype(cases[r.case].dtype)].append(r)
    per_dtype = per_op.get("softmax", {})
    detected = sorted({f.defect for f in findings}, key=SEVERITY.index)
    families: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        families[f.defect].add(cases[f.case].family)
    families_run = {cases[r.case].family for r in results if r.status != "unsupported"}
    if not available:
        verdict = "unavailable"
    elif set(detected) == set(expected):
        verdict = "conforming" if not expected else "defects as expected"
    elif set(detected) - set(expected):
        verdict = "unexpected defects"
    else:
        verdict = "expected defects not seen"

    def example(f: Finding) -> dict[str, Any]:
        res = next((r for r in results if r.case == f.case and r.op == f.op),
                   next(r for r in results if r.case == f.case))
        return {"case": f.case, "op": f.op, "defect": f.defect, "detail": f.detail,
                "element": res.worst, "reproducer": reproducer(cases[f.case], name, f.op)}

    # one example per detected defect: its smallest case (the shortest reproducer)
    examples = [example(min((f for f in findings if f.defect == d),
                            key=lambda f: (cases[f.case].x.size, f.case)))
                for d in detected]
    worst = None
    if findings:
        top = min(findings, key=lambda f: SEVERITY.index(f.defect))
        worst = example(top)
    return {
        "adapter": name,
        "cases_run": sum(r.status != "unsupported" for r in results),
        "ok": sum(r.status == "ok" for r in results),
        "errors": sum(r.status in ("error", "crash", "timeout") for r in results),
        "unsupported": sum(r.status == "unsupported" for r in results),
        "nan_on_finite_input": sum(bool(r.nan_on_finite_input) for r in results),
        "input_mutated": sum(bool(r.input_mutated) for r in results),
        "warnings": sum(bool(r.warnings) for r in results),
        "per_dtype": {
            dt: {
                "cases": len(rs),
                "worst_row_sum_error": _max([r.row_sum_error for r in rs]),
                "worst_ulp_error": _max([r.max_ulp_error for r in rs]),
                "worst_cond_error": _max([r.max_cond_error for r in rs]),
                "seconds": sum(r.seconds or 0.0 for r in rs),
            }
            for dt, rs in sorted(per_dtype.items())
        },
        "per_op": {
            op: {
                dt: {
                    "cases": len(rs),
                    "worst_row_sum_error": _max([r.row_sum_error for r in rs]),
                    "worst_ulp_error": _max([r.max_ulp_error for r in rs]),
                    "worst_cond_error": _max([r.max_cond_error for r in rs]),
                }
                for dt, rs in sorted(by_dt.items())
            }
            for op, by_dt in sorted(per_op.items())
            if op != "softmax"
        },
        "expected": list(expected),
        # what the installed releases make of the adapter's release-dependent defects
        "version_notes": version_notes,
        "detected": detected,
        "verdict": verdict,
        # defect -> the case families it shows on ("every family" when all it ran)
        "families_broken": {
            d: ["every family"] if fams >= families_run and len(fams) > 1 else sorted(fams)
            for d, fams in sorted(families.items(), key=lambda kv: SEVERITY.index(kv[0]))
        },
        "worst_case": worst,
        "examples": examples,
    }


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


def _matrix(names: list[str], agree: dict, common: dict) -> dict[str, Any]:
    matrix = []
    for a in names:
        row = []
        for b in names:
            key = (a, b) if a < b else (b, a)
            n = common.get(key, 0)
            row.append(1.0 if a == b else (agree.get(key, 0) / n if n else None))
        matrix.append(row)
    return {"adapters": names, "matrix": matrix}


def build_report(
    outcome: RunOutcome, golden: Sequence[GoldenOutcome], config: dict[str, Any]
) -> Report:
    cases = {c.id: c for c in outcome.cases}
    findings = detect(outcome.cases, outcome.results)
    by_adapter: dict[str, list[Result]] = defaultdict(list)
    for r in outcome.results:
        by_adapter[r.adapter].append(r)
    # the softmax agreement matrix: the other ops have theirs in agreement_by_op
    names = [s.label for s in outcome.statuses if s.available and "softmax" in s.adapter.ops]
    agree0, common0 = outcome.agree.get("softmax", {}), outcome.common.get("softmax", {})
    matrix, common = [], []
    for a in names:
        row, crow = [], []
        for b in names:
            key = (a, b) if a < b else (b, a)
            n = common0.get(key, 0)
            crow.append(n if a != b else None)
            row.append(1.0 if a == b else (agree0.get(key, 0) / n if n else None))
        matrix.append(row)
        common.append(crow)
    others = {op: counts for op, counts in outcome.common.items() if op != "softmax"}
    backends = sorted({d for s in outcome.statuses for d in s.adapter.requires})
    report = {
        "schema": SCHEMA,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "environment": environment(backends),
        "defect_definitions": DEFECTS,
        # what the renderers print of each op, the dtypes in the order they list them and
        # the convention kinds: names the renderers take from here, not from the code
        "ops": {name: op.describe() for name, op in OPS.items() if name in config.get(
            "ops", OPS)},
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
            }
            for c in outcome.cases
        ],
        "case_families": _case_families(outcome.cases),
        "results": outcome.results,
        "agreement": {"adapters": names, "matrix": matrix, "common_cases": common},
        "agreement_by_op": {
            op: _matrix(sorted({n for pair in counts for n in pair}), outcome.agree.get(op, {}),
                        counts)
            for op, counts in sorted(others.items())
        },
        "conventions": {
            a: {kind: _convention(labels) for kind, labels in sorted(kinds.items())}
            for a, kinds in sorted(outcome.conventions.items())
        },
        "summaries": [
            _summary(
                s.label,
                by_adapter.get(s.label, []),
                cases,
                findings.get(s.label, []),
                s.adapter.expected_defects(s.versions),
                s.available,
                s.adapter.version_notes(s.versions),
            )
            for s in outcome.statuses
        ],
        "violations": [{"adapter": a, **vars(f)} for a, fs in sorted(findings.items()) for f in fs],
        "golden": list(golden),
        "timing": {**outcome.timing, "isolation": outcome.isolation},
        "interrupted": outcome.interrupted,
        # what `conformance run --resume` needs to go on from here
        "state": {
            "completed": outcome.completed,
            "agree": [[a, b, n] for (a, b), n in sorted(agree0.items())],
            "common": [[a, b, n] for (a, b), n in sorted(common0.items())],
            "conventions": {a: {k: sorted(v) for k, v in kinds.items()}
                            for a, kinds in outcome.conventions.items()},
            "op_agree": {o: [[a, b, n] for (a, b), n in sorted(c.items())]
                         for o, c in outcome.agree.items() if o != "softmax"},
            "op_common": {o: [[a, b, n] for (a, b), n in sorted(c.items())]
                          for o, c in others.items()},
        },
    }
    return cast(Report, to_jsonable(report))
