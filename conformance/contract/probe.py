"""Calling one implementation on a case the gate or the hunt built, measured against the
oracle: what a probe check may do (conformance.contract.checks.Probe).

The call goes through an executor (conformance.execute.runner): in a worker process
(``Isolated``) a crash, an exit or a hang of the implementation is a result with status
crash or timeout, kept as a failure of the check in flight; in this process
(``InProcess``) nothing protects the gate, which is what ``--isolation none`` is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adapters.base import Adapter, Unavailable
from adapters.external import ImplError
from cases.model import Case
from conformance.contract.checks import ENDED, Failure
from conformance.execute.case_run import result_of
from conformance.execute.executors import AdapterStatus, Executor, InProcess, Target
from conformance.measure.records import Result
from conformance.measure.rows import measured_dtype
from conformance.ops import OpInfo
from conformance.oracle import Oracle

__all__ = ["GateProbe", "LoadFailed"]


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
    _recalled: dict[str, tuple[np.ndarray, np.ndarray, str] | None] = field(
        default_factory=dict, repr=False)

    def load(self) -> None:
        """Load the implementation; LoadFailed says why it cannot be."""
        try:
            status = self.executor.load(self.target)
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

    def _call(self, case: Case):
        if self._status is None:
            self.load()
        assert self._status is not None
        prepared = self.op.prepare(case)
        return prepared, self.executor.call(self._status, prepared)

    def run(self, case: Case) -> tuple[Result, np.ndarray | None]:
        self.calls += 1
        meaningless = self.op.applies(case)
        if meaningless:
            return Result(adapter=self.adapter.name, case=case.id, op=self.op.name,
                          status="unsupported", error=meaningless), None
        prepared, call = self._call(case)
        result = result_of(self.adapter, prepared, call, self.op.references(self.oracle,
                                                                             prepared))
        if result.status in ENDED:
            self.ended.append(Failure(case, result, f"the call did not return: {result.error}",
                                      result.status))
        return result, call.y

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
