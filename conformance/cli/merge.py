"""``conformance merge A B ...``: one report from several machines, environments or shards."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.record.merge import MergeError, merge_files

    out = Path(args.out)
    try:
        report = merge_files([Path(p) for p in args.reports], out, args.label)
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    for src in report["merged_from"]:
        n = sum(a["report"] == src["label"] for a in report["adapters"])
        print(f"{src['label']}: {src['path']} ({src['environment'].get('platform')}, "
              f"{n} adapters, {src['cases']} cases)")
    print(f"{len(report['adapters'])} columns, {len(report['cases'])} cases, "
          f"{len(report['results']['rows'])} results")
    for op, table in report["agreement"].items():
        if table.get("basis"):
            print(f"agreement of {op}: {table['basis']}")
    for note in report["notes"]:
        print(f"note: {note}")
    print(f"wrote {out / 'report.json'}, {out / 'report.md'}, {out / 'report.html'} and "
          f"{out / 'outputs.npz'}")
    return 0


def add_parser(sub: Any) -> None:
    """Register ``conformance merge``."""
    p = sub.add_parser("merge", help="one report from several machines or environments",
                       description="Merge report.json files (from other machines or "
                       "environments) into one report whose columns are adapter@label, with "
                       "the agreement matrix recomputed across all of them.")
    p.add_argument("reports", nargs="+", metavar="REPORT",
                   help="report.json files, or the directories holding them (outputs.npz "
                   "beside each is read for the agreement matrix)")
    p.add_argument("--out", required=True, help="directory for the merged report.json, "
                   "report.md and outputs.npz")
    p.add_argument("--label", nargs="+", metavar="NAME",
                   help="one label per report, in order (default: the name of the directory "
                   "holding each report.json; machine and a short hash where those repeat)")
    p.set_defaults(func=_command)
