"""Reading a report back: JSON, then its schema (report.schema.json, check.schema.json).

Anything that reads a report.json, a check JSON or a bench JSON (``report``, ``diff``,
``merge``, ``run --resume``, ``hunt --out``, ``report --bench``) goes through
``read_report``: a file that is not JSON, too deeply nested, of another kind or version,
missing or mistyping a field, or inconsistent where its schema cannot say so
(conformance.record.consistency) is refused with one BadFile (a ValueError) naming the
file, the place and what was expected; the command line turns a BadFile raised anywhere
into exit 2 and that line.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from conformance.record.consistency import check_consistency
from conformance.record.jsonschema import SchemaError, validate

__all__ = ["BadFile", "OtherVersion", "read_report", "schema_of"]

_HERE = Path(__file__).resolve().parent
_SCHEMAS = {"report": "report.schema.json", "check": "check.schema.json",
            "bench": "bench.schema.json"}


class BadFile(ValueError):
    """A file a command reads is not what it should be; the message names the file, what is
    wrong and what is expected. The command line turns it into exit 2 wherever it
    surfaces."""


class OtherVersion(BadFile):
    """A report of a schema version this softmax-conformance does not read."""

    def __init__(self, path: Path, schema: str, expected: str) -> None:
        older = _version(schema) < _version(expected)
        super().__init__(
            f"{path}: schema {schema}, written by {'an older' if older else 'a newer'} "
            f"softmax-conformance; this one reads {expected} only: "
            + ("re-run the command that wrote it (conformance run, check or bench) with this "
               "version, or read it with the version that wrote it" if older else
               "upgrade softmax-conformance to read it"))
        self.schema = schema


def _version(schema: str) -> int:
    tail = str(schema).rpartition("/")[2]
    return int(tail) if tail.isdigit() else 0


@cache
def schema_of(kind: str) -> dict[str, Any]:
    """The JSON Schema of a kind of file (``report`` or ``check``)."""
    return json.loads((_HERE / _SCHEMAS[kind]).read_text(encoding="utf-8"))


def read_report(path: Path, kinds: tuple[str, ...] = ("report",)) -> dict[str, Any]:
    """Load a report of one of ``kinds`` (schema softmax-conformance/<kind>/N), checked
    against its JSON Schema; ValueError naming the file if it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadFile(f"{path}: cannot read a report: {exc.strerror or exc}") from None
    except RecursionError:
        raise BadFile(f"{path}: cannot read a report: JSON nested too deeply") from None
    except ValueError as exc:  # not UTF-8, not JSON, an integer of thousands of digits
        raise BadFile(f"{path}: cannot read a report: not JSON ({exc})") from None
    schema = data.get("schema", "") if isinstance(data, dict) else ""
    kind = next((k for k in kinds if str(schema).startswith(f"softmax-conformance/{k}/")), None)
    if kind is None:
        raise BadFile(f"{path}: not a softmax-conformance {' or '.join(kinds)} file "
                         f"(schema={schema!r})")
    expected = schema_of(kind)["properties"]["schema"]["const"]
    if schema != expected:
        raise OtherVersion(path, str(schema), expected)
    try:
        validate(data, schema_of(kind))
        check_consistency(data, kind)
    except SchemaError as exc:
        raise BadFile(f"{path}: not a valid {kind} file: {exc}") from None
    except RecursionError:
        raise BadFile(f"{path}: not a valid {kind} file: nested too deeply") from None
    return data  # type: ignore[no-any-return]
