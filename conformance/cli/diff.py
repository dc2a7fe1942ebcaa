"""``conformance diff OLD NEW``: regressions between two reports; exit 1 on one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.record.compare import compare_reports
    from conformance.record.diff import diff_reports
    from conformance.record.files import read_report

    if not args.factor > 0 or args.factor == float("inf"):
        raise UsageError(f"--factor {args.factor:g}: expected a finite number above 0")
    try:
        old = read_report(Path(args.old), kinds=("report", "check"))
        new = read_report(Path(args.new), kinds=("report", "check"))
        if args.exact:
            differences, added = compare_reports(old, new)
        else:
            result = diff_reports(old, new, factor=args.factor)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.exact:
        for line in differences:
            print(line)
        if added:
            print(f"only NEW has: {', '.join(added)} (not a difference)")
        shown = " (the first 50)" if len(differences) >= 50 else ""
        print(f"{len(differences)} difference(s){shown}" if differences else "the same record")
        return 1 if differences else 0
    for title, items in (
        ("new violations", result.new),
        ("fixed", result.fixed),
        ("accuracy regressions", result.regressions),
        ("notes", result.notes),
    ):
        print(f"{title}: {len(items) if items else 'none'}")
        for item in items:
            print(f"  {item}")
    return 1 if result.regressed else 0


def add_parser(sub: Any) -> None:
    dif = sub.add_parser("diff", help="regressions between two report.json files: exit 1 on a "
                         "new violation or an accuracy regression")
    dif.add_argument("old")
    dif.add_argument("new")
    dif.add_argument("--factor", type=float, default=2.0,
                     help="an accuracy regression is a worst error more than this factor "
                     "worse (default: %(default)s)")
    dif.add_argument("--exact", action="store_true",
                     help="instead: are the two reports the same record (everything but "
                     "timings, versions, paths and order)? exit 1 on any difference")
    dif.set_defaults(func=_command)
