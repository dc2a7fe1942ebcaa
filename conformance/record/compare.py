"""Are two reports the same record? Everything but timings, versions, paths and order.

``conformance diff OLD NEW --exact`` uses it: a refactoring, a resumed run or the merge of
a run's shards must give the report the whole run gives. Lists of records are compared as
sets keyed by what identifies each (adapters by name, results by adapter, case and op ...),
tables (results, violations) decoded into such records first, agreement matrices as maps
of pairs; keys present in only NEW are listed as added, never as differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.record.table import decode_table

__all__ = ["IGNORED", "compare_reports"]

# What legitimately differs between two runs of the same thing.
IGNORED = frozenset({"generated", "timing", "environment", "merged_from", "notes", "speed"})
_VOLATILE = frozenset({"seconds", "microseconds", "versions", "interpreter", "environment",
                       "generated", "timing", "path", "inputs", "environments"})

_KEYS: Mapping[str, Callable[[dict[str, Any]], Any]] = {
    "adapters": lambda a: a["name"],
    "cases": lambda c: c["id"],
    "results": lambda r: (r["adapter"], r["case"], r["op"]),
    "summaries": lambda s: s["adapter"],
    "violations": lambda v: (v["adapter"], v.get("op"), v["case"], v["defect"], v["detail"]),
    "golden": lambda g: (g["case"], g["adapter"]),
    "case_families": lambda f: (f["origin"], f["family"]),
    "counterexamples": lambda c: (c["adapter"], c["check"]),
}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _matrix(table: Mapping[str, Any]) -> dict[Any, Any]:
    names = table.get("adapters", [])
    out: dict[Any, Any] = {}
    for key in ("matrix", "common_cases"):
        for a, row in zip(names, table.get(key) or [], strict=False):
            for b, v in zip(names, row, strict=False):
                out[key, a, b] = v
    return out


def _normal(key: str, value: Any) -> Any:
    """The value in a form where order does not matter."""
    if key in _KEYS and isinstance(value, dict) and "rows" in value:
        value = decode_table(value)
    if key in _KEYS and isinstance(value, list):
        return {_KEYS[key](item): _scrub(item) for item in value}
    if key == "agreement" and isinstance(value, dict):
        return {op: _matrix(t) for op, t in value.items()}
    if key == "state" and isinstance(value, dict):
        return {k: sorted(map(str, v)) if isinstance(v, list) else _scrub(v)
                for k, v in value.items()}
    return _scrub(value)


def _differences(path: str, a: Any, b: Any, out: list[str], added: set[str],
                 limit: int) -> None:
    """Append the differences of ``b`` from ``a``; a field only ``b`` has (a record that
    gained a field) goes to ``added``, a record only one side has is a difference."""
    if len(out) >= limit or a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        fields = all(isinstance(k, str) for k in (*a, *b)) and bool(set(a) & set(b))
        for k in sorted(set(a) | set(b), key=repr):
            if k not in b:
                out.append(f"{path}[{k!r}]: only in OLD")
            elif k not in a:
                if fields:
                    added.add(str(k))
                else:
                    out.append(f"{path}[{k!r}]: only in NEW")
            else:
                _differences(f"{path}[{k!r}]", a[k], b[k], out, added, limit)
            if len(out) >= limit:
                return
        return
    out.append(f"{path}: {a!r:.120} -> {b!r:.120}")


def compare_reports(old: Mapping[str, Any], new: Mapping[str, Any], *, limit: int = 50
                    ) -> tuple[list[str], list[str]]:
    """(differences, fields only NEW has). No differences: the same record."""
    diffs: list[str] = []
    added = set(new) - set(old) - IGNORED
    for key in sorted(set(old) - IGNORED):
        if key not in new:
            diffs.append(f"{key}: only in OLD")
            continue
        _differences(key, _normal(key, old[key]), _normal(key, new[key]), diffs, added, limit)
    return diffs, sorted(added)
