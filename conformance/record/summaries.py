"""Per-adapter summaries of report.json: the verdict, the same statistics for every op and
dtype (worst errors, the condition-aware error relative to its bound, why), the verdict in
plain words, and the worst finding and one example per defect, each with a reproducer."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from cases.dtypes import result_dtype
from cases.model import Case
from conformance.contract.defects import Finding
from conformance.contract.reproducer import reproducer
from conformance.measure.bounds import DEFAULT, Policy
from conformance.measure.records import Result
from conformance.ops import OPS

__all__ = ["SEVERITY", "SHORT", "choices", "summary", "verdict_line"]

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

# Each defect in a few plain words (the summary's "in plain words" column).
SHORT = {
    "overflow": "overflows",
    "denominator-overflow": "the sum overflows",
    "underflow": "underflows",
    "global-max": "one max for all rows",
    "wrong-shift": "shifts by the min or mean, not the max",
    "nan-output": "NaN output",
    "nan-leak": "NaN spreads to other rows",
    "log-of-zero": "log of zero",
    "diagonal-only-jacobian": "diagonal-only gradient",
    "wrong-jacobian": "wrong gradient",
    "wrong-axis": "wrong axis",
    "raises": "raises",
    "shape-changed": "changes the shape",
    "mutates-input": "modifies its input",
    "inaccurate": "inaccurate",
    "flush-to-zero": "flushes subnormals to zero",
    "dtype-changed": "changes the dtype",
}


def _rank(defect: str) -> int:
    return SEVERITY.index(defect) if defect in SEVERITY else len(SEVERITY)


def _max(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    if any(isinstance(v, float) and math.isnan(v) for v in vals):
        return math.nan
    return max(vals) if vals else None


def _ratio(error: float | None, bound: float) -> float | None:
    if error is None:
        return None
    return error / bound if bound > 0 else math.inf


def _families(names: set[str]) -> str:
    shown = sorted(names)
    return ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")


def _cell(op: str, dtype: str, rs: list[Result], findings: list[Finding],
          cases: Mapping[str, Case], policy: Policy) -> dict[str, Any]:
    """One (op, dtype) of an adapter: its worst errors, the condition-aware error relative
    to the bound, which defects it shows there, and why, in words."""
    bound = policy.accuracy_bound(dtype, OPS[op].accuracy_factor)
    worst = _max([r.max_cond_error for r in rs])
    def key(r: Result) -> float:
        v = r.max_cond_error
        return math.inf if v is None or math.isnan(v) else v

    worst_result = max((r for r in rs if r.max_cond_error is not None), key=key, default=None)
    counts: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        counts[f.defect].add(f.case)
    ratio = _ratio(worst, bound)
    if counts:
        parts = []
        for d in sorted(counts, key=_rank):
            fams = {cases[c].family for c in counts[d]}
            parts.append(f"{d} on {len(counts[d])} case(s) ({_families(fams)})")
        reason = "; ".join(parts)
    elif worst is None:
        reason = "no case with a defined answer ran"
    else:
        where = f" on {cases[worst_result.case].family}" if worst_result else ""
        reason = f"within the bound: worst condition-aware error {worst:.3g} of {bound:g}{where}"
    return {
        "cases": len(rs),
        "worst_row_sum_error": _max([r.row_sum_error for r in rs]),
        "worst_ulp_error": _max([r.max_ulp_error for r in rs]),
        "worst_cond_error": worst,
        "bound": bound,
        "ratio": ratio,
        "worst_case": worst_result.case if worst_result else None,
        "findings": {d: len(cs) for d, cs in sorted(counts.items(), key=lambda kv: _rank(kv[0]))},
        "reason": reason,
        "seconds": sum(r.seconds or 0.0 for r in rs),
    }


def _plain(detected: list[str], findings: list[Finding], cases: Mapping[str, Case],
           dtypes_run: set[str], families_run: set[str], available: bool) -> str:
    """The verdict in a few words: "conforms", "bfloat16 long-row inaccurate", ..."""
    if not available:
        return "not available here"
    if not detected:
        return "conforms"
    words = []
    for d in detected[:2]:
        own = [f for f in findings if f.defect == d]
        dts = {result_dtype(cases[f.case].dtype) for f in own}
        fams = {cases[f.case].family for f in own}
        where = []
        if dts < dtypes_run or len(dtypes_run) == 1:
            where.append("/".join(sorted(dts)))
        if len(fams) <= 2 and not (fams >= families_run and len(fams) > 1):
            where.append(" and ".join(sorted(fams)))
        words.append(" ".join([*where, SHORT.get(d, d)]))
    more = f"; {len(detected) - 2} more" if len(detected) > 2 else ""
    return "; ".join(words) + more


def summary(
    name: str,
    results: list[Result],
    cases: Mapping[str, Case],
    findings: list[Finding],
    expected: tuple[str, ...],
    available: bool,
    version_notes: list[str],
    policy: Policy = DEFAULT,
) -> dict[str, Any]:
    """One adapter's summary (conformance.record.types.Summary)."""
    per: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if r.status == "ok" and not cases[r.case].is_special:
            per[r.op][result_dtype(cases[r.case].dtype)].append(r)
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_cell[f.op, result_dtype(cases[f.case].dtype)].append(f)
    detected = sorted({f.defect for f in findings}, key=_rank)
    families: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        families[f.defect].add(cases[f.case].family)
    ran = [r for r in results if r.status != "unsupported"]
    families_run = {cases[r.case].family for r in ran}
    dtypes_run = {result_dtype(cases[r.case].dtype) for r in ran}
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
        case = cases[f.case]
        return {"case": f.case, "op": f.op, "defect": f.defect, "detail": f.detail,
                "dtype": result_dtype(case.dtype), "family": case.family,
                "expected": f.defect in expected, "element": res.worst,
                "reproducer": reproducer(case, name, f.op)}

    # one example per detected defect: its smallest case (the shortest reproducer)
    examples = [example(min((f for f in findings if f.defect == d),
                            key=lambda f: (cases[f.case].x.size, f.case)))
                for d in detected]
    worst = example(min(findings, key=lambda f: _rank(f.defect))) if findings else None
    ops = sorted({*per, *(op for op, _ in by_cell)}, key=list(OPS).index)
    return {
        "adapter": name,
        "cases_run": len(ran),
        "ok": sum(r.status == "ok" for r in results),
        "errors": sum(r.status in ("error", "crash", "timeout") for r in results),
        "unsupported": sum(r.status == "unsupported" for r in results),
        "nan_on_finite_input": sum(bool(r.nan_on_finite_input) for r in results),
        "input_mutated": sum(bool(r.input_mutated) for r in results),
        "warnings": sum(bool(r.warnings) for r in results),
        "per_op": {
            op: {dt: _cell(op, dt, per[op].get(dt, []), by_cell.get((op, dt), []), cases,
                           policy)
                 for dt in sorted({*per[op], *(d for o, d in by_cell if o == op)})}
            for op in ops
        },
        "expected": list(expected),
        # what the installed releases make of the adapter's release-dependent defects
        "version_notes": version_notes,
        "detected": detected,
        "verdict": verdict,
        "plain": _plain(detected, findings, cases, dtypes_run, families_run, available),
        # defect -> the case families it shows on ("every family" when all it ran)
        "families_broken": {
            d: ["every family"] if fams >= families_run and len(fams) > 1 else sorted(fams)
            for d, fams in sorted(families.items(), key=lambda kv: _rank(kv[0]))
        },
        "worst_case": worst,
        "examples": examples,
    }


