"""How fast the reference oracle is, next to mpmath alone.

``python -m conformance.bench_oracle [--n 100000] [--dtype float64] [--seed 0]``
(or ``conformance bench-oracle ...``) times :func:`reference_softmax` on
``n`` realistic logits (rows of 100 standard-normal values times 4) and on a
wide-spread input (times 300: many outputs subnormal or 0), times mpmath on a
subset of rows and extrapolates, reports the share of elements the fast
screen left to mpmath, and checks that both agree bit for bit on the subset.
Exit status 0 when they agree, 1 when they do not, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cases.dtypes import FLOAT_DTYPES, np_dtype
from conformance.oracle.mp import reference_softmax_mpmath
from conformance.oracle.reference import SolveStats, solve_rows
from conformance.oracle.rows import from_rows, to_rows

__all__ = ["main"]

ROW = 100


def _inputs(n: int, dtype: str, seed: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = max(1, n // ROW)
    return (rng.standard_normal((rows, ROW)) * scale).astype(np_dtype(dtype))


def _time_fast(x: np.ndarray, repeat: int) -> tuple[float, np.ndarray, SolveStats]:
    best = float("inf")
    y, stats = np.empty(0), SolveStats(0, 0, 0, 0)
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = to_rows(x, -1, None)
        out, stats = solve_rows(rows)
        y = from_rows(out, rows)
        best = min(best, time.perf_counter() - t0)
    return best, y, stats


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _bench(label: str, x: np.ndarray, subset_rows: int, repeat: int) -> bool:
    from conformance.oracle.fast import _constants

    _constants()  # the table is built once per process; not part of the rate
    seconds, y, stats = _time_fast(x, repeat)
    sub = x[:subset_rows]
    t0 = time.perf_counter()
    y_mp = reference_softmax_mpmath(sub, -1)
    mp_seconds = time.perf_counter() - t0
    agree = _same(y[:subset_rows], y_mp)
    share = stats.mp_elements / max(stats.elements, 1)
    print(
        f"{label}: {x.shape[0]} rows x {x.shape[1]} {x.dtype} values "
        f"({x.size} values), standard normal x {_SCALES[label]:g}"
    )
    print(
        f"  oracle (double-double screen + mpmath fallback): {x.size / seconds:,.0f} values/s "
        f"({seconds * 1e3:.1f} ms, best of {repeat})"
    )
    print(
        f"  mpmath alone: {sub.size / mp_seconds:,.0f} values/s (measured on {sub.size} values, "
        f"extrapolated: {x.size / sub.size * mp_seconds:.2f} s for all {x.size})"
    )
    print(
        f"  sent to mpmath: {stats.undecided} undecided elements, {stats.mp_rows} rows, "
        f"{stats.mp_elements} elements ({share:.2e} of all)"
    )
    print(
        f"  agreement with mpmath on the subset: "
        f"{'bit for bit' if agree else 'DIFFERENT (a bug in the oracle)'}"
    )
    return agree


_SCALES = {"logits": 4.0, "wide-spread": 300.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="conformance bench-oracle",
        description="Values per second of the reference oracle next to mpmath's.",
    )
    parser.add_argument("--n", type=int, default=100_000, help="values (rows of 100)")
    parser.add_argument("--dtype", default="float64", choices=FLOAT_DTYPES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mp-values", type=int, default=5_000, help="values timed with mpmath (then extrapolated)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.n < 1 or args.mp_values < 1 or args.repeat < 1:
        print("bench-oracle: --n, --mp-values and --repeat must be at least 1", file=sys.stderr)
        return 2
    subset_rows = max(1, args.mp_values // ROW)
    ok = True
    for label, scale in _SCALES.items():
        x = _inputs(args.n, args.dtype, args.seed, scale)
        ok &= _bench(label, x, subset_rows, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
