"""``conformance merge A.json B.json ... --out DIR``: one report from several machines or
environments.

Every input report's adapters become columns named ``adapter@label``. A label is
``--label`` (one per input, in order) or, by default, the name of the directory that
holds the input's report.json (``cpu-box/report.json`` -> ``cpu-box``); where those
names repeat or are not usable, the input's machine (``environment.machine``) and the
first six hex digits of the file's SHA-256 (``x86_64-3fa2c1``). Every result, adapter
and summary keeps the label, the machine (platform) and the environment it ran in.

Cases are matched by id; a case present in only some reports is kept with ``only_in``
naming them (and a note). The agreement matrix of an op whose outputs a run keeps (the
ops whose output is a distribution) is recomputed across all columns from each input's
outputs.npz with the rule of a run (conformance.execute.runner.agrees), so it covers the
cases whose outputs a run keeps (at most runner.KEEP_OUTPUTS elements); the other ops'
matrices are carried over within each report. Results (and their details in
outputs.npz), summaries, figures, violations and conventions are carried over per
column. Reports of different schema versions are not merged (exit 2).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MergeError", "Source", "default_labels", "load_sources", "merge_files",
           "merge_reports", "merge_sources", "report_path"]

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class MergeError(ValueError):
    """The inputs cannot be merged (schema versions, labels, conflicting cases): exit 2."""


@dataclass(frozen=True)
class Source:
    """One input: its report, its outputs (adapter -> case id -> output), its results'
    details (outputs.npz's ``__`` entries) and its label."""

    path: Path
    label: str
    report: dict[str, Any]
    outputs: dict[str, dict[str, np.ndarray]]
    has_outputs: bool = True
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def report_path(path: Path) -> Path:
    return path / "report.json" if path.is_dir() else path


def _machine(report: dict[str, Any]) -> str:
    env = report.get("environment", {})
    return str(env.get("machine") or env.get("platform") or "machine")


def default_labels(paths: Sequence[Path], reports: Sequence[dict[str, Any]]) -> list[str]:
    """The parent directory's name of each report.json; machine + short hash of the file
    where those repeat or are not a usable label; a counter on what still repeats."""
    parents = [report_path(p).resolve().parent.name for p in paths]
    labels = []
    for path, report, parent in zip(paths, reports, parents, strict=True):
        if _LABEL.match(parent) and parents.count(parent) == 1:
            labels.append(parent)
            continue
        digest = hashlib.sha256(report_path(path).read_bytes()).hexdigest()[:6]
        machine = re.sub(r"[^A-Za-z0-9_.+-]+", "-", _machine(report)).strip("-") or "machine"
        labels.append(f"{machine}-{digest}")
    seen: dict[str, int] = defaultdict(int)
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if labels.count(label) == 1 else f"{label}-{seen[label]}")
    return out


def _check_labels(labels: Sequence[str], n: int) -> None:
    if len(labels) != n:
        raise MergeError(f"--label: {len(labels)} label(s) for {n} report(s); give one per "
                         "report, in order, or none")
    for label in labels:
        if not _LABEL.match(label):
            raise MergeError(f"--label {label!r}: use letters, digits, '_', '-', '.' and '+' "
                             "(it becomes the suffix of the column names adapter@label)")
    repeated = sorted({lb for lb in labels if labels.count(lb) > 1})
    if repeated:
        raise MergeError(f"--label {', '.join(repeated)}: each report needs its own label")


def load_sources(paths: Sequence[Path], labels: Sequence[str] | None = None) -> list[Source]:
    """Read every report (a report.json or the directory holding it) and its outputs.npz.
    MergeError for unreadable reports, conflicting schema versions or bad labels."""
    from conformance.record.files import OtherVersion, read_report, schema_of
    from conformance.record.outputs import load_arrays, load_outputs

    current = schema_of("report")["properties"]["schema"]["const"]

    if len(paths) < 1:
        raise MergeError("name at least one report.json to merge")
    reports: list[dict[str, Any]] = []
    versions: list[str] = []
    for path in paths:
        try:
            reports.append(read_report(report_path(Path(path))))
            versions.append(current)
        except OtherVersion as exc:
            versions.append(exc.schema)
        except ValueError as exc:
            raise MergeError(str(exc)) from None
    schemas = set(versions)
    if len(schemas) > 1:
        each = ", ".join(f"{report_path(Path(p))} has {v}"
                         for p, v in zip(paths, versions, strict=True))
        raise MergeError(f"schema versions differ ({each}): reports of different schema "
                         "versions cannot be merged; re-run the older ones with one version "
                         "of softmax-conformance")
    if schemas != {current}:
        raise MergeError(f"the reports have schema {schemas.pop()}; this softmax-conformance "
                         f"reads and writes {current}: merge them with the version that "
                         "wrote them")
    labels = list(labels) if labels else default_labels([Path(p) for p in paths], reports)
    _check_labels(labels, len(paths))
    sources = []
    for path, report, label in zip(paths, reports, labels, strict=True):
        npz = report_path(Path(path)).parent / "outputs.npz"
        sources.append(Source(Path(path), label, report, load_outputs(npz), npz.is_file(),
                              load_arrays(npz)))
    return sources


