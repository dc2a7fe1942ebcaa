"""Reading a TOML file (pyproject.toml, an xfail table, the environment registry) with one
error that names the file: ValueError, never a traceback at the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["read_toml"]


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
