"""How good the gate is: the contract run over the mutation corpus (adapters.mutants).

For every broken implementation: was it flagged, and did the gate name the cause code it
was broken with? For every correct one: did it pass? ``conformance bench-gate`` prints
the figures and the misses; the test suite asserts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adapters.mutants import Mutant, mutant_adapter
from cases.model import Case
from conformance.contract.gate import GateResult, run_gate
from conformance.execute.progress import Progress
from conformance.measure.bounds import Policy
from conformance.oracle import Oracle

__all__ = ["BenchFigures", "MutantOutcome", "bench_gate", "figures"]


@dataclass(frozen=True)
class MutantOutcome:
    mutant: Mutant
    flagged: bool
    codes: tuple[str, ...]  # the cause codes the gate named, most frequent first
    failed: tuple[str, ...]  # the checks that failed, check[dtype]
    seconds: float
    error: str | None = None  # the gate could not run it (an unavailable backend)

    @property
    def right_cause(self) -> bool:
        return self.flagged and self.mutant.cause in self.codes

    @property
    def verdict(self) -> str:
        if self.error:
            return f"not run: {self.error}"
        if not self.mutant.broken:
            return "false alarm" if self.flagged else "passed"
        if not self.flagged:
            return "missed"
        return "right cause" if self.right_cause else "wrong cause"


@dataclass(frozen=True)
class BenchFigures:
    broken: int
    flagged: int
    right_cause: int
    correct: int
    false_alarms: int
    not_run: int
    seconds: float

    def lines(self) -> list[str]:
        share = 100.0 * self.right_cause / self.broken if self.broken else 0.0
        return [
            f"broken implementations flagged: {self.flagged} of {self.broken}",
            f"flagged with the expected cause: {self.right_cause} of {self.broken} "
            f"({share:.1f}%)",
            f"correct implementations wrongly flagged: {self.false_alarms} of {self.correct}",
            *([f"not run (backend unavailable): {self.not_run}"] if self.not_run else []),
            f"time: {self.seconds:.1f} s",
        ]


def _codes(gate: GateResult) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for o in gate.outcomes:
        if not o.failed or o.diagnosis is None:
            continue
        for code, n in o.diagnosis.causes:
            counts[code] = counts.get(code, 0) + n
        if o.diagnosis.code:
            counts.setdefault(o.diagnosis.code, 1)
    return tuple(sorted(counts, key=lambda c: -counts[c]))


def bench_gate(
    mutants: Sequence[Mutant],
    *,
    policy: Policy,
    dtypes: Sequence[str],
    cases: Sequence[Case],
    oracle: Oracle,
    reproduce: Callable[[Case], str] = lambda case: "",
    progress: Progress | None = None,
) -> list[MutantOutcome]:
    """Run the gate on every mutant, on ``cases`` and the probe checks' own inputs."""
    from adapters.base import Unavailable

    out = []
    for mutant in mutants:
        if progress is not None:
            progress.advance(mutant.name)
        t0 = time.perf_counter()
        try:
            gate = run_gate(mutant_adapter(mutant), policy=policy, dtypes=dtypes, oracle=oracle,
                            reproduce=reproduce, cases=cases, op=mutant.op,
                            progress=Progress(1, mutant.name, enabled=False))
        except Unavailable as exc:
            out.append(MutantOutcome(mutant, False, (), (), time.perf_counter() - t0, str(exc)))
            continue
        failed = tuple(f"{o.check}[{o.dtype}]" for o in gate.outcomes if o.failed)
        out.append(MutantOutcome(mutant, not gate.conforms, _codes(gate), failed,
                                 time.perf_counter() - t0))
    if progress is not None:
        progress.close()
    return out


def figures(outcomes: Sequence[MutantOutcome], seconds: float) -> BenchFigures:
    ran = [o for o in outcomes if o.error is None]
    broken = [o for o in ran if o.mutant.broken]
    correct = [o for o in ran if not o.mutant.broken]
    return BenchFigures(
        broken=len(broken),
        flagged=sum(o.flagged for o in broken),
        right_cause=sum(o.right_cause for o in broken),
        correct=len(correct),
        false_alarms=sum(o.flagged for o in correct),
        not_run=len(outcomes) - len(ran),
        seconds=seconds,
    )
