"""``conformance list``: adapters, availability, declared defects and versions."""

from __future__ import annotations

import argparse
from typing import Any

from conformance.cli.common import select_adapters

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from adapters import all_adapters
    from conformance.execute.executors import load_adapters

    # every adapter, the opt-in ones (outside the default run) marked
    statuses = load_adapters(select_adapters(args.adapters) if args.adapters else all_adapters())
    width = max(len(s.adapter.name) for s in statuses)
    print(f"{'adapter':<{width}}  {'state':<22} {'family':<9} {'ops':<26} {'axis':<19} "
          f"{'expected defects':<28} versions")
    for s in statuses:
        a = s.adapter
        state = ("available" if s.available else "unavailable") + ("" if a.default
                                                                   else " (opt-in)")
        versions = ", ".join(f"{k} {v}" for k, v in s.versions.items())
        expected = ", ".join(a.expected_defects(s.versions)) or "conforming"
        print(
            f"{a.name:<{width}}  {state:<22} {a.family:<9} {','.join(a.ops):<26} "
            f"{a.capabilities.axis:<19} {expected:<28} {versions}"
        )
        if not s.available:
            print(f"{'':<{width}}  reason: {s.reason}")
    return 0


def add_parser(sub: Any) -> None:
    lst = sub.add_parser("list", help="adapters, availability and versions")
    lst.add_argument("--adapters", nargs="+", metavar="PATTERN")
    lst.set_defaults(func=_command)
