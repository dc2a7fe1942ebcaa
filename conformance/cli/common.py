"""What several commands parse the same way: dtypes, ops, adapter patterns, environments,
sizes and the oracle's cache folder."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = [
    "AXIS_MODES",
    "DTYPES",
    "FRAMEWORKS",
    "LazyNames",
    "OPS",
    "bounded_int",
    "default_cache",
    "environments",
    "output_dir",
    "output_file",
    "parse_device",
    "parse_dtypes",
    "parse_ops",
    "parse_size",
    "positive_seconds",
    "select_adapters",
    "select_targets",
]


class LazyNames(Sequence[str]):
    """Names a module defines (the dtypes, the ops, the frameworks), imported when argparse
    first looks into them, checking a value or printing help (give the argument a metavar:
    argparse then does not list them while the parser is built). Building the command line
    imports no backend machinery, so that a command that only reads a file starts fast."""

    def __init__(self, load: Callable[[], Sequence[str]], *extra: str) -> None:
        self._load = load
        self._extra = extra

    @cached_property
    def _names(self) -> tuple[str, ...]:
        return (*self._load(), *self._extra)

    def __getitem__(self, index: Any) -> Any:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, value: object) -> bool:
        return value in self._names


def _dtypes() -> Sequence[str]:
    from cases.dtypes import FLOAT_DTYPES

    return FLOAT_DTYPES


def _ops() -> Sequence[str]:
    from conformance.ops import OP_NAMES

    return OP_NAMES


def _frameworks() -> Sequence[str]:
    from adapters.external import FRAMEWORKS

    return FRAMEWORKS


def _axis_modes() -> Sequence[str]:
    from adapters.base import AXIS_MODES

    return tuple(AXIS_MODES)


DTYPES = LazyNames(_dtypes)
OPS = LazyNames(_ops)
FRAMEWORKS = LazyNames(_frameworks)
AXIS_MODES = LazyNames(_axis_modes)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "softmax-conformance" / "oracle"


def _names(values: Sequence[str] | None) -> list[str]:
    return [v for item in values or [] for v in item.split(",") if v]


def parse_dtypes(values: Sequence[str] | None) -> tuple[str, ...]:
    from cases.dtypes import FLOAT_DTYPES

    if not values:
        return FLOAT_DTYPES
    names = _names(values)
    bad = [n for n in names if n not in FLOAT_DTYPES]
    if bad or not names:
        raise UsageError(f"--dtypes {','.join(bad) or repr('')}: unknown dtype; choose from "
                         f"{', '.join(FLOAT_DTYPES)}")
    return tuple(n for n in FLOAT_DTYPES if n in names)


def parse_ops(values: Sequence[str] | None) -> tuple[str, ...]:
    from conformance.ops import OP_NAMES

    if not values:
        return OP_NAMES
    names = _names(values)
    bad = [n for n in names if n not in OP_NAMES]
    if bad or not names:
        raise UsageError(f"--ops {','.join(bad) or repr('')}: unknown op; choose from "
                         f"{', '.join(OP_NAMES)}")
    return tuple(o for o in OP_NAMES if o in names)


def _no_pattern(patterns: Sequence[str] | None) -> None:
    if patterns is not None and not _names(patterns):
        raise UsageError(f"--adapters {' '.join(map(repr, patterns))}: no pattern; give "
                         "adapter name globs, e.g. 'numpy.*' torch.softmax (or leave "
                         "--adapters out for all)")


def select_adapters(patterns: Sequence[str] | None) -> list[Any]:
    from adapters import select

    _no_pattern(patterns)
    try:
        return select(_names(patterns))
    except KeyError as exc:
        raise UsageError(f"--adapters: {exc.args[0]}") from None


def parse_size(text: str) -> int:
    """Bytes from ``4G``, ``512M``, ``64K`` or a plain number, at least 64 MiB."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    try:
        scale = units.get(text[-1:].upper(), 1)
        value = float(text[:-1] if scale > 1 else text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 2**26 <= value * scale <= 2**50):
        raise UsageError(f"--memory-limit {text}: expected a size from 64M to 1024T, e.g. 4G "
                         "or 512M")
    return int(value * scale)


