"""Runs every adapter on every case: results, agreement counts, conventions, timing.

The loop is case-major: the reference is computed once per case, every
adapter's output for that case is held only while the pairwise agreement is
counted, then dropped. An adapter that raises never stops the run. With
``isolation="process"`` every call goes to a worker process (see
conformance.isolation) that survives crashes, hangs and exits; adapters may
also run in other Python environments, named ``adapter@env``. Ctrl-C or
SIGTERM ends the loop after the current case with ``interrupted`` set, and
``resume`` continues a partial run from its saved state.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from adapters.base import Adapter, Loaded, Unavailable
from adapters.calling import Call, call_op
from cases.dtypes import result_dtype
from cases.model import Case
from conformance.bounds import agreement_tolerance
from conformance.conventions import classify
from conformance.metrics import softmax_metrics
from conformance.op_inputs import op_arrays, op_supported
from conformance.op_metrics import cross_entropy_metrics, log_softmax_metrics, vjp_metrics
from conformance.oracle import Oracle
from conformance.progress import Progress
from conformance.records import Result

__all__ = [
    "AdapterStatus",
    "Call",
    "InProcess",
    "Isolated",
    "RunOutcome",
    "Target",
    "agrees",
    "call_adapter",
    "load_adapters",
    "result_of",
    "run",
]


@dataclass(frozen=True)
class Target:
    """An adapter to run, in this environment (env None) or another one."""

    adapter: Adapter
    env: str | None = None

    @property
    def name(self) -> str:
        return f"{self.adapter.name}@{self.env}" if self.env else self.adapter.name


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
    agree: dict[tuple[str, str], int] = field(default_factory=dict)
    common: dict[tuple[str, str], int] = field(default_factory=dict)
    conventions: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)  # case ids every adapter has run
    interrupted: bool = False
    isolation: str = "none"
    # the same for the ops other than softmax: op -> (a, b) -> count
    op_agree: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    op_common: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    # adapter -> case id -> output, for cases of at most KEEP_OUTPUTS elements (merge uses them)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


KEEP_OUTPUTS = 4096


def load_adapters(adapters: Sequence[Adapter]) -> list[AdapterStatus]:
    return [InProcess().load(Target(a)) for a in adapters]


class Executor(Protocol):
    isolation: str

    def load(self, target: Target) -> AdapterStatus: ...

    def call(self, status: AdapterStatus, op: str, case: Case) -> Call: ...

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
            loaded, reason = target.adapter.load(), None
        except Unavailable as exc:
            loaded, reason = None, str(exc)
        return AdapterStatus(target.adapter, loaded, reason, target.adapter.versions(),
                             time.perf_counter() - t0, target.name)

    def call(self, status: AdapterStatus, op: str, case: Case) -> Call:
        assert status.loaded is not None
        return call_adapter(status.loaded, op, case)

    def close(self) -> None:
        pass


class Isolated:
    """Adapters in worker processes (conformance.isolation), one per backend and environment."""

    isolation = "process"

    def __init__(self, *, pythons: Mapping[str, str] | None = None, timeout: float = 60.0,
                 memory_limit: int | None = None, impls: Mapping[str, tuple[str, str]] | None
                 = None) -> None:
        from conformance.isolation import WorkerPool

        self.pool = WorkerPool(dict(pythons or {}), timeout, memory_limit)
        self.impls = dict(impls or {})
        self.keys: dict[str, str] = {}
        self.overhead = 0.0  # seconds of round trips beyond the calls themselves

    def load(self, target: Target) -> AdapterStatus:
        from conformance.isolation import worker_key

        if target.env and target.env not in self.pool.pythons:
            return AdapterStatus(target.adapter, None, f"no environment named {target.env!r}",
                                 {}, 0.0, target.name, target.env, False)
        key = worker_key(target.adapter, target.env)
        self.keys[target.name] = key
        ok, reason, versions, seconds, info = self.pool.load(
            target.adapter, target.adapter.name, key, self.impls.get(target.adapter.name))
        environment = {"python": info.get("python"), "executable": info.get("executable"),
                       "packages": info.get("versions", {})}
        return AdapterStatus(target.adapter, None, reason, versions, seconds, target.name,
                             target.env, ok, environment)

    def call(self, status: AdapterStatus, op: str, case: Case) -> Call:
        t0 = time.perf_counter()
        call = self.pool.call(status.adapter.name, self.keys[status.label], op,
                              op_arrays(op, case), case.axis)
        self.overhead += time.perf_counter() - t0 - call.seconds
        return call

    def close(self) -> None:
        self.pool.close()


def call_adapter(loaded: Loaded, op: str, case: Case) -> Call:
    """Call one op on fresh copies of its inputs (the case's input keeps its memory layout)."""
    return call_op(loaded, op, op_arrays(op, case), case.axis)


@dataclass(frozen=True)
class Reference:
    """The correctly rounded answer of one op on one case, and what its metrics need."""

    value: np.ndarray
    scale: np.ndarray | None = None  # softmax_vjp: the scale errors are measured against


def reference_of(oracle: Oracle, op: str, case: Case) -> Reference:
    if op == "log_softmax":
        return Reference(oracle.log_softmax(case.id, case.x, case.axis))
    if op == "softmax_vjp":
        from conformance.op_inputs import cotangent
        from conformance.oracle import softmax_vjp_scale

        g = cotangent(case)
        return Reference(oracle.softmax_vjp(case.id, case.x, g, case.axis),
                         softmax_vjp_scale(case.x, g, case.axis))
    if op == "cross_entropy":
        from conformance.op_inputs import labels

        return Reference(oracle.cross_entropy(case.id, case.x, labels(case), case.axis))
    return Reference(oracle.softmax(case.id, case.x, case.axis))


def result_of(adapter: Adapter | str, case: Case, op: str, call: Call,
              ref: np.ndarray | Reference) -> Result:
    """The Result of one call: its metrics against the reference, or the error it raised."""
    common: dict[str, Any] = dict(
        adapter=adapter if isinstance(adapter, str) else adapter.name,
        case=case.id,
        op=op,
        seconds=call.seconds,
        warnings=call.warnings,
        stdout=call.stdout,
        input_mutated=call.mutated,
    )
    if call.y is None:
        return Result(status=call.status, error=call.error, **common)
    if not isinstance(ref, Reference):
        ref = Reference(ref)
    dtype = result_dtype(case.dtype)
    if op == "log_softmax":
        m = log_softmax_metrics(case.x, call.y, ref.value, case.axis, dtype)
    elif op == "softmax_vjp":
        assert ref.scale is not None
        m = vjp_metrics(case.x, call.y, ref.value, ref.scale, case.axis, dtype)
    elif op == "cross_entropy":
        from conformance.op_inputs import labels

        m = cross_entropy_metrics(case.x, labels(case), call.y, ref.value, case.axis, dtype)
    else:
        m = softmax_metrics(case.x, call.y, ref.value, case.axis, dtype)
    return Result(status="ok", **common, **vars(m))


def agrees(a: np.ndarray, b: np.ndarray, dtype: str, op: str = "softmax",
           axis: int = -1) -> bool:
    """Do two outputs of one op on one case agree (conformance.bounds, Agreement)?

    softmax: every element within 8 eps relative, or both below the smallest normal.
    log_softmax and cross_entropy, whose values near 0 have no relative precision: within
    8 eps * (1 + |y|). softmax_vjp, whose exact values may be 0: within 8 eps of the row's
    largest |dx|. NaN must be in the same places; equal values (infinities) agree.
    """
    rtol, atol = agreement_tolerance(dtype)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(b64)):
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.maximum(np.abs(a64), np.abs(b64))
        if op in ("log_softmax", "cross_entropy"):
            size = 1.0 + size
        elif op == "softmax_vjp" and a64.size:
            finite = np.where(np.isfinite(size), size, 0.0)
            size = np.broadcast_to(np.max(finite, axis=axis, keepdims=True), size.shape)
        close = (a64 == b64) | (np.abs(a64 - b64) <= rtol * size)
        if op == "softmax":
            close |= size < atol
    return bool(np.all(close | np.isnan(a64)))


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
    targets = [t if isinstance(t, Target) else Target(t) for t in adapters]
    statuses = [executor.load(t) for t in targets]
    imports = sum(s.import_seconds for s in statuses)
    outcome = RunOutcome(statuses=statuses, cases=list(cases), results=[],
                         isolation=executor.isolation)
    conventions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    agree: dict[tuple[str, str], int] = defaultdict(int)
    common: dict[tuple[str, str], int] = defaultdict(int)
    op_agree: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    op_common: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    done: set[str] = set()
    if resume is not None:
        outcome.results = list(resume.results)
        agree.update(resume.agree)
        common.update(resume.common)
        for o, counts in resume.op_agree.items():
            op_agree[o].update(counts)
        for o, counts in resume.op_common.items():
            op_common[o].update(counts)
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
            pairs: list[tuple[str, dict[str, np.ndarray]]] = []
            for op in ops:
                runnable = [s for s in available if op in s.adapter.ops]
                if not runnable:
                    continue
                t0 = time.perf_counter()
                ref = None if op_supported(op, case) else reference_of(oracle, op, case)
                oracle_seconds += time.perf_counter() - t0
                outputs: dict[str, np.ndarray] = {}
                for status in runnable:
                    name = status.label
                    reason = status.adapter.capabilities.unsupported_reason(
                        case.shape, case.axis, case.dtype) or op_supported(op, case)
                    if reason is not None:
                        results.append(Result(adapter=name, case=case.id, op=op,
                                              status="unsupported", error=reason))
                        if op == "softmax":
                            labels += [(name, k, "unsupported")
                                       for k in classify(case.x, case.axis, case.all_tags, None)]
                        continue
                    assert ref is not None
                    call = executor.call(status, op, case)
                    in_adapters += call.seconds
                    result = result_of(name, case, op, call, ref)
                    results.append(result)
                    if op == "softmax":
                        labels += [(name, k, v) for k, v in
                                   classify(case.x, case.axis, case.all_tags, call.y).items()]
                    if call.y is not None and result.shape_ok:
                        outputs[name] = call.y
                        if op == "softmax" and call.y.size <= KEEP_OUTPUTS:
                            outcome.outputs.setdefault(name, {})[case.id] = call.y
                pairs.append((op, outputs))
            # a case counts only once every adapter has run on it
            outcome.results += results
            for name, kind, label in labels:
                conventions[name][kind].add(label)
            dtype = result_dtype(case.dtype)
            for op, outputs in pairs:
                agree_, common_ = (agree, common) if op == "softmax" else (op_agree[op],
                                                                          op_common[op])
                names = sorted(outputs)
                for i, a in enumerate(names):
                    for b in names[i + 1 :]:
                        common_[a, b] += 1
                        if agrees(outputs[a], outputs[b], dtype, op, case.axis):
                            agree_[a, b] += 1
            outcome.completed.append(case.id)
            if progress is not None:
                progress.advance(case.id)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        if progress is not None:
            progress.close()
    outcome.agree, outcome.common = dict(agree), dict(common)
    outcome.op_agree = {o: dict(c) for o, c in op_agree.items()}
    outcome.op_common = {o: dict(c) for o, c in op_common.items()}
    outcome.conventions = {a: dict(k) for a, k in conventions.items()}
    outcome.timing = {
        "wall": time.perf_counter() - wall0,
        "imports": imports,
        "in_adapters": in_adapters,
        "oracle": oracle_seconds,
        "isolation_overhead": getattr(executor, "overhead", 0.0),
    }
    return outcome
