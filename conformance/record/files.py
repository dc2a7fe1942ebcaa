"""Reading a report back: JSON, then its schema (report.schema.json, check.schema.json).

Anything that reads a report.json or a check JSON (``report``, ``diff``, ``merge``,
``run --resume``, ``hunt --out``) goes through ``read_report``: a file that is not
JSON, too deeply nested, of another kind or version, or missing or mistyping a field
is refused with one ValueError naming the file, the place and what was expected.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from conformance.record.jsonschema import SchemaError, validate

__all__ = ["OtherVersion", "read_report", "schema_of"]

_HERE = Path(__file__).resolve().parent
_SCHEMAS = {"report": "report.schema.json", "check": "check.schema.json"}


class OtherVersion(ValueError):
    """A report of a schema version this softmax-conformance does not read."""

    def __init__(self, path: Path, schema: str, expected: str) -> None:
        super().__init__(f"{path}: schema {schema}; this softmax-conformance reads {expected}: "
                         "read it with the version that wrote it")
        self.schema = schema


@cache
def schema_of(kind: str) -> dict[str, Any]:
    """The JSON Schema of a kind of file (``report`` or ``check``)."""
    return json.loads((_HERE / _SCHEMAS[kind]).read_text(encoding="utf-8"))


def read_report(path: Path, kinds: tuple[str, ...] = ("report",)) -> dict[str, Any]:
    """Load a report of one of ``kinds`` (schema softmax-conformance/<kind>/N), checked
    against its JSON Schema; ValueError naming the file if it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read a report: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path}: cannot read a report: JSON nested too deeply") from None
    schema = data.get("schema", "") if isinstance(data, dict) else ""
    kind = next((k for k in kinds if str(schema).startswith(f"softmax-conformance/{k}/")), None)
    if kind is None:
        raise ValueError(f"{path}: not a softmax-conformance {' or '.join(kinds)} file "
                         f"(schema={schema!r})")
    expected = schema_of(kind)["properties"]["schema"]["const"]
    if schema != expected:
        raise OtherVersion(path, str(schema), expected)
    try:
        validate(data, schema_of(kind))
    except SchemaError as exc:
        raise ValueError(f"{path}: not a valid {kind} file: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path}: not a valid {kind} file: nested too deeply") from None
    return data  # type: ignore[no-any-return]
