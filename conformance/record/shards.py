"""Joining the shards of one run (``conformance run --shard I/N`` on N machines) back into
the report the whole run would have written: the same cases, results, agreement,
conventions, summaries and verdict (timings aside: they are summed over the shards).

Each shard's folder holds its journal (conformance.record.journal): every case it finished,
with its results, agreement pairs, conventions and kept outputs. The join rebuilds the
run's case list from the shards' common settings (cases.run_cases), checks that the
journals hold every case exactly once, and counts the records as the runner counts its own
(conformance.execute.runner.run with every case already done), so nothing is measured
twice and nothing is recomputed differently. The adapters' availability and versions come
from the shards' report.json files, which must agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["is_shard_report", "join_shards"]


def is_shard_report(report: Mapping[str, Any]) -> bool:
    config = report.get("config")
    return isinstance(config, Mapping) and bool(config.get("shard"))


def _settings(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "shard"}


def join_shards(folders: Sequence[Path], reports: Sequence[Mapping[str, Any]]
                ) -> tuple[dict[str, Any], Any]:
    """(the joined report, its RunOutcome); ValueError naming what does not fit: a shard
    missing or twice, different settings, an interrupted shard, a journal without every
    case of its shard."""
    from adapters.registry import get, split_label
    from cases.run_cases import run_cases
    from cases.shard import parse_shard
    from conformance.contract.golden import check_golden
    from conformance.execute.executors import AdapterStatus
    from conformance.execute.runner import run
    from conformance.oracle import Oracle
    from conformance.record.journal import JOURNAL, read_journal
    from conformance.record.model import build_report

    parts: dict[int, Path] = {}
    counts = set()
    first = reports[0]["config"]
    for folder, report in zip(folders, reports, strict=True):
        config = report["config"]
        i, n = parse_shard(str(config["shard"]))
        counts.add(n)
        if _settings(config) != _settings(first):
            raise ValueError(f"{folder}: a shard of a run with other settings than "
                             f"{folders[0]}'s; only shards of one run join")
        if report.get("interrupted"):
            raise ValueError(f"{folder}: shard {i}/{n} was interrupted; finish it with "
                             f"conformance run --resume {folder}")
        if i in parts:
            raise ValueError(f"shard {i}/{n} twice: {parts[i]} and {folder}")
        parts[i] = folder
    if len(counts) > 1:
        raise ValueError(f"shards of different splits ({sorted(counts)} parts)")
    n = counts.pop()
    missing = sorted(set(range(1, n + 1)) - set(parts))
    if missing:
        raise ValueError(f"shard(s) {', '.join(f'{i}/{n}' for i in missing)} missing: a "
                         "join needs every part")
    records = []
    for i in sorted(parts):
        state = read_journal(parts[i])
        if state is None or state.dropped:
            raise ValueError(f"{parts[i]}: its {JOURNAL} is missing or damaged"
                             + (f" ({state.problem})" if state and state.problem else "")
                             + f"; run shard {i}/{n} again")
        records += state.records
    config = {**_settings(first), "shard": None, "shards": n}
    cases = run_cases(dtypes=first["dtypes"], quick=first["quick"], seed=first["seed"],
                      examples=first["examples"], golden=first["golden"])
    have = [r.case for r in records]
    if sorted(have) != sorted(c.id for c in cases):
        lost = len({c.id for c in cases} - set(have))
        raise ValueError(f"the shards' journals hold {len(set(have))} of the run's "
                         f"{len(cases)} cases ({lost} missing, {len(have) - len(set(have))} "
                         "twice)")
    position = {c.id: k for k, c in enumerate(cases)}  # the whole run's order
    records.sort(key=lambda r: position[r.case])
    outcome = run([], cases, oracle=Oracle(cache_dir=None), ops=first["ops"], resume=records)
    outcome.statuses = [_status(a, get, split_label, AdapterStatus)
                        for a in reports[0]["adapters"]]
    outcome.isolation = str(first.get("isolation") or "none")
    timing: dict[str, float] = {}
    for report in reports:
        for key, value in report.get("timing", {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                timing[key] = timing.get(key, 0.0) + float(value)
    outcome.timing = timing
    softmax = {(r.adapter, r.case): r for r in outcome.results if r.op == "softmax"}
    golden = check_golden(outcome.cases, lambda a, c: softmax.get((a, c)),
                          lambda a, c: outcome.outputs.get(a, {}).get(c))
    return dict(build_report(outcome, golden, config)), outcome


def _status(entry: Mapping[str, Any], get: Any, split_label: Any, status_type: Any) -> Any:
    """An adapter's status as a shard's report states it."""
    name = str(entry["name"])
    try:
        adapter = get(split_label(name)[0])
    except KeyError:
        raise ValueError(f"adapter {name} of the shards is not installed here; join the "
                         "shards where softmax-conformance has it") from None
    return status_type(adapter=adapter, loaded=None, reason=entry.get("reason"),
                       versions=dict(entry.get("versions") or {}), import_seconds=0.0,
                       name=name, env=entry.get("environment"),
                       available_in_worker=bool(entry.get("available")),
                       environment=dict(entry.get("interpreter") or {}))
