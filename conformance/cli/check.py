"""``conformance check``: the contract on one implementation; exit 0 conforms, 1 violations."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli.common import (
    AXIS_MODES,
    FRAMEWORKS,
    OPS,
    bounded_int,
    default_cache,
    output_dir,
    output_file,
    parse_device,
    parse_dtypes,
    parse_size,
    positive_seconds,
)
from conformance.cli.errors import UsageError

__all__ = ["add_parser", "check_target"]


def check_target(args: argparse.Namespace) -> tuple[Any, Any]:
    """The adapter to gate and a function writing a reproducer for a case."""
    from adapters.external import ImplError, parse_impl
    from conformance.contract.reproducer import impl_reproducer, reproducer
    from conformance.execute.executors import Target
    from conformance.ops import get_op

    if bool(args.impl) == bool(getattr(args, "adapter", None)):
        raise UsageError("give exactly one of --impl MODULE:CALLABLE or --adapter NAME")
    op = args.op
    try:
        record = get_op(op)
    except ValueError as exc:
        raise UsageError(f"--op {op}: {exc}") from None
    if getattr(args, "adapter", None):
        from adapters import get

        try:
            adapter = get(args.adapter)
        except KeyError as exc:
            raise UsageError(f"--adapter: {exc.args[0]}") from None
        # on a --device, gated as the column of a run with --device: NAME@DEVICE
        label = Target(adapter, device=parse_device(getattr(args, "device", None))).name
        return adapter, lambda case: reproducer(case, label, op)
    if getattr(args, "device", None):
        raise UsageError("--device applies to --adapter NAME; an --impl callable places its "
                         "tensors itself")
    try:
        spec = parse_impl(args.impl, args.framework)
        if getattr(args, "isolation", "none") == "none":
            spec.resolve()  # otherwise the worker imports it: a crash there is a finding
    except ImplError as exc:
        raise UsageError(str(exc)) from None
    return spec.adapter(op=op, capabilities=claimed(args)), lambda case: impl_reproducer(
        case, spec.import_lines(), spec.call_lines(case.axis, record.args), op
    )


def claimed(args: argparse.Namespace) -> Any:
    """The capabilities ``--axis``, ``--ndim`` and ``--no-int`` claim for an --impl callable:
    the gate holds it to exactly these."""
    from adapters.base import AXIS_MODES, Capabilities

    axis = getattr(args, "axis", None) or "any"
    if axis not in AXIS_MODES:
        raise UsageError(f"--axis {axis}: choose from {', '.join(AXIS_MODES)}")
    ndims = None
    if getattr(args, "ndim", None):
        try:
            ndims = frozenset(int(v) for item in args.ndim for v in item.split(",") if v)
        except ValueError:
            raise UsageError(f"--ndim {' '.join(args.ndim)}: expected numbers of dimensions, "
                             "e.g. --ndim 1,2") from None
        if not ndims or min(ndims) < 1 or max(ndims) > 32:
            raise UsageError(f"--ndim {' '.join(args.ndim)}: expected numbers from 1 to 32")
    if axis == "rows-2d" and ndims is None:
        ndims = frozenset({2})
    return Capabilities(axis=axis, ndims=ndims, accepts_int=not getattr(args, "no_int", False))


def add_claims(parser: Any) -> None:
    """--axis, --ndim and --no-int: what an --impl callable claims to accept."""
    parser.add_argument("--axis", metavar="MODE", choices=AXIS_MODES,
                        help="what the callable does with the axis: %(choices)s "
                        "(default: any; 'last' and 'first': that axis only; 'rows-2d': 2-D "
                        "input, rows)")
    parser.add_argument("--ndim", nargs="+", metavar="N",
                        help="the numbers of dimensions it accepts, e.g. 1,2 (default: any)")
    parser.add_argument("--no-int", action="store_true",
                        help="it does not accept integer input (integer cases are not run)")


def _command(args: argparse.Namespace) -> int:
    # what needs no import, first: a bad value is refused at once
    limit = parse_size(args.memory_limit) if args.memory_limit is not None else None
    json_out = output_file(args.json, "--json") if args.json is not None else None
    junit_out = output_file(args.junit, "--junit") if args.junit is not None else None
    cache = None if args.no_cache else output_dir(args.cache_dir, "--cache-dir")

    from adapters import Unavailable
    from conformance.cli.step_summary import append_step_summary
    from conformance.contract.config import load_policy, load_xfail
    from conformance.contract.gate import gate_report, run_gate
    from conformance.oracle import Oracle
    from conformance.record.environment import environment
    from reports import render_check_markdown, render_junit, write_atomic, write_json

    dtypes = parse_dtypes(args.dtypes)
    try:
        policy = load_policy(args.policy, Path(args.pyproject))
        xfail = load_xfail(Path(args.xfail)) if args.xfail else {}
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    adapter, reproduce = check_target(args)
    xfail = {**adapter.known_failures, **xfail}
    executor = _executor(args, adapter, limit)
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
            oracle=Oracle(cache_dir=cache),
            corpus_cache=None if cache is None else cache / "generated",
            executor=executor,
            device=parse_device(getattr(args, "device", None)),
        )
    except Unavailable as exc:
        raise UsageError(f"{adapter.name} is unavailable: {exc}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        executor.close()
    report = gate_report(gate, environment(adapter.requires))
    report["claims"] = adapter.describe()["capabilities"]
    try:
        if json_out is not None:
            write_json(report, json_out)
        if junit_out is not None:
            write_atomic(junit_out, render_junit(report))
    except OSError as exc:  # the folder was writable before the gate ran
        raise UsageError(f"{exc.filename}: cannot write it: {exc.strerror or exc}") from None
    _print_gate(report)
    append_step_summary(render_check_markdown(report))
    return 0 if report["conforms"] else 1


def _executor(args: argparse.Namespace, adapter: Any, limit: int | None) -> Any:
    """Where the implementation runs: a worker process (one for the whole check, restarted
    after a crash), or this process with ``--isolation none``."""
    from conformance.execute.executors import InProcess, Isolated

    if args.isolation == "none":
        return InProcess()
    impls = {adapter.name: (args.impl, args.framework, args.op)} if args.impl else {}
    return Isolated(timeout=args.timeout, memory_limit=limit, impls=impls)


def _claims_text(caps: dict[str, Any]) -> str:
    ndims = caps.get("ndims")
    parts = [f"axis {caps['axis']}", f"{'/'.join(map(str, ndims))}-D" if ndims else "any rank",
             "integer input" if caps["accepts_int"] else "no integer input"]
    if caps.get("dtypes"):
        parts.append("dtypes " + "/".join(caps["dtypes"]))
    return ", ".join(parts)


def _print_gate(report: dict[str, Any]) -> None:
    print(
        f"conformance check {report['target']} (policy {report['policy']}, "
        f"dtypes {' '.join(report['dtypes'])}, {report['calls']} calls)"
    )
    if report.get("claims"):
        print(f"held to what it claims: {_claims_text(report['claims'])}")
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
            print(f"  cause: {d['cause']} [{d.get('code')}]")
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


def add_parser(sub: Any) -> None:
    chk = sub.add_parser(
        "check",
        help="run the contract on one implementation: exit 0 conforms, 1 violations, 2 usage error",
    )
    chk.add_argument("--impl", metavar="MODULE:CALLABLE",
                     help="the callable to gate; MODULE may be a .py file path")
    chk.add_argument("--adapter", metavar="NAME", help="gate a registered adapter instead")
    add_claims(chk)
    chk.add_argument("--framework", default="numpy", metavar="NAME", choices=FRAMEWORKS,
                     help="%(choices)s; numpy (default): NumPy in and out with an "
                     "axis keyword; the others: tensors in and out, axis as the last argument")
    chk.add_argument("--device", metavar="DEVICE",
                     help="with --adapter: run it on cpu, cuda, cuda:N, mps ... (default: the "
                     "backend's default device)")
    chk.add_argument("--op", default="softmax", metavar="OP", choices=OPS,
                     help="the op to gate: %(choices)s (default: %(default)s)")
    chk.add_argument("--policy", default="default",
                     help="default or strict, or one defined in "
                     "[tool.conformance.policies] of --pyproject (default: %(default)s)")
    chk.add_argument("--pyproject", default="pyproject.toml",
                     help="where [tool.conformance] is read from (default: %(default)s)")
    chk.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="(default: all four)")
    chk.add_argument("--xfail", metavar="FILE",
                     help="TOML or JSON table: check or check[dtype] -> reason")
    chk.add_argument("--strict-xfail", action="store_true",
                     help="an expected failure that passes is a failure")
    chk.add_argument("--hunt", type=bounded_int(0, 100_000), default=0, metavar="N",
                     help="let Hypothesis try N inputs per failing check for a smaller "
                     "counterexample to diagnose (default: 0, off)")
    chk.add_argument("--isolation", choices=["process", "none"], default="process",
                     help="process (default): the implementation runs in a worker process; "
                     "its crash, exit or hang is a FAIL of the check it happened in; none: in "
                     "this process, for a debugger (nothing protects the gate)")
    chk.add_argument("--timeout", type=positive_seconds, default=60.0, metavar="SECONDS",
                     help="seconds the import or one call may take before the worker is "
                     "killed and the check fails (default: %(default)s)")
    chk.add_argument("--memory-limit", metavar="SIZE",
                     help="address-space limit of the worker, e.g. 4G (default: none)")
    chk.add_argument("--json", metavar="FILE", help="write the result as JSON")
    chk.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    chk.add_argument("--cache-dir", default=str(default_cache()), help=argparse.SUPPRESS)
    chk.add_argument("--no-cache", action="store_true", help="do not cache reference values")
    chk.set_defaults(func=_command)
