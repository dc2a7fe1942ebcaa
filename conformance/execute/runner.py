"""Runs every adapter on every case: results, agreement counts, conventions, timing.

The loop is case-major: the reference is computed once per case, every
adapter's output for that case is held only while the pairwise agreement is
counted, then dropped. An adapter that raises never stops the run. With
``isolation="process"`` every call goes to a worker process (see
conformance.execute.isolation) that survives crashes, hangs and exits; adapters may
also run in other Python environments, named ``adapter@env``. Ctrl-C or
SIGTERM ends the loop after the current case with ``interrupted`` set, and
``resume`` continues a partial run from its saved state.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from adapters.base import Adapter, Loaded, Unavailable
from adapters.calling import Call, call_op
from cases.dtypes import result_dtype
from cases.model import Case
from conformance.execute.progress import Progress
from conformance.measure.agreement import agrees
from conformance.measure.conventions import classify
from conformance.measure.records import Result
from conformance.measure.rows import measured_dtype
from conformance.ops import OpCase, OpInfo, Reference, get_op
from conformance.oracle import Oracle

__all__ = [
    "AdapterStatus",
    "Call",
    "InProcess",
    "Isolated",
    "RunOutcome",
    "Target",
    "call_adapter",
    "load_adapters",
    "result_of",
    "run",
]


@dataclass(frozen=True)
class Target:
    """An adapter to run, in this environment (env None) or another one, on a device (None:
    the backend's default). Its column is ``adapter[@device][@env]``."""

    adapter: Adapter
    env: str | None = None
    device: str | None = None

    @property
    def name(self) -> str:
        return "@".join(p for p in (self.adapter.name, self.device, self.env) if p)


@dataclass(frozen=True)
class AdapterStatus:
    adapter: Adapter
    loaded: Loaded | None
    reason: str | None
    versions: dict[str, str]
    import_seconds: float
    name: str = ""
    env: str | None = None
    available_in_worker: bool | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    # why a worker could not load it: unavailable, usage, crash or timeout (execute.isolation)
    failure: str | None = None

    @property
    def available(self) -> bool:
        if self.available_in_worker is not None:
            return self.available_in_worker
        return self.loaded is not None

    @property
    def label(self) -> str:
        return self.name or self.adapter.name


@dataclass
class RunOutcome:
    statuses: list[AdapterStatus]
    cases: list[Case]
    results: list[Result]
    # op -> (adapter a, adapter b), a < b -> cases on which both ran / on which they agree
    agree: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    common: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    conventions: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)  # case ids every adapter has run
    interrupted: bool = False
    isolation: str = "none"
    # adapter -> case id -> output of the ops whose output is a distribution, for cases of at
    # most KEEP_OUTPUTS elements (merge uses them)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


KEEP_OUTPUTS = 4096


def load_adapters(adapters: Sequence[Adapter]) -> list[AdapterStatus]:
    """Each adapter loaded here, or in a worker of its own where it asks for one
    (``worker_env``: a backend set up at import, like Keras's)."""
    isolated = Isolated() if any(a.worker_env for a in adapters) else None
    try:
        return [(isolated if a.worker_env and isolated else InProcess()).load(Target(a))
                for a in adapters]
    finally:
        if isolated is not None:
            isolated.close()


class Executor(Protocol):
    isolation: str

    def load(self, target: Target) -> AdapterStatus: ...

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call: ...

    def close(self) -> None: ...


class InProcess:
    """Adapters loaded and called in this process: fastest, and no protection."""

    isolation = "none"

    def load(self, target: Target) -> AdapterStatus:
        if target.env:
            return AdapterStatus(target.adapter, None, "other environments need "
                                 "--isolation process", {}, 0.0, target.name, target.env)
        t0 = time.perf_counter()
        try:
            loaded, reason = target.adapter.load(device=target.device), None
        except Unavailable as exc:
            loaded, reason = None, str(exc)
        return AdapterStatus(target.adapter, loaded, reason, target.adapter.versions(),
                             time.perf_counter() - t0, target.name)

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call:
        assert status.loaded is not None
        return call_adapter(status.loaded, prepared)

    def close(self) -> None:
        pass


class Isolated:
    """Adapters in worker processes (conformance.execute.isolation), one per backend and
    environment."""

    isolation = "process"

    def __init__(self, *, pythons: Mapping[str, str] | None = None, timeout: float = 60.0,
                 memory_limit: int | None = None,
                 impls: Mapping[str, tuple[str, str, str]] | None = None) -> None:
        """``impls``: adapter name -> the --impl (text, framework, op) the worker resolves,
        so that the harness never imports the code under test."""
        from conformance.execute.isolation import WorkerPool

        self.pool = WorkerPool(dict(pythons or {}), timeout, memory_limit)
        self.impls = dict(impls or {})
        self.keys: dict[str, str] = {}
        self.overhead = 0.0  # seconds of round trips beyond the calls themselves

    def load(self, target: Target) -> AdapterStatus:
        from conformance.execute.isolation import worker_key

        if target.env and target.env not in self.pool.pythons:
            return AdapterStatus(target.adapter, None, f"no environment named {target.env!r}",
                                 {}, 0.0, target.name, target.env, False)
        key = worker_key(target.adapter, target.env)
        self.keys[target.name] = key
        got = self.pool.load(target.adapter, key, self.impls.get(target.adapter.name),
                             target.device)
        environment = {"python": got.info.get("python"),
                       "executable": got.info.get("executable"),
                       "packages": got.info.get("versions", {})}
        return AdapterStatus(target.adapter, None, got.reason, got.versions, got.seconds,
                             target.name, target.env, got.ok, environment, got.failure)

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call:
        t0 = time.perf_counter()
        call = self.pool.call(status.adapter.name, self.keys[status.label], prepared.op.name,
                              prepared.arrays(), prepared.case.axis)
        self.overhead += time.perf_counter() - t0 - call.seconds
        return call

    def close(self) -> None:
        self.pool.close()


