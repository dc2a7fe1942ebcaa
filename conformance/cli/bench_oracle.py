"""``conformance bench-oracle``: the oracle's values per second next to mpmath's."""

from __future__ import annotations

import argparse
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.ops import OPS
    from conformance.oracle.bench import run

    if args.n < 1 or args.mp_values < 1 or args.repeat < 1:
        raise UsageError("--n, --mp-values and --repeat must be at least 1")
    chosen = dict(OPS) if args.op == "all" else {args.op: OPS[args.op]}
    return run({name: op.bench for name, op in chosen.items()}, n=args.n, dtype=args.dtype,
               seed=args.seed, mp_values=args.mp_values, repeat=args.repeat)


def add_parser(sub: Any) -> None:
    from cases.dtypes import FLOAT_DTYPES
    from conformance.ops import OP_NAMES

    bench = sub.add_parser("bench-oracle", help="the oracle's speed next to mpmath's",
                           description="Values per second of the reference oracle next to "
                           "mpmath's, on realistic and on wide-spread logits; exit 1 if the "
                           "two disagree on any value.")
    bench.add_argument("--n", type=int, default=100_000, help="values (rows of 100) "
                       "(default: %(default)s)")
    bench.add_argument("--dtype", default="float64", choices=FLOAT_DTYPES)
    bench.add_argument("--op", default="softmax", choices=[*OP_NAMES, "all"])
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--mp-values", type=int, default=5_000,
                       help="values timed with mpmath (then extrapolated) (default: %(default)s)")
    bench.add_argument("--repeat", type=int, default=3, help="best of (default: %(default)s)")
    bench.set_defaults(func=_command)
