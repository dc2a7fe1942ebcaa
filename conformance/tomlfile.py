"""Reading a TOML file (pyproject.toml, an xfail table, the environment registry) with one
error that names the file: ValueError, never a traceback at the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["read_toml", "table_at"]


def read_toml(path: Path, what: str = "TOML") -> dict[str, Any]:
    """The parsed file; ValueError naming ``path``, what it was read for and what is wrong."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read it as {what}: {exc}") from None


def table_at(data: dict[str, Any], path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    """``data[keys[0]][keys[1]]...``: {} where a key is missing; ValueError naming ``path``
    and the table when a value on the way is not a table."""
    table: Any = data
    for i, key in enumerate(keys):
        table = table.get(key, {})
        if not isinstance(table, dict):
            name = ".".join(keys[: i + 1])
            raise ValueError(f"{path}: [{name}] is {type(table).__name__} {table!r:.40}; "
                             "expected a table")
    return dict(table)
