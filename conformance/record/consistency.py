"""What a report's JSON Schema does not say and its readers rely on, checked after the
schema (conformance.record.files.read_report):

- nesting: no value nested deeper than MAX_DEPTH (the readers and writers recurse);
- the tables (``results``, ``violations``): the columns a run writes, each row no longer
  than the columns, a categorical value an index into its column's categories, every
  other value a number, string, boolean or null;
- ``agreement``: each matrix square, one row and column per adapter it names;
- names: the adapters of the summaries and tables are the report's adapters, the cases
  of the tables its cases;
- an interrupted run (what ``run --resume`` goes on from): its ``state``.

Each problem is a SchemaError naming the JSON path, as the schema's are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.record.columns import (
    RESULT_CATEGORICAL,
    RESULT_COLUMNS,
    VIOLATION_CATEGORICAL,
    VIOLATION_COLUMNS,
)
from conformance.record.jsonschema import SchemaError

__all__ = ["MAX_DEPTH", "check_consistency"]

MAX_DEPTH = 64  # a report nests about 8 deep; Python's recursion limit is 1000
_TABLES = {"results": (RESULT_COLUMNS, RESULT_CATEGORICAL),
           "violations": (VIOLATION_COLUMNS, VIOLATION_CATEGORICAL)}
_SCALARS = (str, int, float, bool, type(None))


def check_consistency(data: Mapping[str, Any], kind: str) -> None:
    """Raise SchemaError where a file of ``kind`` (report, check, bench) that matches its
    schema is still not one its readers can use."""
    skip = {id(data[t]["rows"]) for t in _TABLES if kind == "report" and t in data}
    _check_depth(data, skip)
    if kind != "report":
        return
    for name, (columns, categorical) in _TABLES.items():
        if name in data:
            _check_table(data[name], columns, categorical, f"$.{name}")
    for op, table in data.get("agreement", {}).items():
        _check_matrix(table, f"$.agreement.{op}")
    _check_names(data)
    if data.get("interrupted"):
        _check_state(data)


def _check_depth(data: Any, skip: set[int]) -> None:
    stack: list[tuple[Any, int, str]] = [(data, 0, "$")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaError(f"{path}: nested more than {MAX_DEPTH} deep; a report nests "
                              "about 8 deep")
        if id(value) in skip:
            continue  # the tables' rows: checked value by value below
        if isinstance(value, dict):
            items: Any = ((f".{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            items = ((f"[{i}]", v) for i, v in enumerate(value))
        else:
            continue
        for step, v in items:
            if isinstance(v, (dict, list)):
                # the first few levels name the place; deeper ones would make a long line
                child = (path + step if len(path) <= 60 else
                         path if path.endswith("...") else path + "...")
                stack.append((v, depth + 1, child))


def _check_table(table: Mapping[str, Any], columns: Sequence[str], categorical: Sequence[str],
                 where: str) -> None:
    have = list(table["columns"])
    missing = [c for c in columns if c not in have]
    extra = [c for c in have if c not in columns or have.count(c) > 1]
    if missing or extra:
        raise SchemaError(f"{where}.columns: " + "; ".join(
            [f"missing {', '.join(missing)}"] * bool(missing)
            + [f"unexpected or repeated {', '.join(map(str, extra))}"] * bool(extra))
            + f"; expected the columns {', '.join(columns)}")
    cats = table.get("categories", {})
    for col in categorical:
        values = cats.get(col)
        if values is None:
            raise SchemaError(f"{where}.categories: missing {col!r} (the values its rows "
                              "index)")
        bad = next((i for i, v in enumerate(values) if not isinstance(v, _SCALARS)), None)
        if bad is not None:
            raise SchemaError(f"{where}.categories.{col}[{bad}]: expected a number, string, "
                              "boolean or null")
    for col, value in table.get("defaults", {}).items():
        if not isinstance(value, _SCALARS) and not (
                isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)):
            raise SchemaError(f"{where}.defaults.{col}: expected a value or a list of values")
    limits = [len(cats[c]) if c in categorical else None for c in have]
    for i, row in enumerate(table["rows"]):
        if len(row) > len(have):
            raise SchemaError(f"{where}.rows[{i}]: {len(row)} values for {len(have)} columns")
        for col, limit, value in zip(have, limits, row, strict=False):
            if limit is None:
                ok = isinstance(value, _SCALARS)
            elif isinstance(value, list):
                ok = all(_index(v, limit) for v in value)
            else:
                ok = value is None or _index(value, limit)
            if not ok:
                expected = ("a number, string, boolean or null" if limit is None else
                            f"null or an index into categories.{col} ({limit} values), or a "
                            "list of such indices")
                raise SchemaError(f"{where}.rows[{i}] column {col}: {str(value)[:40]}; "
                                  f"expected {expected}")


def _index(value: Any, limit: int) -> bool:
    return type(value) is int and 0 <= value < limit


def _check_matrix(table: Mapping[str, Any], where: str) -> None:
    n = len(table["adapters"])
    for key in ("matrix", "common_cases"):
        rows = table.get(key)
        if rows is None:
            continue
        if len(rows) != n or any(len(r) != n for r in rows):
            raise SchemaError(f"{where}.{key}: expected {n} rows of {n} (one per adapter "
                              f"in {where}.adapters), got rows of {[len(r) for r in rows]}"[:200])


def _check_names(data: Mapping[str, Any]) -> None:
    adapters = {a["name"] for a in data.get("adapters", [])}
    cases = {c["id"] for c in data.get("cases", [])}
    for i, s in enumerate(data.get("summaries", [])):
        if s["adapter"] not in adapters:
            raise SchemaError(f"$.summaries[{i}].adapter: {s['adapter']!r} is not one of the "
                              "report's adapters ($.adapters[].name)")
    for name in _TABLES:
        cats = data.get(name, {}).get("categories", {})
        for col, known, what in (("adapter", adapters, "adapters ($.adapters[].name)"),
                                 ("case", cases, "cases ($.cases[].id)")):
            unknown = [v for v in cats.get(col, []) if v not in known]
            if unknown:
                raise SchemaError(f"$.{name}.categories.{col}: {str(unknown[0])[:60]!r} is "
                                  f"not one of the report's {what}")


def _check_state(data: Mapping[str, Any]) -> None:
    state = data.get("state")
    if state is None:
        raise SchemaError("$: interrupted, but no 'state' to resume from")
    for key in ("completed", "agree", "common", "conventions"):
        if key not in state:
            raise SchemaError(f"$.state: missing {key!r}")
    for key in ("agree", "common"):
        for op, rows in state[key].items():
            for i, row in enumerate(rows):
                a, b, n = row
                if not (isinstance(a, str) and isinstance(b, str) and type(n) is int):
                    raise SchemaError(f"$.state.{key}.{op}[{i}]: expected [adapter, adapter, "
                                      "count]")
    for adapter, kinds in state["conventions"].items():
        if not isinstance(kinds, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v)
                for v in kinds.values()):
            raise SchemaError(f"$.state.conventions.{adapter}: expected kind -> [labels]")
