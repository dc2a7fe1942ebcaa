"""The command line: one module per command, each adding its parser; ``main`` runs one."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from conformance.cli import (
    bench,
    bench_gate,
    bench_harness,
    bench_oracle,
    check,
    diff,
    env,
    hunt,
    listing,
    merge,
    report,
    run,
)
from conformance.cli.errors import UsageError

__all__ = ["main", "parser"]

COMMANDS = (run, check, hunt, diff, listing, report, bench, bench_oracle, bench_gate,
            bench_harness, merge, env)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (and exit 2, as argparse's are)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="conformance",
        description="Hold every softmax implementation to one contract and a correctly "
        "rounded reference.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           parser_class=_Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be told apart
    except BrokenPipeError:  # the reader went away (conformance list | head -1)
        _discard_stdout()
        return 141  # as a shell reports a process ended by SIGPIPE
    return code


def _main(argv: Sequence[str] | None) -> int:
    from conformance.record.files import BadFile

    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a malformed command line (2)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except (UsageError, BadFile) as exc:
        print(f"conformance {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 130


def _discard_stdout() -> None:
    """Point stdout at the null device, so that what is still buffered, flushed at exit,
    does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
