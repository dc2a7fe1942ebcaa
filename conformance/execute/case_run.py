"""One case through every adapter and op: the calls, the references, the measurements,
the conventions seen and which adapters agree."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from adapters.base import Adapter
from adapters.calling import Call
from cases.dtypes import result_dtype
from cases.model import Case
from conformance.execute.executors import AdapterStatus, Executor
from conformance.measure.agreement import agreeing_pairs, output_key
from conformance.measure.conventions import classify
from conformance.measure.records import Metrics, Result
from conformance.measure.rows import measured_dtype
from conformance.ops import OpCase, OpInfo, Reference
from conformance.oracle import Oracle

__all__ = ["KEEP_OUTPUTS", "CaseRecord", "Clock", "Started", "finish_case", "result_of",
           "start_case"]

# outputs of at most this many elements are kept (merge and the golden checks read them)
KEEP_OUTPUTS = 4096


def result_of(adapter: Adapter | str, prepared: OpCase, call: Call,
              reference: Callable[[str], Reference], name: str | None = None,
              measured: dict[tuple[Any, ...], Metrics] | None = None,
              key: tuple[Any, ...] | None = None) -> Result:
    """The Result of one call: its metrics against the reference in the dtype the output is
    measured in (``reference(dtype)``), or the error it raised; ``name`` is its column (the
    adapter's name by default). ``measured`` keeps the metrics of the op's outputs on this
    case by their dtype and bits (``key``: the output's ``output_key`` where the caller has
    it): an output the same as one measured is not measured again."""
    case = prepared.case
    common: dict[str, Any] = dict(
        adapter=name or (adapter if isinstance(adapter, str) else adapter.name),
        case=case.id,
        op=prepared.op.name,
        seconds=call.seconds,
        warnings=call.warnings,
        stdout=call.stdout,
        input_mutated=call.mutated,
    )
    if call.y is None:
        return Result(status=call.status, error=call.error, **common)
    dtype = measured_dtype(case.dtype, call.y)
    if measured is None:
        m = prepared.op.measure(prepared, call.y, reference(dtype), dtype)
    else:
        memo = (dtype, key or output_key(call.y))
        if memo not in measured:
            measured[memo] = prepared.op.measure(prepared, call.y, reference(dtype), dtype)
        m = measured[memo]
    declared = None if isinstance(adapter, str) else adapter.capabilities.out_dtypes.get(
        case.dtype)
    if declared is not None and m.out_dtype == declared:  # documented, so not a defect
        m = replace(m, dtype_ok=True)
    return Result(status="ok", **common, **vars(m))


@dataclass
class CaseRecord:
    """What one case gave: every result, the conventions seen, which pairs of adapters
    agree (op, a, b, agreed) and the small outputs kept for merge."""

    case: str
    results: list[Result]
    labels: list[tuple[str, str, str]]
    agreement: list[tuple[str, str, str, bool]]
    outputs: dict[str, np.ndarray]


@dataclass
class Clock:
    """Seconds inside the adapters (conversions and compiles included) and in the oracle."""

    in_adapters: float = 0.0
    oracle: float = 0.0


@dataclass
class Started:
    """A case whose calls are under way: what ``finish_case`` needs to measure them."""

    case: Case
    slots: list[Result | int]  # a result, or the index of the call that gives it
    plan: list[tuple[AdapterStatus, OpCase]]
    per_op: list[tuple[OpInfo, OpCase, Callable[[str], Reference], list[int]]]
    labels: list[tuple[str, str, str]]
    waiting: Callable[[], list[Call]]


def _agreement(op: OpInfo, outputs: dict[str, np.ndarray], keys: dict[str, tuple[Any, ...]],
               case: Case) -> list[tuple[str, str, str, bool]]:
    """Each pair of adapters whose outputs on this case are compared, and whether they agree."""
    return [(op.name, a, b, agreed) for a, b, agreed in
            agreeing_pairs(outputs, result_dtype(case.dtype), op.agreement, case.axis, keys)]


def start_case(case: Case, records: Sequence[OpInfo], available: Sequence[AdapterStatus],
               executor: Executor, oracle: Oracle, clock: Clock) -> Started:
    """Start every op of every available adapter on one case (each worker gets the case
    once), then compute the references while they run."""
    slots: list[Result | int] = []
    plan: list[tuple[AdapterStatus, OpCase]] = []
    per_op: list[tuple[OpInfo, OpCase, Callable[[str], Reference], list[int]]] = []
    labels: list[tuple[str, str, str]] = []
    for op in records:
        runnable = [s for s in available if op.name in s.adapter.ops
                    and (not case.only or s.adapter.name in case.only)]
        if not runnable:
            continue
        prepared = op.prepare(case)
        meaningless = op.applies(case)
        mine: list[int] = []
        for status in runnable:
            reason = status.adapter.capabilities.unsupported_reason(
                case.shape, case.axis, case.dtype) or meaningless
            if reason is None:
                mine.append(len(slots))
                slots.append(len(plan))
                plan.append((status, prepared))
                continue
            slots.append(Result(adapter=status.label, case=case.id, op=op.name,
                                status="unsupported", error=reason))
            if "distribution" in op.traits:
                labels += [(status.label, k, "unsupported")
                           for k in classify(case.x, case.axis, case.all_tags, None)]
        per_op.append((op, prepared, op.references(oracle, prepared), mine))
    waiting = executor.call_all(plan)
    t0 = time.perf_counter()
    for op, _, refs, _ in per_op:
        if not op.applies(case):
            refs(result_dtype(case.dtype))
    clock.oracle += time.perf_counter() - t0
    return Started(case, slots, plan, per_op, labels, waiting)


def finish_case(started: Started, clock: Clock, unavailable: Collection[str] = ()
                ) -> CaseRecord:
    """Wait for a started case's calls and measure them; the adapters ``unavailable`` (the
    case was started before they failed to load) are left out."""
    case, slots, plan, labels = started.case, list(started.slots), started.plan, started.labels
    calls: list[Call | None] = list(started.waiting())
    clock.in_adapters += sum(c.total_seconds or c.seconds for c in calls if c is not None)
    agreement: list[tuple[str, str, str, bool]] = []
    kept: dict[str, np.ndarray] = {}
    for op, prepared, refs, mine in started.per_op:
        outputs: dict[str, np.ndarray] = {}
        keys: dict[str, tuple[Any, ...]] = {}
        measured: dict[tuple[Any, ...], Metrics] = {}
        classified = "distribution" in op.traits
        hashed: dict[int, tuple[np.ndarray, tuple[Any, ...]]] = {}  # an array many returned
        for slot in mine:
            index = slots[slot]
            assert isinstance(index, int)
            status, _ = plan[index]
            call = calls[index]
            assert call is not None
            calls[index] = None  # an op's outputs are let go once its agreement is counted
            if status.label in unavailable:
                continue
            key = None
            if call.y is not None:  # equal outputs may come as one array (Isolated)
                if id(call.y) not in hashed:
                    hashed[id(call.y)] = call.y, output_key(call.y)
                key = hashed[id(call.y)][1]
            result = result_of(status.adapter, prepared, call, refs, status.label, measured, key)
            slots[slot] = result
            if classified:
                labels += [(status.label, k, v) for k, v in
                           classify(case.x, case.axis, case.all_tags, call.y).items()]
            if call.y is not None and key is not None and result.shape_ok:
                outputs[status.label] = call.y
                keys[status.label] = key
                if classified and call.y.size <= KEEP_OUTPUTS:
                    kept[status.label] = call.y
        agreement += _agreement(op, outputs, keys, case)
    results = [r for r in slots if isinstance(r, Result) and r.adapter not in unavailable]
    labels = [label for label in labels if label[0] not in unavailable]
    return CaseRecord(case.id, results, labels, agreement, kept)
