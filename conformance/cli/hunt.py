"""``conformance hunt``: search for inputs that break each check and shrink them."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from conformance.cli.check import add_claims, check_target
from conformance.cli.common import (
    FRAMEWORKS,
    OPS,
    bounded_int,
    output_dir,
    parse_dtypes,
    positive_seconds,
    select_adapters,
)
from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from conformance.record.files import read_report

    # where the results go, first: a bad --out is refused before anything is imported
    out = output_dir(args.out, "--out")
    database = output_dir(args.database, "--database") if args.database else None
    run_report = out / "report.json"
    report = None
    if run_report.exists():  # a run's report: the counterexamples go into it
        try:
            report = read_report(run_report)
        except ValueError as exc:
            raise UsageError(f"--out {out}: {exc}") from None

    from adapters import Unavailable
    from conformance.contract.config import load_policy
    from conformance.contract.hunt import HUNTED_CHECKS, counterexamples_json, hunt_adapter
    from conformance.contract.reproducer import reproducer
    from conformance.oracle import Oracle

    dtypes = parse_dtypes(args.dtypes)
    checks = [c for item in (args.checks or []) for c in item.split(",") if c] or list(
        HUNTED_CHECKS)
    bad = [c for c in checks if c not in HUNTED_CHECKS]
    if bad:
        raise UsageError(f"--checks {','.join(bad)}: not a hunted check; choose from "
                         f"{', '.join(HUNTED_CHECKS)}")
    try:
        policy = load_policy(args.policy, Path(args.pyproject))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.impl:
        args.adapter = None
        target, repro = check_target(args)
        targets = [(target, repro)]
    else:
        # adapters that do not provide the op are left out
        targets = [(a, lambda case, a=a: reproducer(case, a.name, args.op))
                   for a in select_adapters(args.adapters) if args.op in a.ops]
        if not targets:
            raise UsageError(f"no selected adapter provides {args.op}")
    deadline = time.monotonic() + args.budget if args.budget else None
    oracle = Oracle()
    outcomes = []
    for adapter, repro in targets:
        try:
            found = hunt_adapter(
                adapter, checks=checks, dtypes=dtypes, policy=policy, oracle=oracle,
                reproduce=repro, max_examples=args.max_examples, seed=args.seed,
                database=database,
                derandomize=args.derandomize, deadline=deadline,
                report=lambda line: print(line, file=sys.stderr, flush=True), op=args.op)
        except Unavailable as exc:
            print(f"hunt {adapter.name}: unavailable: {exc}", file=sys.stderr)
            continue
        outcomes += found
        n = sum(o.status == "found" for o in found)
        print(f"{adapter.name}: {n} of {len(found)} checks broken "
              f"({sum(o.examples for o in found)} examples, "
              f"{sum(o.seconds for o in found):.1f} s)")
        for o in found:
            if o.counterexample:
                ce = o.counterexample
                print(f"  {o.check}: {ce.case.dtype} shape {ce.case.shape} axis {ce.case.axis}"
                      f": {ce.message}")
    unreached = [f"{o.adapter}:{o.check}" for o in outcomes if o.status == "not-reached"]
    if unreached:
        print(f"budget spent before: {', '.join(unreached)}")
    items = counterexamples_json(outcomes)
    try:
        _write(out, report, items, outcomes, policy, dtypes, args.seed)
    except OSError as exc:  # --out was writable before the hunt
        raise UsageError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None
    return 1 if items else 0


def _write(out: Path, report: dict[str, Any] | None, items: list[dict[str, Any]],
           outcomes: list[Any], policy: Any, dtypes: tuple[str, ...], seed: int) -> None:
    """The counterexamples into the run's report in ``out`` (``report``), or hunt.json and
    hunt.md there."""
    from reports import render_html, render_markdown, write_atomic, write_json
    from reports.markdown import counterexample_lines

    run_report = out / "report.json"
    if report is not None:
        kept = [c for c in report.get("counterexamples", [])
                if (c["adapter"], c["check"]) not in {(i["adapter"], i["check"]) for i in items}]
        report["counterexamples"] = kept + items
        write_json(report, run_report)
        write_atomic(out / "report.md", render_markdown(report))
        write_atomic(out / "report.html", render_html(report))
        print(f"wrote {len(items)} counterexamples into {run_report}, {out / 'report.md'} and "
              f"{out / 'report.html'}")
    else:
        write_json({"schema": "softmax-conformance/hunt/1", "policy": policy.name,
                    "dtypes": list(dtypes), "seed": seed,
                    "outcomes": [{"adapter": o.adapter, "check": o.check, "status": o.status,
                                  "examples": o.examples, "seconds": o.seconds}
                                 for o in outcomes],
                    "counterexamples": items}, out / "hunt.json")
        write_atomic(out / "hunt.md", "\n".join(counterexample_lines(items)) + "\n")
        print(f"wrote {out / 'hunt.json'} and {out / 'hunt.md'}")


def add_parser(sub: Any) -> None:
    hunt = sub.add_parser("hunt", help="search for inputs that break each check and shrink "
                          "them to minimal counterexamples: exit 0 none found, 1 found")
    hunt.add_argument("--impl", metavar="MODULE:CALLABLE", help="hunt an external callable")
    hunt.add_argument("--framework", default="numpy", metavar="NAME", choices=FRAMEWORKS,
                      help="%(choices)s, as for check")
    add_claims(hunt)
    hunt.add_argument("--adapters", nargs="+", metavar="PATTERN",
                      help="registered adapters to hunt (default: all)")
    hunt.add_argument("--op", default="softmax", metavar="OP", choices=OPS,
                      help="the op to hunt: %(choices)s (default: %(default)s)")
    hunt.add_argument("--checks", nargs="+", metavar="CHECK",
                      help="(default: every result check of the op)")
    hunt.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="(default: all four)")
    hunt.add_argument("--max-examples", type=bounded_int(1, 1_000_000), default=100,
                      help="inputs tried per adapter and check (default: %(default)s)")
    hunt.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0,
                      help="(default: %(default)s)")
    hunt.add_argument("--database", metavar="DIR",
                      help="Hypothesis example database, so CI keeps what it found (it replays "
                      "earlier finds first; --seed is then not used)")
    hunt.add_argument("--derandomize", action="store_true",
                      help="derive the search from the test itself, ignoring --seed")
    hunt.add_argument("--budget", type=positive_seconds, metavar="SECONDS",
                      help="stop starting new searches after this long; say what was not reached")
    hunt.add_argument("--policy", default="default")
    hunt.add_argument("--pyproject", default="pyproject.toml")
    hunt.add_argument("--out", default="conformance-report",
                      help="a run's report directory to add the counterexamples to, or where "
                      "hunt.json and hunt.md go (default: %(default)s)")
    hunt.set_defaults(func=_command)
