"""``conformance bench``: each adapter's op timed on realistic shapes, as a ratio to
np.copyto of the same bytes (conformance.execute.bench); ``--out`` writes the bench JSON
that ``conformance report --bench`` and ``conformance run --bench`` put in a report."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from conformance.cli.common import (
    bounded_int,
    output_file,
    parse_ops,
    positive_seconds,
    select_adapters,
)
from conformance.cli.errors import UsageError

__all__ = ["DEFAULT_FAMILIES", "add_parser", "run_bench"]

# Timed by default: the libraries and the reference (the threads' variants on request).
DEFAULT_FAMILIES = ("reference", "library", "external", "plugin")


def run_bench(*, adapters: Sequence[str] | None, budget: float, quick: bool,
              ops: Sequence[str] | None, repeats: int) -> dict[str, Any]:
    """Run the bench and return its JSON (conformance.record.speed.bench_json)."""
    from conformance.execute.bench import QUICK_SHAPES, SHAPES
    from conformance.execute.bench_run import bench
    from conformance.execute.progress import Progress
    from conformance.record.speed import bench_json

    if not budget > 0 or budget == float("inf"):
        raise UsageError(f"--budget {budget:g}: expected a finite number of seconds above 0")
    if repeats < 1:
        raise UsageError(f"--repeats {repeats}: expected 1 or more")
    patterns = [p.partition("@")[0] for p in adapters or []]
    chosen = select_adapters(patterns or None)
    if not adapters or adapters == ["*"]:
        chosen = [a for a in chosen if a.family in DEFAULT_FAMILIES]
    op_names = parse_ops(ops)
    chosen = [a for a in chosen if set(a.ops) & set(op_names)]
    if not chosen:
        raise UsageError(f"no selected adapter provides {', '.join(op_names)}")
    shapes = QUICK_SHAPES if quick else SHAPES
    total = sum(len(shapes) for op in op_names for a in chosen if op in a.ops)
    t0 = time.perf_counter()
    measurements, copy = bench(chosen, shapes, ops=op_names, repeats=repeats, budget=budget,
                               progress=Progress(total, "conformance bench"))
    backends = sorted({d for a in chosen for d in a.requires})
    config = {"adapters": list(adapters or ["*"]), "ops": list(op_names), "budget": budget,
              "repeats": repeats, "quick": quick}
    return bench_json(measurements, shapes, copy, config, time.perf_counter() - t0, backends)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def print_bench(data: dict[str, Any]) -> None:
    shapes = {s["label"]: s for s in data["shapes"]}
    width = max([len(m["adapter"]) for m in data["measurements"]] + [7])
    print(f"{'adapter':<{width}}  {'op':<13} {'shape':<32} {'best':>9} {'x copy':>7} "
          f"{'peak mem':>9}")
    for m in data["measurements"]:
        if m["status"] == "ok":
            print(f"{m['adapter']:<{width}}  {m['op']:<13} {m['shape']:<32} "
                  f"{m['seconds'] * 1e3:7.2f}ms {m['ratio']:7.2f} {_size(m['peak_bytes']):>9}")
        else:
            print(f"{m['adapter']:<{width}}  {m['op']:<13} {m['shape']:<32} {m['status']}: "
                  f"{m['detail'][:60]}")
    for label, s in shapes.items():
        print(f"np.copyto of {label} ({_size(s['bytes'])}): {s['copy_seconds'] * 1e3:.2f} ms")
    print(f"wall {data['wall']:.1f}s of a {data['config']['budget']:g}s budget")


def _command(args: argparse.Namespace) -> int:
    from reports import write_json

    out = output_file(args.out, "--out") if args.out is not None else None
    data = run_bench(adapters=args.adapters, budget=args.budget, quick=args.quick,
                     ops=args.ops, repeats=args.repeats)
    print_bench(data)
    if out is not None:
        try:
            write_json(data, out)
        except OSError as exc:  # the folder was writable before the bench
            raise UsageError(f"--out {out}: cannot write it: {exc.strerror or exc}") from None
        print(f"wrote {out}")
    return 0


def add_parser(sub: Any) -> None:
    b = sub.add_parser("bench", help="time each adapter's op on realistic shapes, as a ratio "
                       "to np.copyto of the same bytes")
    b.add_argument("--adapters", nargs="+", metavar="PATTERN",
                   help="adapter name globs (default: the libraries and the reference)")
    b.add_argument("--ops", nargs="+", metavar="OP",
                   help="the ops to time (default: all four; each adapter times the ones it "
                   "provides, softmax first)")
    b.add_argument("--budget", type=positive_seconds, default=300.0, metavar="SECONDS",
                   help="stop starting measurements after this long (default: %(default)s)")
    b.add_argument("--repeats", type=bounded_int(1, 10_000), default=5,
                   help="timed calls after the warm-up; the best counts (default: %(default)s)")
    b.add_argument("--quick", action="store_true",
                   help="small shapes (64x1000 float32, 8x4096 bfloat16), for a fast look")
    b.add_argument("--out", metavar="FILE", help="write the results as JSON (for conformance "
                   "report --bench)")
    b.set_defaults(func=_command)