def verdict_line(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run's verdict in one line, and its counts. It fails on a defect not declared for
    the adapter; a declared defect the run did not show (its cases left out, as --quick
    and --shard do, or a release that fixed it) is said, not failed."""
    counts = Counter(s["verdict"] for s in summaries)
    ran = len(summaries) - counts["unavailable"]
    failed = counts["unexpected defects"]
    head = (f"FAIL: {failed} adapter(s) show defects not declared for them" if failed else
            "PASS: no adapter that ran shows a defect not declared for it")
    text = (f"{head} ({ran} of {len(summaries)} ran: {counts['conforming']} conform, "
            f"{counts['defects as expected']} show their declared defects, "
            f"{counts['unexpected defects']} show unexpected defects, "
            f"{counts['expected defects not seen']} did not show a declared defect here")
    if counts["unavailable"]:
        text += f"; {counts['unavailable']} unavailable"
    text += ")"
    return {"status": "fail" if failed else "pass", "text": text + ".", "counts": dict(counts)}


def choices(summaries: Sequence[Mapping[str, Any]], families: Mapping[str, str],
            shown: Sequence[str] = ("reference", "library", "external", "plugin")
            ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """op -> dtype -> the adapters (not the threads' variants) with no defect there and
    within the bound, best first, each with its worst error / bound: the answer to
    "which backend can I use for this op in this dtype"."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for s in summaries:
        if families.get(s["adapter"]) not in shown:
            continue
        for op, per in s.get("per_op", {}).items():
            for dtype, cell in per.items():
                ratio = cell.get("ratio")
                if cell.get("findings") or not isinstance(ratio, (int, float)) or ratio > 1:
                    continue
                out[op][dtype].append({"adapter": s["adapter"], "ratio": ratio})
    return {op: {dt: sorted(v, key=lambda c: (c["ratio"], c["adapter"]))
                 for dt, v in by_dt.items()} for op, by_dt in out.items()}