def bounded_int(low: int, high: int) -> Any:
    """An argparse type: an integer from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer from {low} to "
                                             f"{high}")
        return value

    return parse


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"{text!r}: expected seconds above 0 and at most "
                                         "86400, e.g. 60")
    return value


def _writable(folder: Path) -> str | None:
    """Why no file can be made in ``folder`` (or in the nearest folder of it that exists,
    where the missing ones would be made), or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    try:
        fd, tmp = tempfile.mkstemp(dir=existing, prefix=".conformance-probe.")
    except OSError as exc:
        return f"cannot write in {existing}: {exc.strerror or exc}"
    os.close(fd)
    os.unlink(tmp)
    return None


def output_file(text: str, flag: str) -> Path:
    """A file the command will write, refused before any work when no file can be written
    there (a directory of that name, a folder that cannot be made or written)."""
    path = Path(text)
    if text == "" or path.is_dir():
        raise UsageError(f"{flag} {text!r}: {'is a directory' if text else 'empty'}; "
                         "expected the path of a file to write")
    why = _writable(path.parent)
    if why:
        raise UsageError(f"{flag} {text}: cannot write a file there ({why}); expected the "
                         "path of a file in a folder that can be written")
    return path


def output_dir(text: str, flag: str) -> Path:
    """A folder the command will write into (and make if it is missing), refused before
    any work when it is a file or cannot be made or written."""
    path = Path(text)
    if text == "" or (path.exists() and not path.is_dir()):
        raise UsageError(f"{flag} {text!r}: {'is a file' if text else 'empty'}; expected a "
                         "directory to write into (made if missing)")
    why = _writable(path)
    if why:
        raise UsageError(f"{flag} {text}: cannot write there ({why}); expected a directory "
                         "that can be made or written")
    return path


def environments(args: argparse.Namespace) -> dict[str, str]:
    """Environment name -> interpreter, from pyproject's [tool.conformance.environments]
    and --env NAME=PYTHON (which wins)."""
    from conformance.execute.environments import load_environments

    try:
        envs = load_environments(Path(args.pyproject))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for item in args.env or []:
        name, sep, python = item.partition("=")
        if not sep or not name or not python:
            raise UsageError(f"--env {item}: expected NAME=/path/to/python")
        envs[name] = python
    for name, python in envs.items():
        if not Path(python).is_file():
            raise UsageError(f"environment {name}: no interpreter at {python}; "
                             f"create one with: conformance env create {name} --packages ...")
    return envs


def parse_device(text: str | None) -> str | None:
    """--device: cpu, cuda, cuda:N, mps or a backend's own name (None: each backend's
    default, and no device in the column names)."""
    from adapters.base import DEVICE

    if text is not None and not DEVICE.match(text):
        raise UsageError(f"--device {text}: expected a name like cpu, cuda, cuda:1 or mps")
    return text


def select_targets(patterns: Sequence[str] | None, envs: dict[str, str],
                   device: str | None = None) -> list[Any]:
    """The adapters to run, each in this environment or the one ``PATTERN@NAME`` names, on
    ``device``."""
    from conformance.execute.executors import Target

    _no_pattern(patterns)
    targets = []
    plain = []
    for pat in _names(patterns):
        pat, _, env = pat.partition("@")
        if env:
            if env not in envs:
                raise UsageError(f"--adapters {pat}@{env}: no environment named {env!r} "
                                 "(give --env NAME=PYTHON or [tool.conformance.environments])")
            targets += [Target(a, env, device) for a in select_adapters([pat])]
        else:
            plain.append(pat)
    if plain or not targets:
        targets = [Target(a, None, device) for a in select_adapters(plain or None)] + targets
    return targets


FAIL_ON = ("unexpected", "defects", "never")
FAIL_ON_HELP = ("exit 1 when an adapter shows a defect not declared for it (unexpected) or "
                "any defect (defects); never (default): exit 0 unless the harness failed "
                "(no adapter produced a result)")


def exit_status(report: Mapping[str, Any], fail_on: str) -> int:
    """A run's (or a joined run's) exit status: 1 when no adapter produced a result (the
    harness failed: never a success) or when what --fail-on names happened, else 0."""
    summaries = report["summaries"]
    if not any(s.get("ok") for s in summaries):
        reasons = sorted({f"{s['adapter']}: {s['plain']}" for s in summaries})[:3]
        print("conformance: no adapter produced a result"
              + (f" ({'; '.join(reasons)})" if reasons else ""), file=sys.stderr)
        return 1
    if fail_on == "unexpected" and report["verdict"]["status"] == "fail":
        return 1
    if fail_on == "defects" and any(s["detected"] for s in summaries):
        return 1
    return 0
