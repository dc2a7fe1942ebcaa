"""The command line: `conformance run`, `conformance list`, `conformance report`, ..."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """A bad name or value on the command line: exit 2 with a one-line reason."""


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "softmax-conformance" / "oracle"


def _parse_dtypes(values: Sequence[str] | None) -> tuple[str, ...]:
    from cases.dtypes import FLOAT_DTYPES

    if not values:
        return FLOAT_DTYPES
    names = [v for item in values for v in item.split(",") if v]
    bad = [n for n in names if n not in FLOAT_DTYPES]
    if bad:
        raise UsageError(
            f"--dtypes {','.join(bad)}: unknown dtype; choose from {', '.join(FLOAT_DTYPES)}"
        )
    return tuple(n for n in FLOAT_DTYPES if n in names)


def _select_adapters(patterns: Sequence[str] | None):
    from adapters import select

    names = [p for item in (patterns or []) for p in item.split(",") if p]
    try:
        return select(names)
    except KeyError as exc:
        raise UsageError(f"--adapters: {exc.args[0]}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    from cases import catalog, golden_cases
    from conformance.golden_check import check_golden
    from conformance.oracle import Oracle
    from conformance.progress import Progress
    from conformance.report_model import build_report
    from conformance.runner import run
    from reports import render_markdown, write_atomic, write_json

    dtypes = _parse_dtypes(args.dtypes)
    adapters = _select_adapters(args.adapters)
    cases = catalog(dtypes=dtypes, quick=args.quick)
    golden = [] if args.no_golden else golden_cases()
    all_cases = cases + golden
    oracle = Oracle(cache_dir=None if args.no_cache else Path(args.cache_dir))
    progress = Progress(len(all_cases), "conformance run")
    outcome = run(adapters, all_cases, oracle=oracle, progress=progress)
    loaded = {s.adapter.name: s.loaded for s in outcome.statuses if s.loaded is not None}
    golden_outcomes = check_golden(golden, loaded)
    config = {
        "adapters": args.adapters or ["*"],
        "dtypes": list(dtypes),
        "quick": args.quick,
        "golden": not args.no_golden,
    }
    report = build_report(outcome, golden_outcomes, config)
    out = Path(args.out)
    write_json(report, out / "report.json")
    write_atomic(out / "report.md", render_markdown(report))
    _print_summary(report, out)
    return 0


def _print_summary(report: dict, out: Path) -> None:
    width = max(len(s["adapter"]) for s in report["summaries"])
    print(f"{'adapter':<{width}}  {'verdict':<26} detected defects")
    for s in report["summaries"]:
        print(f"{s['adapter']:<{width}}  {s['verdict']:<26} {', '.join(s['detected']) or '-'}")
    t = report["timing"]
    golden = report["golden"]
    if golden:
        ok = sum(g["reproduced"] for g in golden)
        print(f"\nthread outputs reproduced: {ok}/{len(golden)}")
    print(f"\n{len(report['cases'])} cases, {len(report['results'])} results")
    print(
        f"timing: wall {t['wall']:.1f}s = imports {t['imports']:.1f}s + "
        f"in adapters {t['in_adapters']:.1f}s + oracle {t['oracle']:.1f}s + harness "
        f"{max(t['wall'] - t['imports'] - t['in_adapters'] - t['oracle'], 0):.1f}s"
    )
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")


def _cmd_list(args: argparse.Namespace) -> int:
    from conformance.runner import load_adapters

    statuses = load_adapters(_select_adapters(args.adapters))
    width = max(len(s.adapter.name) for s in statuses)
    for s in statuses:
        a = s.adapter
        state = "available" if s.available else "unavailable"
        versions = ", ".join(f"{k} {v}" for k, v in s.versions.items())
        expected = ", ".join(a.expected) or "conforming"
        print(
            f"{a.name:<{width}}  {state:<11} {a.family:<9} axis={a.capabilities.axis:<19} "
            f"{expected:<28} {versions}"
        )
        if not s.available:
            print(f"{'':<{width}}  reason: {s.reason}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from reports import read_json, render_markdown, write_atomic

    try:
        report = read_json(Path(args.file))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    text = render_markdown(report)
    if args.out:
        write_atomic(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_bench_oracle(args: argparse.Namespace) -> int:
    from conformance.bench_oracle import main as bench_main

    return bench_main(args.rest)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="conformance",
        description="Hold every softmax implementation to one contract and a correctly "
        "rounded reference.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run every available adapter on every case; write the report")
    run.add_argument(
        "--out",
        default="conformance-report",
        help="directory for report.json and report.md (default: %(default)s)",
    )
    run.add_argument(
        "--adapters",
        nargs="+",
        metavar="PATTERN",
        help="adapter name globs, e.g. 'numpy.*' torch.softmax (default: all)",
    )
    run.add_argument(
        "--dtypes",
        nargs="+",
        metavar="DTYPE",
        help="float16 bfloat16 float32 float64 (default: all)",
    )
    run.add_argument("--quick", action="store_true", help="a smaller catalogue, for a fast look")
    run.add_argument(
        "--no-golden", action="store_true", help="leave out the inputs the threads printed"
    )
    run.add_argument(
        "--cache-dir",
        default=str(_default_cache()),
        help="where reference values are cached by case id (default: %(default)s)",
    )
    run.add_argument("--no-cache", action="store_true", help="do not cache reference values")
    run.set_defaults(func=_cmd_run)

    lst = sub.add_parser("list", help="adapters, availability and versions")
    lst.add_argument("--adapters", nargs="+", metavar="PATTERN")
    lst.set_defaults(func=_cmd_list)

    rep = sub.add_parser("report", help="re-render a report.json as Markdown")
    rep.add_argument("file", help="a report.json")
    rep.add_argument("--format", choices=["markdown"], default="markdown")
    rep.add_argument("--out", help="write here instead of standard output")
    rep.set_defaults(func=_cmd_report)

    bench = sub.add_parser(
        "bench-oracle", help="the oracle's speed next to mpmath's", add_help=False
    )
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_cmd_bench_oracle)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"conformance {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 130
