"""A compact table: many records of the same fields as rows of values instead of objects.

report.json holds tens of thousands of results; as objects their field names alone would
be most of the file. A table is ``{"columns": [...], "categories": {column: [values]},
"booleans": [...], "rows": [[...], ...]}``: a categorical column (adapter names, case ids,
statuses, error texts; in a list-valued column, each element) stores an index into its
list of distinct values, a boolean column 1 or 0, and a row stops at its last value that
differs from the column's default (missing trailing values are defaults).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["decode_table", "encode_table"]


def encode_table(records: Iterable[Mapping[str, Any]], columns: Sequence[str], *,
                 categorical: Iterable[str] = (), booleans: Iterable[str] = (),
                 defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The records as a table (see the module docstring). A value of a categorical column
    that is None stays None; every other is replaced by its index (a list's elements,
    each). A boolean column's True and False become 1 and 0."""
    defaults = dict(defaults or {})
    cats = [c for c in columns if c in set(categorical)]
    bools = [c for c in columns if c in set(booleans)]
    index: dict[str, dict[Any, int]] = {c: {} for c in cats}
    rows = []
    for rec in records:
        row = []
        for col in columns:
            value = rec.get(col, defaults.get(col))
            if col in index and isinstance(value, list):
                value = [index[col].setdefault(v, len(index[col])) for v in value]
            elif col in index and value is not None:
                value = index[col].setdefault(value, len(index[col]))
            elif col in bools and isinstance(value, bool):
                value = int(value)
            row.append(value)
        while row and row[-1] == _encoded_default(columns[len(row) - 1], defaults, index):
            row.pop()
        rows.append(row)
    return {"columns": list(columns),
            "categories": {c: list(values) for c, values in index.items()},
            "booleans": bools,
            "defaults": {c: defaults.get(c) for c in columns if defaults.get(c) is not None},
            "rows": rows}


def _encoded_default(col: str, defaults: Mapping[str, Any],
                     index: Mapping[str, Mapping[Any, int]]) -> Any:
    value = defaults.get(col)
    if col in index and isinstance(value, list):
        return [] if not value else object()
    if col in index and value is not None:
        return index[col].get(value, object())  # not yet seen: nothing to trim
    return value


def decode_table(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a table, each with every column."""
    columns = list(table["columns"])
    cats = table.get("categories", {})
    bools = set(table.get("booleans", []))
    defaults = table.get("defaults", {})
    out = []
    for row in table["rows"]:
        rec: dict[str, Any] = {}
        for i, col in enumerate(columns):
            if i < len(row):
                value = row[i]
                if col in cats and isinstance(value, list):
                    value = [cats[col][v] for v in value]
                elif col in cats and value is not None:
                    value = cats[col][value]
                elif col in bools and value is not None:
                    value = bool(value)
            else:
                value = defaults.get(col)
            rec[col] = value
        out.append(rec)
    return out
