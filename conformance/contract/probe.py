"""Calling one implementation on a case the gate or the hunt built, measured against the
oracle: what a probe check may do (conformance.contract.checks.Probe)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adapters.base import Adapter, Loaded
from cases.model import Case
from conformance.execute.runner import call_adapter, result_of
from conformance.measure.records import Result
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
        ref = self.op.reference(self.oracle, prepared)
        return result_of(self.adapter, prepared, call, ref), call.y
