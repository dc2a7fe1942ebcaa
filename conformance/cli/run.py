"""``conformance run``: every available adapter on every case; writes the report."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.cli.common import (
    bounded_int,
    default_cache,
    environments,
    parse_device,
    parse_dtypes,
    parse_ops,
    parse_size,
    positive_seconds,
    select_targets,
)
from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _command(args: argparse.Namespace) -> int:
    from cases import Case, catalog, generated_cases, golden_cases
    from conformance.contract.golden import check_golden
    from conformance.execute.executors import InProcess, Isolated
    from conformance.execute.progress import Progress
    from conformance.execute.runner import run
    from conformance.oracle import Oracle
    from conformance.record.files import read_report
    from conformance.record.model import build_report
    from conformance.record.outputs import load_arrays, load_outputs

    out = Path(args.out)
    resume = None
    if args.resume:
        out = Path(args.resume)
        try:
            previous = read_report(out / "report.json")
        except ValueError as exc:
            raise UsageError(f"--resume: {exc}") from None
        if not previous.get("interrupted"):
            raise UsageError(f"--resume {out}: that run was not interrupted; nothing to resume")
        cfg = previous["config"]
        args.adapters, args.dtypes, args.quick = cfg["adapters"], cfg["dtypes"], cfg["quick"]
        args.seed, args.examples = cfg["seed"], cfg["examples"]
        args.ops = cfg.get("ops")
        args.no_golden, args.isolation = not cfg["golden"], cfg.get("isolation", "none")
        args.device = cfg.get("device")
        arrays = load_arrays(out / "outputs.npz")
        if not arrays and previous["results"]["rows"]:
            raise UsageError(f"--resume {out}: no outputs.npz with the results' details "
                             "beside report.json; run again from the start")
        resume = _resumed(previous, load_outputs(out / "outputs.npz"), arrays)
    if args.examples is None:
        args.examples = 1 if args.quick else 5
    envs = environments(args)
    dtypes = parse_dtypes(args.dtypes)
    ops = parse_ops(args.ops)
    targets = select_targets(args.adapters, envs, parse_device(args.device))
    idle = [t.name for t in targets if not set(t.adapter.ops) & set(ops)]
    targets = [t for t in targets if set(t.adapter.ops) & set(ops)]
    if idle and args.adapters:
        print(f"left out (they provide none of {', '.join(ops)}): {', '.join(idle)}",
              file=sys.stderr)
    if not targets:
        raise UsageError(f"no selected adapter provides {', '.join(ops)}")
    if any(t.env for t in targets) and args.isolation == "none":
        raise UsageError("adapters in other environments need --isolation process")
    golden = [] if args.no_golden else golden_cases()

    def build_cases() -> list[Case]:  # while the workers import their backends
        cases = catalog(dtypes=dtypes, quick=args.quick)
        try:
            generated = generated_cases(
                seed=args.seed, examples=args.examples, dtypes=dtypes,
                cache_dir=None if args.no_cache else Path(args.cache_dir) / "generated")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        unique: dict[str, Case] = {}  # the first of equal ids, in order
        for c in cases + generated + golden:
            unique.setdefault(c.id, c)
        return list(unique.values())

    oracle = Oracle(cache_dir=None if args.no_cache else Path(args.cache_dir))
    executor = (InProcess() if args.isolation == "none" else
                Isolated(pythons=envs, timeout=args.timeout,
                         memory_limit=parse_size(args.memory_limit) if args.memory_limit
                         else None))

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGTERM, stop)
    try:
        outcome = run(targets, build_cases, oracle=oracle, executor=executor, ops=ops,
                      progress=Progress(0, "conformance run"), resume=resume)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        executor.close()
    if resume is not None:  # the outputs kept before the interruption
        for name, kept in resume.outputs.items():
            outcome.outputs[name] = {**kept, **outcome.outputs.get(name, {})}
    softmax_results = {(r.adapter, r.case): r for r in outcome.results if r.op == "softmax"}
    golden_outcomes = [] if outcome.interrupted else check_golden(
        golden, lambda name, cid: softmax_results.get((name, cid)),
        lambda name, cid: outcome.outputs.get(name, {}).get(cid))
    config = {
        "adapters": args.adapters or ["*"],
        "dtypes": list(dtypes),
        "quick": args.quick,
        "seed": args.seed,
        "examples": args.examples,
        "ops": list(ops),
        "golden": not args.no_golden,
        "isolation": args.isolation,
        "environments": envs,
        "device": args.device,
    }
    report = build_report(outcome, golden_outcomes, config)
    if args.bench is not None:
        report = _with_bench(report, args, out)
    write_run(report, outcome, out)
    _print_summary(report, out)
    if outcome.interrupted:
        print(f"interrupted: a partial report is written; continue with "
              f"conformance run --resume {out}", file=sys.stderr)
        return 130
    return 0


def write_run(report: Any, outcome: Any, out: Path) -> None:
    """report.json, outputs.npz (the kept outputs and the results' per-element details),
    report.md and report.html; $GITHUB_STEP_SUMMARY gets the verdict when it is set."""
    from conformance.cli.step_summary import append_step_summary
    from conformance.measure.records import to_jsonable
    from conformance.record.outputs import save_outputs
    from conformance.record.results import encode_details
    from reports import render_html, render_markdown, write_atomic, write_json
    from reports.markdown import render_verdict

    write_json(report, out / "report.json")
    save_outputs(outcome.outputs, out / "outputs.npz",
                 encode_details(to_jsonable(r) for r in outcome.results))
    write_atomic(out / "report.md", render_markdown(report))
    write_atomic(out / "report.html", render_html(report))
    append_step_summary(render_verdict(report))


def _with_bench(report: Any, args: argparse.Namespace, out: Path) -> Any:
    """Time the run's adapters (conformance bench) within --bench SECONDS; the results go
    to out/bench.json and into the report."""
    from conformance.cli.bench import run_bench
    from conformance.record.speed import with_speed
    from reports import write_json

    bench = run_bench(adapters=args.adapters, budget=args.bench, quick=args.quick,
                      ops=report["config"]["ops"], repeats=5)
    write_json(bench, out / "bench.json")
    return with_speed(report, bench)


def _pairs(rows: list[list[Any]]) -> dict[tuple[str, str], int]:
    return {(a, b): n for a, b, n in rows}


def _resumed(report: dict[str, Any], outputs: dict[str, Any], arrays: dict[str, Any]) -> Any:
    """The finished part of an interrupted run: its results (the table and their details
    from outputs.npz), agreement counts, conventions and kept outputs."""
    from conformance.execute.runner import RunOutcome
    from conformance.record.results import decode_details, results_from

    state = report["state"]
    return RunOutcome(
        statuses=[], cases=[], results=results_from(report["results"], decode_details(arrays)),
        agree={o: _pairs(c) for o, c in state["agree"].items()},
        common={o: _pairs(c) for o, c in state["common"].items()},
        conventions={a: {k: set(v) for k, v in kinds.items()}
                     for a, kinds in state["conventions"].items()},
        completed=list(state["completed"]),
        outputs=outputs,
    )


def _print_summary(report: Mapping[str, Any], out: Path) -> None:
    width = max(len(s["adapter"]) for s in report["summaries"])
    print(f"{'adapter':<{width}}  {'verdict':<26} detected defects")
    for s in report["summaries"]:
        print(f"{s['adapter']:<{width}}  {s['verdict']:<26} {', '.join(s['detected']) or '-'}")
    t = report["timing"]
    golden = report["golden"]
    if golden:
        ok = sum(g["reproduced"] for g in golden)
        print(f"\nthread outputs reproduced: {ok}/{len(golden)}")
    print(f"\n{len(report['cases'])} cases, {len(report['results']['rows'])} results")
    print(
        f"timing: wall {t['wall']:.1f}s = imports {t['imports']:.1f}s + "
        f"in adapters {t['in_adapters']:.1f}s + oracle {t['oracle']:.1f}s + harness "
        f"{max(t['wall'] - t['imports'] - t['in_adapters'] - t['oracle'], 0):.1f}s"
    )
    print(report["verdict"]["text"])
    print(f"wrote {out / 'report.json'}, {out / 'report.md'} and {out / 'report.html'}")


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run every available adapter on every case; write the report")
    run.add_argument("--out", default="conformance-report",
                     help="directory for report.json, report.md, report.html and outputs.npz "
                     "(default: %(default)s)")
    run.add_argument("--adapters", nargs="+", metavar="PATTERN",
                     help="adapter name globs, e.g. 'numpy.*' torch.softmax (default: all)")
    run.add_argument("--dtypes", nargs="+", metavar="DTYPE",
                     help="float16 bfloat16 float32 float64 (default: all)")
    run.add_argument("--quick", action="store_true", help="a smaller catalogue, for a fast look")
    run.add_argument("--ops", nargs="+", metavar="OP",
                     help="softmax log_softmax softmax_vjp cross_entropy (default: all four; "
                     "each adapter runs the ops it provides)")
    run.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0,
                     help="seed of the generated corpus: the same seed gives the same cases "
                     "(default: %(default)s)")
    run.add_argument("--examples", type=bounded_int(0, 1000), metavar="N",
                     help="generated cases per family and dtype; 0 for none (default: 5, "
                     "with --quick 1)")
    run.add_argument("--no-golden", action="store_true",
                     help="leave out the inputs the threads printed")
    run.add_argument("--cache-dir", default=str(default_cache()),
                     help="where reference values (and the generated corpus) are cached "
                     "(default: %(default)s)")
    run.add_argument("--no-cache", action="store_true", help="do not cache reference values")
    run.add_argument("--isolation", choices=["process", "none"], default="process",
                     help="process (default): adapters run in worker processes that survive "
                     "crashes and hangs; none: in this process, faster, for debugging")
    run.add_argument("--timeout", type=positive_seconds, default=60.0,
                     help="seconds an import or one call may take before its worker is killed "
                     "(default: %(default)s)")
    run.add_argument("--memory-limit", metavar="SIZE",
                     help="address-space limit of each worker, e.g. 4G")
    run.add_argument("--env", action="append", metavar="NAME=PYTHON",
                     help="another Python environment; run adapters there as "
                     "--adapters 'PATTERN@NAME'")
    run.add_argument("--device", metavar="DEVICE",
                     help="cpu, cuda, cuda:N, mps (or a backend's own name): run the adapters "
                     "there, the device in their column names (torch.softmax@cuda); an adapter "
                     "that cannot is unavailable with the reason (default: each backend's "
                     "default device, no suffix)")
    run.add_argument("--pyproject", default="pyproject.toml",
                     help="[tool.conformance.environments] is read from here")
    run.add_argument("--resume", metavar="DIR",
                     help="continue the interrupted run whose report is in DIR")
    run.add_argument("--bench", nargs="?", type=float, const=120.0, metavar="SECONDS",
                     help="after the run, time the adapters on realistic shapes (conformance "
                     "bench) for at most SECONDS (default 120) and put the speed in the report")
    run.set_defaults(func=_command)
