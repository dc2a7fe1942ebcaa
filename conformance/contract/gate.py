"""The CI gate: the contract's checks on one implementation, per dtype, with diagnoses.

Cases: the catalogue in the requested dtypes (result checks, and the
conventions a policy requires), plus each probe check's own inputs. An
outcome per (check, dtype): pass, FAIL, xfail (an expected failure with its
reason), XPASS (an expected failure that passed: a failure with
``strict_xfail``) or n/a (no input the capabilities accept).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from adapters.base import Adapter, Unavailable
from cases.catalog import catalog
from cases.dtypes import FLOAT_DTYPES
from cases.generated import generated_cases
from cases.model import Case
from conformance.contract.checks import CHECKS, ENDED, Check, Failure, convention_failures
from conformance.contract.diagnosis import Diagnosis, diagnose
from conformance.contract.hunt import hunt_adapter
from conformance.contract.probe import GateProbe, LoadFailed
from conformance.execute.executors import Executor, InProcess
from conformance.execute.progress import Progress
from conformance.measure.bounds import Policy
from conformance.measure.records import Result
from conformance.ops import get_op
from conformance.oracle import Oracle

__all__ = [
    "CHECK_SCHEMA",
    "CheckOutcome",
    "GateResult",
    "gate_report",
    "run_gate",
    "xfail_key",
]


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    description: str
    metric: str
    dtype: str
    status: str  # pass, FAIL, xfail, XPASS, n/a
    cases: int
    diagnosis: Diagnosis | None = None
    reproducer: str | None = None
    reason: str | None = None  # the xfail reason

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "XPASS")


@dataclass
class GateResult:
    target: str
    policy: str
    dtypes: tuple[str, ...]
    outcomes: list[CheckOutcome] = field(default_factory=list)
    unmatched_xfail: list[str] = field(default_factory=list)
    calls: int = 0
    op: str = "softmax"

    @property
    def conforms(self) -> bool:
        return not any(o.failed for o in self.outcomes)


def xfail_key(check: str, dtype: str) -> str:
    return f"{check}[{dtype}]"


def _convention_checks(policy: Policy) -> list[Check]:
    return [
        Check(f"convention_{kind}", f"{kind} behaves as '{label}'", "convention")
        for kind, label in sorted(policy.conventions.items())
    ]


def run_gate(
    adapter: Adapter,
    *,
    policy: Policy,
    dtypes: Sequence[str],
    oracle: Oracle,
    xfail: Mapping[str, str] | None = None,
    strict_xfail: bool = False,
    reproduce: Callable[[Case], str],
    progress: Progress | None = None,
    cases: Sequence[Case] | None = None,
    checks: Sequence[str] | None = None,
    hunt_examples: int = 0,
    op: str = "softmax",
    executor: Executor | None = None,
    device: str | None = None,
    corpus_cache: Path | None = None,
) -> GateResult:
    """Run every check on ``adapter``; ``reproduce(case)`` writes a diagnosis's reproducer.

    ``executor`` calls the implementation (execute.runner; in this process by default):
    with a worker (``Isolated``) a crash, an exit or a hang is a FAIL of the check it
    happened in, and an import that crashes or hangs is a FAIL of ``loads``. Raises
    ValueError when the implementation names nothing importable, Unavailable when its
    library is missing. ``device``: where the adapter places its tensors (the result is
    named NAME@DEVICE). ``corpus_cache``: where the generated corpus is cached (drawing it
    takes seconds; cases.corpus_cache)."""
    if op not in adapter.ops:
        raise ValueError(f"{adapter.name} does not provide {op} (it provides "
                         f"{', '.join(adapter.ops)})")
    record = get_op(op)
    probe = GateProbe(adapter, oracle, record, executor or InProcess(), device=device)
    probe.start_loading()  # a worker imports the implementation while the cases are built
    if cases is None:  # the catalogue and the generated corpus, as `conformance run` feeds
        cases = catalog(dtypes=dtypes) + generated_cases(dtypes=dtypes, cache_dir=corpus_cache)
    all_cases = list(cases)
    try:
        probe.load()
    except LoadFailed as exc:
        if exc.failure == "usage":
            raise ValueError(exc.reason) from None
        if exc.failure == "unavailable":
            raise Unavailable(exc.reason) from None
        return _load_failed(probe.target.name, policy, dtypes, op, exc, reproduce)
    xfail = dict(xfail or {})
    chosen = [c for c in CHECKS if (checks is None or c.name in checks) and c.applies_to(record)]
    conv = _convention_checks(policy)
    by_dtype: dict[str, list[Case]] = defaultdict(list)
    for case in all_cases:
        by_dtype[case.dtype].append(case)
    failures: dict[tuple[str, str], list[Failure]] = defaultdict(list)
    counted: dict[tuple[str, str], int] = defaultdict(int)
    steps = sum(len(v) for v in by_dtype.values()) + len(dtypes)
    if progress is None:
        progress = Progress(steps, f"conformance check {adapter.name}")
    for dtype, dcases in by_dtype.items():
        supported = [c for c in dcases if not adapter.capabilities.unsupported_reason(
            c.shape, c.axis, c.dtype)]
        if len(supported) < len(dcases):
            progress.advance(f"{dtype}: left out", len(dcases) - len(supported))
        for case, (result, y) in zip(supported, probe.run_all(supported), strict=True):
            progress.advance(case.id)
            probe.take_ended()  # the check `completes` reads them from the result
            if result.status == "unsupported":
                continue
            for check in chosen:
                if check.on_result is None or (case.is_special and not check.special_cases):
                    continue
                if not check.reads(case, result):
                    continue
                counted[check.name, dtype] += 1
                msg = check.on_result(case, result, policy)
                if msg:
                    failures[check.name, dtype].append(Failure(case, result, msg))
            if "distribution" not in record.traits:
                continue
            for c in conv:
                if c.name.removeprefix("convention_") in case.all_tags:
                    counted[c.name, dtype] += 1
            for kind, msg in convention_failures(case, y, policy):
                failures[f"convention_{kind}", dtype].append(Failure(case, result, msg))
    for dtype in dtypes:
        progress.advance(f"probes {dtype}")
        for check in chosen:
            if check.probe is None:
                continue
            probe.take_ended()
            found = check.probe(probe, dtype, policy)
            seen = {f.case.id for f in found if f.result.status in ENDED}
            # a call that did not return fails the check it happened in, whatever the
            # check made of its missing output
            found += [f for f in probe.take_ended() if f.case.id not in seen]
            counted[check.name, dtype] += 1
            failures[check.name, dtype].extend(found)
    progress.close()
    _layout_experiment(probe, failures, chosen, policy)
    probe.take_ended()
    if hunt_examples:
        _hunt_smaller(probe, failures, chosen, policy, oracle, reproduce, hunt_examples)

    gate = GateResult(probe.target.name, policy.name, tuple(dtypes), calls=probe.calls, op=op)
    conv = conv if "distribution" in record.traits else []
    used_keys: set[str] = set()
    for check in [*chosen, *conv]:
        for dtype in [*dtypes, *sorted(set(by_dtype) - set(dtypes))]:
            n = counted.get((check.name, dtype), 0)
            if n == 0 and dtype not in dtypes:
                continue
            fails = failures.get((check.name, dtype), [])
            key = next((k for k in (xfail_key(check.name, dtype), check.name) if k in xfail), None)
            if key:
                used_keys.add(key)
            status = "n/a" if n == 0 else ("FAIL" if fails else "pass")
            diag = diagnose(check.name, fails, policy, probe.recall) if fails else None
            if key and status == "FAIL":
                status = "xfail"
            elif key and status == "pass":
                status = "XPASS" if strict_xfail else "pass"
            gate.outcomes.append(
                CheckOutcome(
                    check=check.name,
                    description=check.description,
                    metric=check.metric,
                    dtype=dtype,
                    status=status,
                    cases=n,
                    diagnosis=diag,
                    reproducer=reproduce(diag.case) if diag else None,
                    reason=xfail[key] if key else None,
                )
            )
    gate.unmatched_xfail = sorted(set(xfail) - used_keys)
    return gate


def _layout_experiment(probe: GateProbe, failures: dict, chosen: Sequence[Check],
                       policy: Policy) -> None:
    """A result check that fails on a case of another memory layout than C is run again on
    the same values in C order; where that passes, the layout is the cause."""
    by_name = {c.name: c for c in chosen}
    for (name, _dtype), fails in failures.items():
        check = by_name.get(name)
        if check is None or check.on_result is None:
            continue
        for i, f in enumerate(fails):
            if f.case.layout == "C" or f.code:
                continue
            twin = Case(f.case.family, np.ascontiguousarray(f.case.x), f.case.axis,
                        f.case.tags, f.case.origin, f"{f.case.note} (in C order)")
            result, _ = probe.run(twin)
            if result.status == "ok" and not check.on_result(twin, result, policy):
                fails[i] = replace(f, code="layout-dependence")


def _hunt_smaller(probe: GateProbe, failures: dict, chosen: Sequence[Check], policy: Policy,
                  oracle: Oracle, reproduce: Callable[[Case], str], examples: int) -> None:
    """Let Hypothesis look for a smaller counterexample of each failing result check."""
    for (name, dtype), fails in list(failures.items()):
        check = next((c for c in chosen if c.name == name), None)
        if not fails or check is None or check.on_result is None:
            continue
        if dtype not in FLOAT_DTYPES:
            continue
        found = hunt_adapter(probe.adapter, checks=[name], dtypes=[dtype], policy=policy,
                             oracle=oracle, reproduce=reproduce, max_examples=examples,
                             op=probe.op.name, probe=probe)
        ce = found[0].counterexample if found else None
        if ce is not None:
            result, _ = probe.run(ce.case)
            fails.append(Failure(ce.case, result, f"{ce.message} (shrunk by the hunt)"))


LOADS = Check("loads", "the implementation imports and loads in its worker: no crash, exit "
               "or hang", "status")


def _load_failed(name: str, policy: Policy, dtypes: Sequence[str], op: str,
                 exc: LoadFailed, reproduce: Callable[[Case], str]) -> GateResult:
    """The gate of an implementation whose import crashed or hung: one FAIL, of ``loads``,
    diagnosed on the first input it would have been given."""
    x = np.array([0.0, 1.0, 2.0], dtype=np.float64)
    case = Case("load", x, 0, ("load",), note="the first call it would get")
    result = Result(adapter=name, case=case.id, op=op, status=exc.failure,
                    error=exc.reason)
    fails = [Failure(case, result, f"importing or loading the implementation: {exc.reason}",
                     exc.failure)]
    diag = diagnose(LOADS.name, fails, policy)
    gate = GateResult(name, policy.name, tuple(dtypes), op=op)
    gate.outcomes.append(CheckOutcome(LOADS.name, LOADS.description, LOADS.metric, "all",
                                      "FAIL", 1, diag, reproduce(case)))
    return gate


CHECK_SCHEMA = "softmax-conformance/check/1"


def gate_report(gate: GateResult, environment: dict) -> dict:
    """The gate's result as JSON-ready data (the input of --json and --junit)."""
    from conformance.measure.records import to_jsonable

    outcomes = []
    for o in gate.outcomes:
        d = o.diagnosis
        outcomes.append(
            {
                "check": o.check,
                "description": o.description,
                "metric": o.metric,
                "dtype": o.dtype,
                "status": o.status,
                "cases": o.cases,
                "reason": o.reason,
                "diagnosis": None
                if d is None
                else {
                    "case": d.case.id,
                    "shape": list(d.case.shape),
                    "axis": d.case.axis,
                    "message": d.message,
                    "worst": d.worst,
                    "code": d.code,
                    "cause": d.cause,
                    "fix": d.fix,
                    "failures": d.failures,
                    "causes": [{"cause": c, "cases": n} for c, n in d.causes],
                    "reproducer": o.reproducer,
                },
            }
        )
    return to_jsonable(
        {
            "schema": CHECK_SCHEMA,
            "target": gate.target,
            "policy": gate.policy,
            "dtypes": list(gate.dtypes),
            "conforms": gate.conforms,
            "calls": gate.calls,
            "unmatched_xfail": gate.unmatched_xfail,
            "environment": environment,
            "outcomes": outcomes,
        }
    )
