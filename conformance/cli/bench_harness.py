"""``conformance bench-harness``: the harness's own speed and memory as ratios to what it
cannot avoid (imports, time inside adapters, the oracle), measured side by side; exit 0
when every goal holds (conformance.execute.harness_bench)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from conformance.cli.common import bounded_int, output_file

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.cli.errors import UsageError
    from conformance.execute.harness_bench import measure
    from reports import write_json

    out = output_file(args.json, "--json") if args.json is not None else None
    bench = measure(full=not args.no_full, warm=not args.cold, repeat=args.repeat,
                    report=lambda line: print(line, file=sys.stderr))
    print("\n".join(bench.lines()))
    if out is not None:
        try:
            write_json({"figures": [vars(f) | {"met": f.met} for f in bench.figures],
                        "raw": bench.raw}, out)
        except OSError as exc:  # the folder was writable before the measurement
            raise UsageError(f"--json {out}: cannot write it: {exc.strerror or exc}") from None
    return 0 if bench.met else 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench-harness", help="the harness's speed and memory as ratios to "
                       "imports, adapters and oracle; exit 1 if a goal is missed",
                       description="Measures, side by side: run --quick against importing "
                       "its backends (goal <= 2x), the default run's wall against imports + "
                       "adapters + oracle (<= 1.2x), the peak memory of its process tree "
                       "(<= 2 GiB), and a gate of a NumPy softmax (<= 3 s plus a worker "
                       "start). Takes minutes: it runs the default run.")
    p.add_argument("--no-full", action="store_true",
                   help="leave out the default run (the full-run ratio and the memory)")
    p.add_argument("--cold", action="store_true",
                   help="no warm-up run first (the oracle's and compilers' caches as they are)")
    p.add_argument("--repeat", type=bounded_int(1, 20), default=3, metavar="N",
                   help="median of N: run --quick, each beside an import of its "
                   "backends, and the gate (default: %(default)s)")
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    p.set_defaults(func=_command)
