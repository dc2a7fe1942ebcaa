"""``conformance report FILE``: re-render a report.json as Markdown, HTML or JUnit XML,
with a bench JSON's speed when ``--bench`` names one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from conformance.cli.common import output_file
from conformance.cli.errors import UsageError

__all__ = ["add_parser"]

FORMATS = ("markdown", "html", "junit")


def _command(args: argparse.Namespace) -> int:
    from conformance.record.files import read_report
    from reports import render_html, render_markdown, render_run_junit, write_atomic

    out = output_file(args.out, "--out") if args.out is not None else None
    try:
        report: Any = read_report(Path(args.file))
        if args.bench:
            bench = read_report(Path(args.bench), kinds=("bench",))
            from conformance.record.speed import with_speed  # imports the bench's shapes

            report = with_speed(report, bench)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    render = {"markdown": render_markdown, "html": render_html,
              "junit": render_run_junit}[args.format]
    text = render(report)
    if out is not None:
        try:
            write_atomic(out, text)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write it: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return 0


def add_parser(sub: Any) -> None:
    rep = sub.add_parser("report", help="re-render a report.json as Markdown, HTML or JUnit")
    rep.add_argument("file", help="a report.json")
    rep.add_argument("--format", choices=FORMATS, default="markdown",
                     help="markdown (report.md), html (report.html: self-contained, with "
                     "charts) or junit (one test case per adapter, op and dtype) "
                     "(default: %(default)s)")
    rep.add_argument("--bench", metavar="BENCH_JSON",
                     help="put the speed measured by `conformance bench --out` in the report")
    rep.add_argument("--out", help="write here instead of standard output")
    rep.set_defaults(func=_command)
