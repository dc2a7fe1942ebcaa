"""Calling one implementation on a case the gate or the hunt built, measured against the
oracle: what a probe check may do (conformance.contract.checks.Probe).

The call goes through an executor (conformance.execute.runner): in a worker process
(``Isolated``) a crash, an exit or a hang of the implementation is a result with status
crash or timeout, kept as a failure of the check in flight; in this process
(``InProcess``) nothing protects the gate, which is what ``--isolation none`` is for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from adapters.base import Adapter, Unavailable
from adapters.external import ImplError
from cases.dtypes import result_dtype
from cases.model import Case
from conformance.contract.checks import ENDED, Failure
from conformance.execute.case_run import result_of
from conformance.execute.executors import AdapterStatus, Executor, InProcess, Target
from conformance.measure.records import Result
from conformance.measure.rows import measured_dtype
from conformance.ops import OpInfo
from conformance.oracle import Oracle

__all__ = ["BATCH_BYTES", "GateProbe", "LoadFailed"]

# the input bytes of the cases sent to the worker in one request by ``GateProbe.run_all``
BATCH_BYTES = 32 * 2**20


class LoadFailed(Exception):
    """The implementation could not be loaded: ``failure`` says how (execute.isolation's
    Loading: unavailable, usage, crash, timeout)."""

    def __init__(self, failure: str, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason


@dataclass
class GateProbe:
    """Calls the implementation on a case and measures it against the oracle."""

    adapter: Adapter
    oracle: Oracle
    op: OpInfo
    executor: Executor = field(default_factory=InProcess)
    device: str | None = None  # where the adapter places its tensors (None: its default)
    calls: int = 0
    # the calls that did not return (crash, timeout), kept for the check in flight
    ended: list[Failure] = field(default_factory=list)
    _status: AdapterStatus | None = field(default=None, repr=False)
    _loading: Callable[[], list[AdapterStatus]] | None = field(default=None, repr=False)
    _recalled: dict[str, tuple[np.ndarray, np.ndarray, str] | None] = field(
        default_factory=dict, repr=False)

    def start_loading(self) -> None:
        """Start loading the implementation (a worker imports it while this process goes
        on); ``load`` waits for it."""
        self._loading = self.executor.load_all([self.target])

    def load(self) -> None:
        """Load the implementation; LoadFailed says why it cannot be."""
        loading, self._loading = self._loading, None
        try:
            status = loading()[0] if loading else self.executor.load(self.target)
        except Unavailable as exc:
            raise LoadFailed("unavailable", str(exc)) from None
        except ImplError as exc:  # --isolation none resolves the --impl here
            raise LoadFailed("usage", str(exc)) from None
        if not status.available:
            raise LoadFailed(status.failure or "unavailable", status.reason or "not loaded")
        self._status = status

    @property
    def target(self) -> Target:
        return Target(self.adapter, device=self.device)

    @property
    def capabilities(self):
        return self.adapter.capabilities

    def _loaded_status(self) -> AdapterStatus:
        """The implementation's status, loaded first if it is not yet."""
        if self._status is None:
            self.load()
        assert self._status is not None
        return self._status

    def _call(self, case: Case):
        prepared = self.op.prepare(case)
        return prepared, self.executor.call(self._loaded_status(), prepared)

    def run(self, case: Case) -> tuple[Result, np.ndarray | None]:
        return next(self.run_all([case]))

    def run_all(self, cases: Sequence[Case]) -> Iterator[tuple[Result, np.ndarray | None]]:
        """``run`` of each case, in order; the calls go to the executor in batches of at
        most BATCH_BYTES of input (one round trip to a worker each, not one per case), and
        the oracle computes a batch's references while the implementation runs."""
        batch: list[Case] = []
        size = 0
        for case in cases:
            batch.append(case)
            size += case.x.nbytes
            if size >= BATCH_BYTES:
                yield from self._run_batch(batch)
                batch, size = [], 0
        if batch:
            yield from self._run_batch(batch)

    def _run_batch(self, cases: Sequence[Case]) -> Iterator[tuple[Result, np.ndarray | None]]:
        status = self._loaded_status()
        meaningless = [self.op.applies(c) for c in cases]
        prepared = [self.op.prepare(c) for c, why in zip(cases, meaningless, strict=True)
                    if not why]
        waiting = self.executor.call_all([(status, p) for p in prepared])
        references = [self.op.references(self.oracle, p) for p in prepared]
        for p, refs in zip(prepared, references, strict=True):  # while the worker computes
            refs(result_dtype(p.case.dtype))
        calls = iter(zip(prepared, references, waiting(), strict=True))
        for case, why in zip(cases, meaningless, strict=True):
            self.calls += 1
            if why:
                yield Result(adapter=self.adapter.name, case=case.id, op=self.op.name,
                             status="unsupported", error=why), None
                continue
            p, refs, call = next(calls)
            result = result_of(self.adapter, p, call, refs)
            if result.status in ENDED:
                self.ended.append(Failure(case, result, "the call did not return: "
                                          f"{result.error}", result.status))
            yield result, call.y

    def take_ended(self) -> list[Failure]:
        """The calls that did not return since the last time asked."""
        ended, self.ended = self.ended, []
        return ended

    def recall(self, case: Case) -> tuple[np.ndarray, np.ndarray, str] | None:
        """The output of a case again (deterministic implementations give the same), with
        the reference in the dtype it is measured in: what the explanations of a failure
        read. None when the call raises or the op has no meaning there."""
        if case.id not in self._recalled:
            got = None
            if not self.op.applies(case):
                prepared, call = self._call(case)
                if call.y is not None and call.y.shape == self.op.output_shape(
                        case.shape, case.axis):
                    dtype = measured_dtype(case.dtype, call.y)
                    ref = self.op.reference(self.oracle, prepared, dtype).value
                    got = (call.y, ref, dtype)
            self._recalled[case.id] = got
        return self._recalled[case.id]