def call_adapter(loaded: Loaded, prepared: OpCase) -> Call:
    """Call one op on fresh copies of its arrays (the input keeps the case's memory layout)."""
    return call_op(loaded, prepared.op.name, prepared.arrays(), prepared.case.axis)


def result_of(adapter: Adapter | str, prepared: OpCase, call: Call,
              reference: Callable[[str], Reference], name: str | None = None) -> Result:
    """The Result of one call: its metrics against the reference in the dtype the output is
    measured in (``reference(dtype)``), or the error it raised; ``name`` is its column (the
    adapter's name by default)."""
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
    m = prepared.op.measure(prepared, call.y, reference(dtype), dtype)
    declared = None if isinstance(adapter, str) else adapter.capabilities.out_dtypes.get(
        case.dtype)
    if declared is not None and m.out_dtype == declared:  # documented, so not a defect
        m = replace(m, dtype_ok=True)
    return Result(status="ok", **common, **vars(m))


def _count_agreement(pairs: Sequence[tuple[OpInfo, dict[str, np.ndarray]]], case: Case,
                     agree: dict[str, dict[tuple[str, str], int]],
                     common: dict[str, dict[tuple[str, str], int]]) -> None:
    """Count, for each op, the pairs of adapters whose outputs on this case agree."""
    dtype = result_dtype(case.dtype)
    for op, outputs in pairs:
        names = sorted(outputs)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                common[op.name][a, b] += 1
                if agrees(outputs[a], outputs[b], dtype, op.agreement, case.axis):
                    agree[op.name][a, b] += 1


def run(
    adapters: Sequence[Adapter | Target],
    cases: Sequence[Case],
    *,
    oracle: Oracle,
    ops: Sequence[str] = ("softmax",),
    progress: Progress | None = None,
    executor: Executor | None = None,
    resume: RunOutcome | None = None,
) -> RunOutcome:
    """Run every target on every case, for each op it provides. Ctrl-C (KeyboardInterrupt)
    ends the loop between cases and returns what was finished, with ``interrupted`` set."""
    wall0 = time.perf_counter()
    executor = executor or InProcess()
    records = [get_op(name) for name in ops]
    targets = [t if isinstance(t, Target) else Target(t) for t in adapters]
    statuses = [executor.load(t) for t in targets]
    imports = sum(s.import_seconds for s in statuses)
    outcome = RunOutcome(statuses=statuses, cases=list(cases), results=[],
                         isolation=executor.isolation)
    conventions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    agree: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    common: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    done: set[str] = set()
    if resume is not None:
        outcome.results = list(resume.results)
        for o, counts in resume.agree.items():
            agree[o].update(counts)
        for o, counts in resume.common.items():
            common[o].update(counts)
        for a, kinds in resume.conventions.items():
            for kind, seen in kinds.items():
                conventions[a][kind] |= set(seen)
        done = set(resume.completed)
        outcome.completed = list(resume.completed)
    available = [s for s in statuses if s.available]
    oracle_seconds = in_adapters = 0.0
    try:
        for case in cases:
            if case.id in done:
                if progress is not None:
                    progress.advance(case.id)
                continue
            results: list[Result] = []
            labels: list[tuple[str, str, str]] = []
            pairs: list[tuple[OpInfo, dict[str, np.ndarray]]] = []
            for op in records:
                runnable = [s for s in available if op.name in s.adapter.ops]
                if not runnable:
                    continue
                prepared = op.prepare(case)
                meaningless = op.applies(case)
                classified = "distribution" in op.traits
                refs = op.references(oracle, prepared)
                t0 = time.perf_counter()
                if not meaningless:
                    refs(result_dtype(case.dtype))
                oracle_seconds += time.perf_counter() - t0
                outputs: dict[str, np.ndarray] = {}
                for status in runnable:
                    name = status.label
                    reason = status.adapter.capabilities.unsupported_reason(
                        case.shape, case.axis, case.dtype) or meaningless
                    if reason is not None:
                        results.append(Result(adapter=name, case=case.id, op=op.name,
                                              status="unsupported", error=reason))
                        if classified:
                            labels += [(name, k, "unsupported")
                                       for k in classify(case.x, case.axis, case.all_tags, None)]
                        continue
                    call = executor.call(status, prepared)
                    in_adapters += call.seconds
                    result = result_of(status.adapter, prepared, call, refs, name)
                    results.append(result)
                    if classified:
                        labels += [(name, k, v) for k, v in
                                   classify(case.x, case.axis, case.all_tags, call.y).items()]
                    if call.y is not None and result.shape_ok:
                        outputs[name] = call.y
                        if classified and call.y.size <= KEEP_OUTPUTS:
                            outcome.outputs.setdefault(name, {})[case.id] = call.y
                pairs.append((op, outputs))
            # a case counts only once every adapter has run on it
            outcome.results += results
            for name, kind, label in labels:
                conventions[name][kind].add(label)
            _count_agreement(pairs, case, agree, common)
            outcome.completed.append(case.id)
            if progress is not None:
                progress.advance(case.id)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        if progress is not None:
            progress.close()
    outcome.agree = {o: dict(c) for o, c in agree.items()}
    outcome.common = {o: dict(c) for o, c in common.items()}
    outcome.conventions = {a: dict(k) for a, k in conventions.items()}
    outcome.timing = {
        "wall": time.perf_counter() - wall0,
        "imports": imports,
        "in_adapters": in_adapters,
        "oracle": oracle_seconds,
        "isolation_overhead": getattr(executor, "overhead", 0.0),
    }
    return outcome
