"""``conformance merge A B ...``: one report from several machines, environments or shards."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli.common import FAIL_ON, FAIL_ON_HELP, exit_status, output_dir
from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.record.merge import MergeError, load_sources, merge_sources
    from conformance.record.shards import is_shard_report

    out = output_dir(args.out, "--out")
    try:
        sources = load_sources([Path(p) for p in args.reports], args.label)
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    shards = [is_shard_report(s.report) for s in sources]
    if any(shards):
        if not all(shards):
            plain = [str(s.path) for s, sh in zip(sources, shards, strict=True) if not sh]
            raise UsageError(f"{', '.join(plain)}: not a shard, while the others are: "
                             "join the shards of one run, then merge that with other runs")
        return _join(sources, out, args.fail_on)
    try:
        report = merge_sources(sources, out)
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # --out was writable a moment ago
        raise UsageError(f"--out {out}: cannot write the merged report: "
                         f"{exc.strerror or exc}") from None
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
    return exit_status(report, args.fail_on)


def _join(sources: Any, out: Path, fail_on: str) -> int:
    """The shards of one run, joined into the report the whole run would have written."""
    from conformance.cli.run import write_run
    from conformance.record.merge import report_path
    from conformance.record.shards import join_shards

    folders = [report_path(s.path).parent for s in sources]
    try:
        report, outcome = join_shards(folders, [s.report for s in sources])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    write_run(report, outcome, out)
    print(f"joined {report['config']['shards']} shards: {len(report['cases'])} cases, "
          f"{len(report['results']['rows'])} results")
    print(report["verdict"]["text"])
    print(f"wrote {out / 'report.json'}, {out / 'report.md'}, {out / 'report.html'} and "
          f"{out / 'outputs.npz'}")
    return exit_status(report, fail_on)


def add_parser(sub: Any) -> None:
    """Register ``conformance merge``."""
    p = sub.add_parser("merge", help="one report from several machines or environments, or "
                       "the shards of one run",
                       description="Merge report.json files (from other machines or "
                       "environments) into one report whose columns are adapter@label, with "
                       "the agreement matrix recomputed across all of them. The folders of "
                       "the shards of one run (run --shard I/N) join instead into the report "
                       "the whole run would have written.")
    p.add_argument("reports", nargs="+", metavar="REPORT",
                   help="report.json files, or the directories holding them (outputs.npz "
                   "beside each is read for the agreement matrix)")
    p.add_argument("--out", required=True, help="directory for the merged report.json, "
                   "report.md and outputs.npz")
    p.add_argument("--label", nargs="+", metavar="NAME",
                   help="one label per report, in order (default: the name of the directory "
                   "holding each report.json; machine and a short hash where those repeat)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="never", help=FAIL_ON_HELP)
    p.set_defaults(func=_command)
