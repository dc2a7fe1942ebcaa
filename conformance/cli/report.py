"""``conformance report FILE``: re-render a report.json as Markdown, HTML or JUnit XML,
with a bench JSON's speed when ``--bench`` names one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]

FORMATS = ("markdown", "html", "junit")


def _command(args: argparse.Namespace) -> int:
    from conformance.record.files import read_report
    from conformance.record.speed import with_speed
    from reports import render_html, render_markdown, render_run_junit, write_atomic

    try:
        report: Any = read_report(Path(args.file))
        if args.bench:
            report = with_speed(report, read_report(Path(args.bench), kinds=("bench",)))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    render = {"markdown": render_markdown, "html": render_html,
              "junit": render_run_junit}[args.format]
    text = render(report)
    if args.out:
        write_atomic(Path(args.out), text)
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
