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


def _parse_ops(values: Sequence[str] | None) -> tuple[str, ...]:
    from adapters import OPS

    if not values:
        return tuple(OPS)
    names = [v for item in values for v in item.split(",") if v]
    bad = [n for n in names if n not in OPS]
    if bad:
        raise UsageError(f"--ops {','.join(bad)}: unknown op; choose from {', '.join(OPS)}")
    return tuple(o for o in OPS if o in names)


def _select_adapters(patterns: Sequence[str] | None):
    from adapters import select

    names = [p for item in (patterns or []) for p in item.split(",") if p]
    try:
        return select(names)
    except KeyError as exc:
        raise UsageError(f"--adapters: {exc.args[0]}") from None


def _parse_size(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    try:
        if text[-1:].upper() in units:
            return int(float(text[:-1]) * units[text[-1].upper()])
        return int(text)
    except ValueError:
        raise UsageError(f"--memory-limit {text}: expected bytes, e.g. 2G or 512M") from None


def _environments(args: argparse.Namespace) -> dict[str, str]:
    """Environment name -> interpreter, from pyproject's [tool.conformance.environments]
    and --env NAME=PYTHON (which wins)."""
    from conformance.config import load_environments

    try:
        envs = load_environments(Path(args.pyproject))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for item in args.env or []:
        name, sep, python = item.partition("=")
        if not sep or not name or not python:
            raise UsageError(f"--env {item}: expected NAME=/path/to/python")
        envs[name] = python
    for name, python in envs.items():
        if not Path(python).is_file():
            raise UsageError(f"environment {name}: no interpreter at {python}; "
                             f"create one with: conformance env create {name} --packages ...")
    return envs


def _select_targets(patterns: Sequence[str] | None, envs: dict[str, str]):
    from conformance.runner import Target

    targets = []
    plain = []
    for item in patterns or []:
        for pat in (p for p in item.split(",") if p):
            pat, _, env = pat.partition("@")
            if env:
                if env not in envs:
                    raise UsageError(f"--adapters {pat}@{env}: no environment named {env!r} "
                                     "(give --env NAME=PYTHON or [tool.conformance.environments])")
                targets += [Target(a, env) for a in _select_adapters([pat])]
            else:
                plain.append(pat)
    if plain or not targets:
        targets = [Target(a) for a in _select_adapters(plain)] + targets
    return targets


def _cmd_run(args: argparse.Namespace) -> int:
    import signal

    from cases import Case, catalog, generated_cases, golden_cases
    from conformance.golden_check import check_golden
    from conformance.oracle import Oracle
    from conformance.outputs import save_outputs
    from conformance.progress import Progress
    from conformance.report_model import build_report
    from conformance.runner import InProcess, Isolated, call_adapter, run
    from reports import read_json, render_markdown, write_atomic, write_json

    out = Path(args.out)
    resume = None
    if args.resume:
        out = Path(args.resume)
        try:
            previous = read_json(out / "report.json")
        except ValueError as exc:
            raise UsageError(f"--resume: {exc}") from None
        if not previous.get("interrupted"):
            raise UsageError(f"--resume {out}: that run was not interrupted; nothing to resume")
        cfg = previous["config"]
        args.adapters, args.dtypes, args.quick = cfg["adapters"], cfg["dtypes"], cfg["quick"]
        args.seed, args.examples = cfg["seed"], cfg["examples"]
        args.ops = cfg.get("ops")
        args.no_golden, args.isolation = not cfg["golden"], cfg.get("isolation", "none")
        resume = previous
    envs = _environments(args)
    dtypes = _parse_dtypes(args.dtypes)
    ops = _parse_ops(args.ops)
    targets = _select_targets(args.adapters, envs)
    idle = [t.name for t in targets if not set(t.adapter.ops) & set(ops)]
    targets = [t for t in targets if set(t.adapter.ops) & set(ops)]
    if idle and args.adapters:
        print(f"left out (they provide none of {', '.join(ops)}): {', '.join(idle)}",
              file=sys.stderr)
    if not targets:
        raise UsageError(f"no selected adapter provides {', '.join(ops)}")
    if any(t.env for t in targets) and args.isolation == "none":
        raise UsageError("adapters in other environments need --isolation process")
    cases = catalog(dtypes=dtypes, quick=args.quick)
    try:
        generated = generated_cases(seed=args.seed, examples=args.examples, dtypes=dtypes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    golden = [] if args.no_golden else golden_cases()
    unique: dict[str, Case] = {}  # the first of equal ids, in order
    for c in cases + generated + golden:
        unique.setdefault(c.id, c)
    all_cases = list(unique.values())
    oracle = Oracle(cache_dir=None if args.no_cache else Path(args.cache_dir))
    executor = (InProcess() if args.isolation == "none" else
                Isolated(pythons=envs, timeout=args.timeout,
                         memory_limit=_parse_size(args.memory_limit) if args.memory_limit
                         else None))

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGTERM, stop)
    try:
        outcome = run(targets, all_cases, oracle=oracle, executor=executor, ops=ops,
                      progress=Progress(len(all_cases), "conformance run"),
                      resume=_resumed(resume) if resume else None)
        statuses = {s.label: s for s in outcome.statuses if s.available}

        def golden_call(name: str, case):
            status = statuses.get(name)
            if status is None:
                return None
            if status.loaded is not None:
                return call_adapter(status.loaded, "softmax", case)
            return executor.call(status, "softmax", case)

        golden_outcomes = [] if outcome.interrupted else check_golden(golden, golden_call)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        executor.close()
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
    }
    report = build_report(outcome, golden_outcomes, config)
    write_json(report, out / "report.json")
    write_atomic(out / "report.md", render_markdown(report))
    save_outputs(outcome.outputs, out / "outputs.npz")
    _print_summary(report, out)
    if outcome.interrupted:
        print(f"interrupted: a partial report is written; continue with "
              f"conformance run --resume {out}", file=sys.stderr)
        return 130
    return 0


