"""Regressions between two reports: new violations, fixed ones, accuracy that got worse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DiffResult", "diff_reports"]

NOISE_FLOOR = 0.5  # condition-aware errors below half an ulp are rounding noise


@dataclass
class DiffResult:
    new: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.new or self.regressions)


def _kind(report: dict[str, Any]) -> str:
    return str(report["schema"]).split("/")[1]


def _run_violations(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["adapter"], d) for s in report["summaries"] for d in s["detected"]}


def _check_failures(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (report["target"], f"{o['check']}[{o['dtype']}]")
        for o in report["outcomes"]
        if o["status"] in ("FAIL", "XPASS")
    }


def _accuracy(report: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(adapter, "op dtype") -> worst condition-aware error ("softmax float16")."""
    out = {}
    for s in report.get("summaries", []):
        for op, table in s.get("per_op", {}).items():
            for dtype, d in table.items():
                v = d.get("worst_cond_error")
                if isinstance(v, (int, float)):
                    out[s["adapter"], f"{op} {dtype}"] = float(v)
                elif v == "inf":
                    out[s["adapter"], f"{op} {dtype}"] = float("inf")
    return out


def diff_reports(old: dict[str, Any], new: dict[str, Any], *, factor: float = 2.0) -> DiffResult:
    """Compare two report.json (or two check JSON) files of the same kind."""
    if _kind(old) != _kind(new):
        raise ValueError(f"cannot compare a {_kind(old)} report with a {_kind(new)} report")
    if old["schema"] != new["schema"]:
        raise ValueError(f"schema versions differ: {old['schema']} vs {new['schema']}")
    result = DiffResult()
    pick = _run_violations if _kind(new) == "report" else _check_failures
    before, after = pick(old), pick(new)
    result.new = [f"{a}: {d}" for a, d in sorted(after - before)]
    result.fixed = [f"{a}: {d}" for a, d in sorted(before - after)]
    acc_old, acc_new = _accuracy(old), _accuracy(new)
    for key in sorted(acc_old.keys() & acc_new.keys()):
        o, n = acc_old[key], acc_new[key]
        if n > factor * max(o, NOISE_FLOOR):
            result.regressions.append(
                f"{key[0]} {key[1]}: worst condition-aware error {o:.3g} -> {n:.3g} "
                f"(more than {factor:g}x)"
            )
    gone = sorted({a for a, _ in acc_old} - {a for a, _ in acc_new})
    if gone:
        result.notes.append(f"adapters only in OLD: {', '.join(gone)}")
    return result
