"""report.json: the canonical record. Written atomically, read back with a schema check."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_PREFIX", "read_json", "write_atomic", "write_json"]

SCHEMA_PREFIX = "softmax-conformance/report/"


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


def write_json(report: dict[str, Any], path: Path) -> None:
    write_atomic(path, json.dumps(report, indent=1, allow_nan=False) + "\n")


def read_json(path: Path, kinds: tuple[str, ...] = ("report",)) -> dict[str, Any]:
    """Load a report (schema softmax-conformance/<kind>/N); ValueError naming the file if not."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read a report: {exc}") from exc
    schema = data.get("schema", "") if isinstance(data, dict) else ""
    if not any(str(schema).startswith(f"softmax-conformance/{k}/") for k in kinds):
        raise ValueError(f"{path}: not a softmax-conformance report (schema={schema!r})")
    return data
