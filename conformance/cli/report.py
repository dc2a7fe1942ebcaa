"""``conformance report FILE``: re-render a report.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.record.files import read_report
    from reports import render_markdown, write_atomic

    try:
        report = read_report(Path(args.file))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    text = render_markdown(report)
    if args.out:
        write_atomic(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


def add_parser(sub: Any) -> None:
    rep = sub.add_parser("report", help="re-render a report.json as Markdown")
    rep.add_argument("file", help="a report.json")
    rep.add_argument("--format", choices=["markdown"], default="markdown")
    rep.add_argument("--out", help="write here instead of standard output")
    rep.set_defaults(func=_command)