# -- merging ---------------------------------------------------------------------------------


def _column(name: str, label: str) -> str:
    return f"{name}@{label}"


def _machine_of(report: dict[str, Any]) -> dict[str, Any]:
    env = report.get("environment", {})
    return {k: env.get(k) for k in ("platform", "machine", "python", "cpu_count")}


def _cases(sources: Sequence[Source], notes: list[str]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    where: dict[str, list[str]] = defaultdict(list)
    for src in sources:
        for case in src.report["cases"]:
            first = merged.get(case["id"])
            if first is None:
                merged[case["id"]] = dict(case)
            elif any(first[k] != case[k] for k in ("dtype", "shape", "axis")):
                raise MergeError(
                    f"case {case['id']}: {where[case['id']][0]} has dtype {first['dtype']} "
                    f"shape {first['shape']} axis {first['axis']}, {src.label} has "
                    f"{case['dtype']} {case['shape']} axis {case['axis']}: the same id names "
                    "two different inputs, so these reports cannot be matched by case")
            where[case["id"]].append(src.label)
    labels = [s.label for s in sources]
    partial = 0
    for cid, case in merged.items():
        if len(where[cid]) < len(labels):
            case["only_in"] = where[cid]
            partial += 1
    if partial:
        counts = ", ".join(f"{lb} {sum(lb in c.get('only_in', labels) for c in merged.values())}"
                           for lb in labels)
        notes.append(f"{partial} of {len(merged)} cases are not in every report (cases per "
                     f"report: {counts}); they are kept, with only_in naming the reports")
    return list(merged.values())


def _environment(sources: Sequence[Source]) -> dict[str, Any]:
    def joined(key: str) -> str:
        values = [str(s.report["environment"].get(key)) for s in sources]
        if len(set(values)) == 1:
            return values[0]
        return ", ".join(f"{v} ({s.label})" for v, s in zip(values, sources, strict=True))

    names = dict.fromkeys(n for s in sources for n in s.report["environment"]["versions"])
    versions = {}
    for name in names:
        values = [s.report["environment"]["versions"].get(name, "not recorded")
                  for s in sources]
        versions[name] = values[0] if len(set(values)) == 1 else " / ".join(
            f"{v} ({s.label})" for v, s in zip(values, sources, strict=True))
    return {
        "python": joined("python"),
        "implementation": joined("implementation"),
        "platform": "merged from " + ", ".join(
            f"{s.label} ({s.report['environment'].get('platform')})" for s in sources),
        "machine": joined("machine"),
        "cpu_count": None,
        "versions": versions,
    }


def _agreement(
    columns: list[tuple[str, str, str]],  # (column, label, adapter name in its report)
    sources: dict[str, Source],
    dtypes: dict[str, str],
    rule: str = "relative",
) -> tuple[dict[str, Any], dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """One op's agreement matrix over all columns from the kept outputs, by the rule of a
    run (``rule``: the op record's agreement rule)."""
    from cases.dtypes import result_dtype
    from conformance.execute.case_run import KEEP_OUTPUTS
    from conformance.measure.agreement import agrees

    per_case: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for col, label, name in columns:
        for cid, y in sources[label].outputs.get(name, {}).items():
            if cid in dtypes:
                per_case[cid][col] = y
    agree: dict[tuple[str, str], int] = defaultdict(int)
    common: dict[tuple[str, str], int] = defaultdict(int)
    for cid, outs in per_case.items():
        dtype = result_dtype(dtypes[cid])
        # identical outputs always agree; compare each distinct pair of outputs once
        keys = {col: (y.shape, y.tobytes()) for col, y in outs.items()}
        verdicts: dict[tuple[Any, Any], bool] = {}
        names = sorted(outs)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if outs[a].shape != outs[b].shape:
                    continue
                common[a, b] += 1
                ka, kb = keys[a], keys[b]
                if ka == kb:
                    agree[a, b] += 1
                    continue
                pair = (ka, kb) if ka < kb else (kb, ka)
                if pair not in verdicts:
                    verdicts[pair] = agrees(outs[a], outs[b], dtype, rule)
                agree[a, b] += verdicts[pair]
    names = [c for c, _, _ in columns]
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
    table = {"adapters": names, "matrix": matrix, "common_cases": counts,
             "basis": f"recomputed by conformance merge from the outputs each run keeps "
             f"(cases of at most {KEEP_OUTPUTS} elements): {len(per_case)} of "
             f"{len(dtypes)} cases"}
    return table, dict(agree), dict(common)


def _case_families(cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many cases each (origin, family) has, and in which dtypes (as a run counts)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in cases:
        groups[c["origin"], c["family"]].append(c)
    return [{"origin": origin, "family": family, "cases": len(cs),
             "dtypes": sorted({c["dtype"] for c in cs})}
            for (origin, family), cs in sorted(groups.items())]


def _carried(op: str, sources: Sequence[Source]) -> dict[str, Any]:
    """An op's agreement whose outputs a run does not keep: each report's pairs carried
    over, pairs across reports unknown (None)."""
    values: dict[tuple[str, str, str], Any] = {}
    names: list[str] = []
    for src in sources:
        table = src.report.get("agreement", {}).get(op)
        if not table:
            continue
        cols = [_column(n, src.label) for n in table["adapters"]]
        names += cols
        for key in ("matrix", "common_cases"):
            for a, row in zip(cols, table.get(key) or [], strict=False):
                for b, v in zip(cols, row, strict=False):
                    values[key, a, b] = v
    return {"adapters": names,
            "matrix": [[1.0 if a == b else values.get(("matrix", a, b)) for b in names]
                       for a in names],
            "common_cases": [[values.get(("common_cases", a, b)) for b in names]
                             for a in names]}


def _figures(sources: Sequence[Source]) -> dict[str, Any]:
    """Each report's chart data with its adapters renamed to their columns."""
    out: dict[str, Any] = {"adapters": [], "error_vs_length": {}, "error_vs_magnitude": {},
                           "by_family": {}}
    for src in sources:
        figs = src.report.get("figures", {})
        out["long_row"] = figs.get("long_row", out.get("long_row"))
        out["adapters"] += [_column(a, src.label) for a in figs.get("adapters", [])]
        for key in ("error_vs_length", "error_vs_magnitude"):
            for op, by_dt in figs.get(key, {}).items():
                for dt, by_a in by_dt.items():
                    into = out[key].setdefault(op, {}).setdefault(dt, {})
                    into.update({_column(a, src.label): pts for a, pts in by_a.items()})
        for op, by_a in figs.get("by_family", {}).items():
            out["by_family"].setdefault(op, {}).update(
                {_column(a, src.label): row for a, row in by_a.items()})
    return out


def _results(sources: Sequence[Source]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every report's results table and details, adapters renamed to their columns."""
    from conformance.record.results import (
        decode_details,
        decode_results,
        encode_details,
        rename,
        results_table,
    )

    records: list[dict[str, Any]] = []
    for src in sources:
        names = {a["name"]: _column(a["name"], src.label) for a in src.report["adapters"]}
        own = decode_results(src.report["results"])
        details = decode_details(src.arrays, report_path(src.path).parent / "outputs.npz")
        for rec in own:
            rec.update(details.get(f"{rec['adapter']}|{rec['case']}|{rec['op']}", {}))
        records += rename(own, names)
    return results_table(records), encode_details(records)


def merge_reports(sources: Sequence[Source]) -> tuple[dict[str, Any],
                                                      dict[str, dict[str, np.ndarray]],
                                                      dict[str, np.ndarray]]:
    """The merged report, its outputs (column -> case id -> output) and its results'
    details (outputs.npz's ``__`` entries)."""
    from conformance.measure.records import to_jsonable
    from conformance.ops import OPS
    from conformance.record.model import SCHEMA, violations_table
    from conformance.record.summaries import choices, verdict_line
    from conformance.record.table import decode_table

    labels = [s.label for s in sources]
    notes: list[str] = []
    cases = _cases(sources, notes)
    dtypes = {c["id"]: c["dtype"] for c in cases}
    by_label = {s.label: s for s in sources}
    first = sources[0].report
    ops: dict[str, Any] = {}
    for src in sources:
        ops.update({k: v for k, v in src.report.get("ops", {}).items() if k not in ops})
    adapters, summaries, violations, golden = [], [], [], []
    conventions: dict[str, Any] = {}
    columns: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # op -> columns
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for src in sources:
        rep, label = src.report, src.label
        machine = _machine_of(rep)
        for a in rep["adapters"]:
            col = _column(a["name"], label)
            adapters.append({**a, "name": col, "adapter": a["name"], "report": label,
                             "machine": machine})
            if not a["available"]:
                continue
            for op in a.get("ops", []):
                columns[op].append((col, label, a["name"]))
            if a["name"] in src.outputs:
                outputs[col] = src.outputs[a["name"]]
        for s in rep["summaries"]:
            summaries.append({**s, "adapter": _column(s["adapter"], label), "report": label})
        violations += [{**v, "adapter": _column(v["adapter"], label)}
                       for v in decode_table(rep["violations"])]
        for g in rep.get("golden", []):
            golden.append({**g, "adapter": _column(g["adapter"], label), "report": label})
        for name, kinds in rep.get("conventions", {}).items():
            conventions[_column(name, label)] = kinds
        if not src.has_outputs:
            notes.append(f"{label}: no outputs.npz beside {src.path}, so its columns have no "
                         "agreement with any other")
        if rep.get("interrupted"):
            notes.append(f"{label}: that run was interrupted; its finished results are here")
    agreement: dict[str, Any] = {}
    agree: dict[str, Any] = {}
    common: dict[str, Any] = {}
    carried = []
    for op, info in ops.items():
        if "distribution" in info.get("traits", []):  # a run keeps these outputs
            rule = OPS[op].agreement if op in OPS else "relative"
            agreement[op], agree[op], common[op] = _agreement(columns[op], by_label, dtypes,
                                                              rule)
        else:
            agreement[op] = _carried(op, sources)
            carried.append(op)
    if len(sources) > 1 and carried:
        notes.append(f"agreement of {', '.join(carried)}: within each report only (a run "
                     "keeps the outputs of the ops whose output is a distribution alone, so "
                     "pairs across reports are unknown)")
    results, details = _results(sources)
    timing: dict[str, Any] = defaultdict(float)
    for src in sources:
        for key, value in src.report.get("timing", {}).items():
            if isinstance(value, (int, float)):
                timing[key] += value
    timing["isolation"] = " / ".join(dict.fromkeys(
        str(s.report.get("timing", {}).get("isolation", "none")) for s in sources))
    report = {
        "schema": SCHEMA,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": {"merged": True, "labels": labels,
                   "inputs": [str(report_path(s.path)) for s in sources]},
        "environment": _environment(sources),
        "verdict": verdict_line(summaries),
        "merged_from": [
            {"label": s.label, "path": str(report_path(s.path)),
             "generated": s.report.get("generated"), "environment": s.report["environment"],
             "config": s.report.get("config"), "timing": s.report.get("timing"),
             "interrupted": bool(s.report.get("interrupted")), "outputs": s.has_outputs,
             "cases": len(s.report["cases"])}
            for s in sources
        ],
        "notes": notes,
        "defect_definitions": first.get("defect_definitions", {}),
        "cause_definitions": first.get("cause_definitions", {}),
        "terms": first.get("terms", {}),
        "ops": ops,
        "dtype_order": first.get("dtype_order", []),
        "convention_kinds": first.get("convention_kinds", []),
        "adapters": adapters,
        "cases": cases,
        "case_families": _case_families(cases),
        "results": results,
        "agreement": agreement,
        "conventions": conventions,
        "summaries": summaries,
        "choices": choices(summaries, {a["name"]: a.get("family", "") for a in adapters}),
        "figures": _figures(sources),
        "violations": violations_table(violations),
        "golden": golden,
        "timing": dict(timing),  # summed over the inputs
        "interrupted": False,
    }
    return to_jsonable(report), outputs, details


def merge_files(paths: Sequence[Path], out: Path, labels: Sequence[str] | None = None
                ) -> dict[str, Any]:
    """Merge the reports at paths into out/report.json, report.md, report.html and
    outputs.npz."""
    return merge_sources(load_sources(paths, labels), out)


def merge_sources(sources: Sequence[Source], out: Path) -> dict[str, Any]:
    """Merge read reports into out/ (as merge_files)."""
    from conformance.record.outputs import save_outputs
    from reports import render_html, render_markdown, write_atomic, write_json

    report, outputs, details = merge_reports(sources)
    write_json(report, out / "report.json")
    save_outputs(outputs, out / "outputs.npz", details)
    write_atomic(out / "report.md", render_markdown(report))
    write_atomic(out / "report.html", render_html(report))
    return report
