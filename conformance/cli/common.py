"""What several commands parse the same way: dtypes, ops, adapter patterns, environments,
sizes and the oracle's cache folder."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = [
    "bounded_int",
    "default_cache",
    "environments",
    "parse_device",
    "parse_dtypes",
    "parse_ops",
    "parse_size",
    "positive_seconds",
    "select_adapters",
    "select_targets",
]


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


def select_adapters(patterns: Sequence[str] | None) -> list[Any]:
    from adapters import select

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
        targets = [Target(a, None, device) for a in select_adapters(plain)] + targets
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
