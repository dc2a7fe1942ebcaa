"""Calling one implementation on a case the gate or the hunt built, measured against the
oracle: what a probe check may do (conformance.contract.checks.Probe)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adapters.base import Adapter, Loaded
from cases.model import Case
from conformance.execute.runner import call_adapter, result_of
from conformance.measure.records import Result
from conformance.measure.rows import measured_dtype
from conformance.ops import OpInfo
from conformance.oracle import Oracle

__all__ = ["GateProbe"]


@dataclass
class GateProbe:
    """Calls the implementation on a case and measures it against the oracle."""

    adapter: Adapter
    loaded: Loaded
    oracle: Oracle
    op: OpInfo
    calls: int = 0
    _recalled: dict[str, tuple[np.ndarray, np.ndarray, str] | None] = field(
        default_factory=dict, repr=False)

    @property
    def capabilities(self):
        return self.adapter.capabilities

    def run(self, case: Case) -> tuple[Result, np.ndarray | None]:
        self.calls += 1
        meaningless = self.op.applies(case)
        if meaningless:
            return Result(adapter=self.adapter.name, case=case.id, op=self.op.name,
                          status="unsupported", error=meaningless), None
        prepared = self.op.prepare(case)
        call = call_adapter(self.loaded, prepared)
        return result_of(self.adapter, prepared, call, self.op.references(self.oracle,
                                                                           prepared)), call.y

    def recall(self, case: Case) -> tuple[np.ndarray, np.ndarray, str] | None:
        """The output of a case again (deterministic implementations give the same), with
        the reference in the dtype it is measured in: what the explanations of a failure
        read. None when the call raises or the op has no meaning there."""
        if case.id not in self._recalled:
            got = None
            if not self.op.applies(case):
                prepared = self.op.prepare(case)
                call = call_adapter(self.loaded, prepared)
                if call.y is not None and call.y.shape == self.op.output_shape(
                        case.shape, case.axis):
                    dtype = measured_dtype(case.dtype, call.y)
                    ref = self.op.reference(self.oracle, prepared, dtype).value
                    got = (call.y, ref, dtype)
            self._recalled[case.id] = got
        return self._recalled[case.id]