def _resumed(report: dict):
    from conformance.records import result_from_json
    from conformance.runner import RunOutcome

    state = report["state"]
    return RunOutcome(
        statuses=[], cases=[], results=[result_from_json(r) for r in report["results"]],
        agree={(a, b): n for a, b, n in state["agree"]},
        common={(a, b): n for a, b, n in state["common"]},
        conventions={a: {k: set(v) for k, v in kinds.items()}
                     for a, kinds in state["conventions"].items()},
        op_agree={o: {(a, b): n for a, b, n in c} for o, c in state.get("op_agree", {}).items()},
        op_common={o: {(a, b): n for a, b, n in c}
                   for o, c in state.get("op_common", {}).items()},
        completed=list(state["completed"]),
    )


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
    print(f"{'adapter':<{width}}  {'state':<11} {'family':<9} {'ops':<26} {'axis':<19} "
          f"{'expected defects':<28} versions")
    for s in statuses:
        a = s.adapter
        state = "available" if s.available else "unavailable"
        versions = ", ".join(f"{k} {v}" for k, v in s.versions.items())
        expected = ", ".join(a.expected) or "conforming"
        print(
            f"{a.name:<{width}}  {state:<11} {a.family:<9} {','.join(a.ops):<26} "
            f"{a.capabilities.axis:<19} {expected:<28} {versions}"
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


def _check_target(args: argparse.Namespace):
    """The adapter to gate and a function writing a reproducer for a case."""
    from conformance.impl import ImplError, parse_impl
    from conformance.reproducer import impl_reproducer, reproducer

    if bool(args.impl) == bool(args.adapter):
        raise UsageError("give exactly one of --impl MODULE:CALLABLE or --adapter NAME")
    if args.adapter:
        from adapters import get

        try:
            adapter = get(args.adapter)
        except KeyError as exc:
            raise UsageError(f"--adapter: {exc.args[0]}") from None
        op = getattr(args, "op", "softmax")
        return adapter, lambda case: reproducer(case, adapter.name, op)
    try:
        spec = parse_impl(args.impl, args.framework)
        spec.resolve()
    except ImplError as exc:
        raise UsageError(str(exc)) from None
    op = getattr(args, "op", "softmax")
    return spec.adapter(op=op), lambda case: impl_reproducer(
        case, spec.import_lines(), spec.call_lines(case.axis, op), op
    )


def _cmd_check(args: argparse.Namespace) -> int:
    from adapters import OPS, Unavailable
    from conformance.config import load_policy, load_xfail
    from conformance.environment import environment
    from conformance.gate import gate_report, run_gate
    from conformance.oracle import Oracle
    from reports import render_junit, write_atomic, write_json

    if args.op not in OPS:
        raise UsageError(f"--op {args.op}: choose from {', '.join(OPS)}")
    dtypes = _parse_dtypes(args.dtypes)
    try:
        policy = load_policy(args.policy, Path(args.pyproject))
        xfail = load_xfail(Path(args.xfail)) if args.xfail else {}
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    adapter, reproduce = _check_target(args)
    xfail = {**adapter.known_failures, **xfail}
    try:
        gate = run_gate(
            adapter,
            policy=policy,
            dtypes=dtypes,
            xfail=xfail,
            strict_xfail=args.strict_xfail,
            hunt_examples=args.hunt,
            op=args.op,
            reproduce=reproduce,
            oracle=Oracle(cache_dir=None if args.no_cache else Path(args.cache_dir)),
        )
    except Unavailable as exc:
        raise UsageError(f"{adapter.name} is unavailable: {exc}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    report = gate_report(gate, environment(adapter.requires))
    if args.json:
        write_json(report, Path(args.json))
    if args.junit:
        write_atomic(Path(args.junit), render_junit(report))
    _print_gate(report)
    return 0 if report["conforms"] else 1


def _print_gate(report: dict) -> None:
    print(
        f"conformance check {report['target']} (policy {report['policy']}, "
        f"dtypes {' '.join(report['dtypes'])}, {report['calls']} calls)"
    )
    width = max(len(f"{o['check']}[{o['dtype']}]") for o in report["outcomes"])
    for o in report["outcomes"]:
        name = f"{o['check']}[{o['dtype']}]"
        extra = f"  ({o['reason']})" if o["reason"] else ""
        print(f"  {o['status']:<6} {name:<{width}}  {o['description']}{extra}")
    for o in report["outcomes"]:
        d = o["diagnosis"]
        if o["status"] != "FAIL" or d is None:
            continue
        print(
            f"\nFAIL {o['check']}[{o['dtype']}] on case {d['case']} "
            f"(shape {tuple(d['shape'])}, axis {d['axis']}; {d['failures']} failing input(s))"
        )
        print(f"  {d['message']}")
        if d["cause"]:
            print(f"  cause: {d['cause']}")
            print(f"  fix:   {d['fix']}")
        if len(d["causes"]) > 1:
            print(
                "  causes over all failing inputs: "
                + ", ".join(f"{c['cause']} ({c['cases']})" for c in d["causes"])
            )
        print("  reproducer:")
        print("\n".join(f"    {line}" for line in d["reproducer"].splitlines()))
    for key in report["unmatched_xfail"]:
        print(f"\nxfail entry {key!r} matches no check that ran")
    counts: dict[str, int] = {}
    for o in report["outcomes"]:
        counts[o["status"]] = counts.get(o["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    verdict = "conforms" if report["conforms"] else "does NOT conform"
    print(f"\n{report['target']} {verdict}: {summary}")


def _cmd_hunt(args: argparse.Namespace) -> int:
    import time

    from adapters import Unavailable
    from conformance.config import load_policy
    from conformance.hunt import HUNTED_CHECKS, counterexamples_json, hunt_adapter
    from conformance.oracle import Oracle
    from conformance.reproducer import reproducer
    from reports import read_json, render_markdown, write_atomic, write_json
    from reports.markdown import counterexample_lines

    dtypes = _parse_dtypes(args.dtypes)
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
        target, repro = _check_target(args)
        targets = [(target, repro)]
    else:
        # adapters that do not provide the op are left out
        targets = [(a, lambda case, a=a: reproducer(case, a.name, args.op))
                   for a in _select_adapters(args.adapters) if args.op in a.ops]
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
                database=Path(args.database) if args.database else None,
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
    out = Path(args.out)
    run_report = out / "report.json"
    if run_report.is_file():  # enter them into the run's report
        report = read_json(run_report)
        kept = [c for c in report.get("counterexamples", [])
                if (c["adapter"], c["check"]) not in {(i["adapter"], i["check"]) for i in items}]
        report["counterexamples"] = kept + items
        write_json(report, run_report)
        write_atomic(out / "report.md", render_markdown(report))
        print(f"wrote {len(items)} counterexamples into {run_report} and {out / 'report.md'}")
    else:
        write_json({"schema": "softmax-conformance/hunt/1", "policy": policy.name,
                    "dtypes": list(dtypes), "seed": args.seed,
                    "outcomes": [{"adapter": o.adapter, "check": o.check, "status": o.status,
                                  "examples": o.examples, "seconds": o.seconds}
                                 for o in outcomes],
                    "counterexamples": items}, out / "hunt.json")
        write_atomic(out / "hunt.md", "\n".join(counterexample_lines(items)) + "\n")
        print(f"wrote {out / 'hunt.json'} and {out / 'hunt.md'}")
    return 1 if items else 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from conformance.diff import diff_reports
    from reports import read_json

    try:
        old = read_json(Path(args.old), kinds=("report", "check"))
        new = read_json(Path(args.new), kinds=("report", "check"))
        result = diff_reports(old, new, factor=args.factor)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for title, items in (
        ("new violations", result.new),
        ("fixed", result.fixed),
        ("accuracy regressions", result.regressions),
        ("notes", result.notes),
    ):
        print(f"{title}: {len(items) if items else 'none'}")
        for item in items:
            print(f"  {item}")
    return 1 if result.regressed else 0


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
    run.add_argument("--ops", nargs="+", metavar="OP",
                     help="softmax log_softmax softmax_vjp cross_entropy (default: all four; "
                     "each adapter runs the ops it provides)")
    run.add_argument("--seed", type=int, default=0,
                     help="seed of the generated corpus: the same seed gives the same cases "
                     "(default: %(default)s)")
    run.add_argument("--examples", type=int, default=5,
                     help="generated cases per family and dtype; 0 for none "
                     "(default: %(default)s)")
    run.add_argument(
        "--no-golden", action="store_true", help="leave out the inputs the threads printed"
    )
    run.add_argument(
        "--cache-dir",
        default=str(_default_cache()),
        help="where reference values are cached by case id (default: %(default)s)",
    )
    run.add_argument("--no-cache", action="store_true", help="do not cache reference values")
    run.add_argument("--isolation", choices=["process", "none"], default="process",
                     help="process (default): adapters run in worker processes that survive "
                     "crashes and hangs; none: in this process, faster, for debugging")
    run.add_argument("--timeout", type=float, default=60.0,
                     help="seconds one call may take before its worker is killed "
                     "(default: %(default)s)")
    run.add_argument("--memory-limit", metavar="SIZE",
                     help="address-space limit of each worker, e.g. 4G")
    run.add_argument("--env", action="append", metavar="NAME=PYTHON",
                     help="another Python environment; run adapters there as "
                     "--adapters 'PATTERN@NAME'")
    run.add_argument("--pyproject", default="pyproject.toml",
                     help="[tool.conformance.environments] is read from here")
    run.add_argument("--resume", metavar="DIR",
                     help="continue the interrupted run whose report is in DIR")
    run.set_defaults(func=_cmd_run)

    chk = sub.add_parser(
        "check",
        help="run the contract on one implementation: exit 0 conforms, 1 violations, 2 usage error",
    )
    chk.add_argument(
        "--impl",
        metavar="MODULE:CALLABLE",
        help="the callable to gate; MODULE may be a .py file path",
    )
    chk.add_argument("--adapter", metavar="NAME", help="gate a registered adapter instead")
    chk.add_argument(
        "--framework",
        default="numpy",
        help="numpy (default): NumPy in and out with an axis keyword; torch, "
        "tensorflow or jax: tensors in and out, axis as the second argument",
    )
    chk.add_argument("--op", default="softmax", help="the op to gate (default: %(default)s)")
    chk.add_argument(
        "--policy",
        default="default",
        help="default or strict, or one defined in "
        "[tool.conformance.policies] of --pyproject (default: %(default)s)",
    )
    chk.add_argument(
        "--pyproject",
        default="pyproject.toml",
        help="where [tool.conformance] is read from (default: %(default)s)",
    )
    chk.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="(default: all four)")
    chk.add_argument(
        "--xfail", metavar="FILE", help="TOML or JSON table: check or check[dtype] -> reason"
    )
    chk.add_argument(
        "--strict-xfail", action="store_true", help="an expected failure that passes is a failure"
    )
    chk.add_argument("--hunt", type=int, default=0, metavar="N",
                     help="let Hypothesis try N inputs per failing check for a smaller "
                     "counterexample to diagnose (default: 0, off)")
    chk.add_argument("--json", metavar="FILE", help="write the result as JSON")
    chk.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    chk.add_argument("--cache-dir", default=str(_default_cache()), help=argparse.SUPPRESS)
    chk.add_argument("--no-cache", action="store_true", help="do not cache reference values")
    chk.set_defaults(func=_cmd_check)

    hunt = sub.add_parser("hunt", help="search for inputs that break each check and shrink "
                          "them to minimal counterexamples: exit 0 none found, 1 found")
    hunt.add_argument("--impl", metavar="MODULE:CALLABLE", help="hunt an external callable")
    hunt.add_argument("--framework", default="numpy", help="as for check")
    hunt.add_argument("--adapters", nargs="+", metavar="PATTERN",
                      help="registered adapters to hunt (default: all)")
    hunt.add_argument("--op", default="softmax", choices=["softmax", "log_softmax",
                                                         "softmax_vjp", "cross_entropy"],
                      help="the op to hunt (default: %(default)s)")
    hunt.add_argument("--checks", nargs="+", metavar="CHECK",
                      help="(default: every result check of the op)")
    hunt.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="(default: all four)")
    hunt.add_argument("--max-examples", type=int, default=100,
                      help="inputs tried per adapter and check (default: %(default)s)")
    hunt.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    hunt.add_argument("--database", metavar="DIR",
                      help="Hypothesis example database, so CI keeps what it found (it replays "
                      "earlier finds first; --seed is then not used)")
    hunt.add_argument("--derandomize", action="store_true",
                      help="derive the search from the test itself, ignoring --seed")
    hunt.add_argument("--budget", type=float, metavar="SECONDS",
                      help="stop starting new searches after this long; say what was not reached")
    hunt.add_argument("--policy", default="default")
    hunt.add_argument("--pyproject", default="pyproject.toml")
    hunt.add_argument("--out", default="conformance-report",
                      help="a run's report directory to add the counterexamples to, or where "
                      "hunt.json and hunt.md go (default: %(default)s)")
    hunt.set_defaults(func=_cmd_hunt)

    dif = sub.add_parser(
        "diff",
        help="regressions between two report.json files: exit 1 on a "
        "new violation or an accuracy regression",
    )
    dif.add_argument("old")
    dif.add_argument("new")
    dif.add_argument(
        "--factor",
        type=float,
        default=2.0,
        help="an accuracy regression is a worst error more than this factor "
        "worse (default: %(default)s)",
    )
    dif.set_defaults(func=_cmd_diff)

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
    from conformance.envs import add_env_parser
    from conformance.merge import add_merge_parser

    add_merge_parser(sub)
    add_env_parser(sub)
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
