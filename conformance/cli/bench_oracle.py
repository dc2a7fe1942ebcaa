"""``conformance bench-oracle``: the oracle's values per second next to mpmath's."""

from __future__ import annotations

import argparse
from typing import Any

from conformance.cli.common import DTYPES, OPS, LazyNames, bounded_int

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.ops import OPS
    from conformance.oracle.bench import run

    chosen = dict(OPS) if args.op == "all" else {args.op: OPS[args.op]}
    return run({name: op.bench for name, op in chosen.items()}, n=args.n, dtype=args.dtype,
               seed=args.seed, mp_values=args.mp_values, repeat=args.repeat)


def add_parser(sub: Any) -> None:
    bench = sub.add_parser("bench-oracle", help="the oracle's speed next to mpmath's",
                           description="Values per second of the reference oracle next to "
                           "mpmath's, on realistic and on wide-spread logits; exit 1 if the "
                           "two disagree on any value.")
    bench.add_argument("--n", type=bounded_int(1, 10_000_000), default=100_000,
                       help="values (rows of 100) "
                       "(default: %(default)s)")
    bench.add_argument("--dtype", default="float64", metavar="DTYPE", choices=DTYPES,
                       help="%(choices)s (default: %(default)s)")
    bench.add_argument("--op", default="softmax", metavar="OP",
                       choices=LazyNames(lambda: OPS, "all"),
                       help="%(choices)s (default: %(default)s)")
    bench.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0)
    bench.add_argument("--mp-values", type=bounded_int(1, 1_000_000), default=5_000,
                       help="values timed with mpmath (then extrapolated) (default: %(default)s)")
    bench.add_argument("--repeat", type=bounded_int(1, 1_000), default=3,
                       help="best of (default: %(default)s)")
    bench.set_defaults(func=_command)
