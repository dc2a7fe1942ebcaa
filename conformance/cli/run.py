"""``conformance run``: every available adapter on every case; writes the report."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.cli.common import (
    FAIL_ON,
    FAIL_ON_HELP,
    bounded_int,
    default_cache,
    environments,
    exit_status,
    output_dir,
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
    from conformance.record.journal import FolderLocked, lock_folder

    if args.resume:
        out = Path(args.resume)
        if not out.is_dir():
            raise UsageError(f"--resume {args.resume!r}: not a folder; expected the --out "
                             "folder of a run")
    else:
        out = output_dir(args.out, "--out")
    memory_limit = parse_size(args.memory_limit) if args.memory_limit is not None else None
    cache_dir = None if args.no_cache else output_dir(args.cache_dir, "--cache-dir")
    try:
        lock = lock_folder(out)
    except FolderLocked as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror}); name a "
                         "folder you can write") from None
    try:
        return _locked(args, out, memory_limit, cache_dir)
    finally:
        lock.close()


_RESTORED = ("adapters", "dtypes", "quick", "seed", "examples", "ops", "isolation", "device",
             "shard")


def _locked(args: argparse.Namespace, out: Path, memory_limit: int | None,
            cache_dir: Path | None) -> int:
    from cases import Case
    from cases.run_cases import run_cases
    from cases.shard import parse_shard
    from conformance.contract.golden import check_golden
    from conformance.execute.executors import InProcess, Isolated
    from conformance.execute.progress import Progress
    from conformance.execute.runner import run
    from conformance.measure.records import to_jsonable
    from conformance.oracle import Oracle
    from conformance.record.journal import JOURNAL, Journal, read_journal
    from conformance.record.model import build_report

    state = None
    if args.resume:
        state = read_journal(out)
        if state is None or not isinstance(state.run.get("golden"), bool):
            raise UsageError(f"--resume {out}: no run journal ({JOURNAL}) there; nothing to "
                             "resume")
        for key in _RESTORED:
            setattr(args, key, state.run.get(key))
        args.no_golden = not state.run["golden"]
        if state.dropped:
            print(f"resume: the journal's {state.problem}; that case and the "
                  f"{state.dropped - 1} after it run again", file=sys.stderr)
    if args.examples is None:
        args.examples = 1 if args.quick else 5
    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    envs = environments(args)
    dtypes = parse_dtypes(args.dtypes)
    ops = parse_ops(args.ops)
    targets = select_targets(args.adapters, envs, parse_device(args.device))
    idle = [t.name for t in targets if not set(t.adapter.ops) & set(ops)]
    targets = [t for t in targets if set(t.adapter.ops) & set(ops)]
    if idle and args.adapters and args.adapters != ["*"]:
        print(f"left out (they provide none of {', '.join(ops)}): {', '.join(idle)}",
              file=sys.stderr)
    if not targets:
        raise UsageError(f"no selected adapter provides {', '.join(ops)}")
    if any(t.env for t in targets) and args.isolation == "none":
        raise UsageError("adapters in other environments need --isolation process")
    config = to_jsonable({
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
        "shard": args.shard,
    })
    done = state.records if state is not None and state.run == config else []
    if state is not None and state.run != config:
        print(f"resume: the environments differ from the interrupted run's; {out} starts "
              "over", file=sys.stderr)

    def build_cases() -> list[Case]:  # while the workers import their backends
        try:
            return run_cases(dtypes=dtypes, quick=args.quick, seed=args.seed,
                             examples=args.examples, golden=not args.no_golden,
                             cache_dir=None if cache_dir is None else cache_dir / "generated",
                             shard=shard)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    oracle = Oracle(cache_dir=cache_dir)
    executor = (InProcess() if args.isolation == "none" else
                Isolated(pythons=envs, timeout=args.timeout, memory_limit=memory_limit))
    journal = Journal(out, config, resume=state)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGTERM, stop)
    try:
        outcome = run(targets, build_cases, oracle=oracle, executor=executor, ops=ops,
                      progress=Progress(0, "conformance run"), resume=done,
                      on_case=journal.append)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        executor.close()
        journal.close()
    softmax_results = {(r.adapter, r.case): r for r in outcome.results if r.op == "softmax"}
    golden_outcomes = [] if outcome.interrupted else check_golden(
        outcome.cases, lambda name, cid: softmax_results.get((name, cid)),
        lambda name, cid: outcome.outputs.get(name, {}).get(cid))
    report = build_report(outcome, golden_outcomes, config)
    if args.bench is not None:
        report = _with_bench(report, args, out)
    write_run(report, outcome, out)
    _print_summary(report, out)
    if outcome.interrupted:
        print(f"interrupted: a partial report is written; continue with "
              f"conformance run --resume {out}", file=sys.stderr)
        return 130
    return exit_status(report, args.fail_on)


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
    run.add_argument("--quick", action="store_true",
                     help="a fast look: each case family once (every layout and "
                     "vocabulary length), each thread variant's first print")
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
                     help="finish the run that wrote into DIR (interrupted, killed or cut off "
                     "by a power cut: its journal holds every case it finished) with the "
                     "same settings")
    run.add_argument("--shard", metavar="I/N",
                     help="run the I-th of N disjoint parts of the cases, of about equal work "
                     "(the same settings give the same parts on every machine); join the "
                     "parts with conformance merge")
    run.add_argument("--fail-on", choices=FAIL_ON, default="never", help=FAIL_ON_HELP)
    run.add_argument("--bench", nargs="?", type=positive_seconds, const=120.0,
                     metavar="SECONDS",
                     help="after the run, time the adapters on realistic shapes (conformance "
                     "bench) for at most SECONDS (default 120) and put the speed in the report")
    run.set_defaults(func=_command)
