"""report.json: the canonical record, written atomically (conformance.record.files reads it
back, checked against its schema)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["dumps", "write_atomic", "write_json"]


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is for others to read
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _flat(value: Any) -> bool:
    """A value written on one line: a scalar, or a list with no object inside."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(_flat(v) for v in value)
    return True


def dumps(value: Any, indent: int = 0) -> str:
    """JSON with objects indented one space per level, a list of rows (lists) one row per
    line and any other list free of objects on one line: a table of 30,000 rows stays
    30,000 lines, not a million."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and all(isinstance(v, list) and _flat(v)
                                                 for v in value):
        rows = [inner + json.dumps(v, separators=(",", ":"), allow_nan=False) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
    if _flat(value):
        return json.dumps(value, separators=(", ", ": "), allow_nan=False)
    items = [inner + dumps(v, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def write_json(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(path, dumps(report) + "\n")
