"""``conformance bench-gate``: the gate measured on the mutation corpus (adapters/mutants):
broken implementations flagged, flagged with the expected cause, correct ones wrongly
flagged, and the time; exit 0 when every broken one is flagged, at least 95% with the
expected cause, and no correct one is."""

from __future__ import annotations

import argparse
import fnmatch
import time
from typing import Any

from conformance.cli.common import default_cache, output_dir, parse_dtypes
from conformance.cli.errors import UsageError

__all__ = ["GOAL_CAUSE_SHARE", "add_parser"]

GOAL_CAUSE_SHARE = 0.95


def _command(args: argparse.Namespace) -> int:

    from adapters.mutants import MUTANTS
    from cases import catalog
    from conformance.contract.mutation_bench import bench_gate, figures
    from conformance.execute.progress import Progress
    from conformance.measure.bounds import DEFAULT
    from conformance.oracle import Oracle

    dtypes = parse_dtypes(args.dtypes)
    cache = output_dir(args.cache_dir, "--cache-dir")
    chosen = [m for m in MUTANTS
              if not args.mutants or any(fnmatch.fnmatchcase(m.name, p) for p in args.mutants)]
    if not chosen:
        raise UsageError(f"--mutants {' '.join(args.mutants)}: matches none of "
                         f"{len(MUTANTS)} mutants (e.g. 'softmax.*', 'ok.*')")
    t0 = time.perf_counter()
    outcomes = bench_gate(chosen, policy=DEFAULT, dtypes=dtypes, cases=catalog(
        dtypes=dtypes, core=True), oracle=Oracle(cache_dir=cache),
        progress=Progress(len(chosen), "conformance bench-gate"))
    result = figures(outcomes, time.perf_counter() - t0)
    for o in outcomes:
        if args.verbose or o.verdict not in ("right cause", "passed"):
            named = ", ".join(o.codes[:4]) or "-"
            print(f"{o.verdict:<12} {o.mutant.name:<32} expected {o.mutant.cause or 'a pass'}; "
                  f"the gate named: {named}")
    print("\n".join(result.lines()))
    met = (result.flagged == result.broken and result.false_alarms == 0
           and result.right_cause >= GOAL_CAUSE_SHARE * result.broken)
    return 0 if met else 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench-gate", help="the gate measured on the mutation corpus: "
                       "flagged, right cause, false alarms")
    p.add_argument("--mutants", nargs="+", metavar="PATTERN",
                   help="mutant name globs, e.g. 'softmax.*' 'ok.*' (default: all)")
    p.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="(default: all four)")
    p.add_argument("--verbose", action="store_true", help="a line for every mutant")
    p.add_argument("--cache-dir", default=str(default_cache()), help=argparse.SUPPRESS)
    p.set_defaults(func=_command)
