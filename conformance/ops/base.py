"""The op record: everything the harness knows about one op, in one place.

TESTING A NEW OPERATOR
======================
An op is one ``OpInfo`` in a module of its own under ``conformance/ops/``
(see softmax.py for the simplest), registered in ``conformance/ops/__init__.py``,
with its correctly rounded reference in ``conformance/oracle/`` and its metrics
in ``conformance/measure/``. Nothing else names it: the runner, the gate, the
hunt, the diagnosis, the reproducers, ``--impl`` wrapping, the oracle bench and
the renderers read the record. Fill in:

- ``name``, ``contract`` (one line, as DESIGN.md states it) and ``args``: the
  names of the arrays the op takes, in call order, the input first
  (``("x", "g")``); an implementation is called ``f(*arrays, axis)``.
- ``derive``: the arrays after the input, built from the case once
  (conformance.ops.inputs), and ``derived_by``: the function of that module
  which rebuilds each, so a reproducer can rebuild it from the case.
- ``output_shape``, ``applies`` (why a case has no meaning for the op).
- ``reference`` (the oracle's answer, in an output dtype or the case's, and the scale
  the metrics need) and
  ``measure`` (the metrics of one output against it).
- ``traits``: the properties the probe checks test (``monotone``: a larger
  input never gets a smaller output, ties stay ties, permutation commutes;
  ``log-domain``: finite for logits at any scale; ``distribution``: the output
  is a probability distribution, whose conventions are classified).
- ``agreement``: how two implementations' outputs are compared
  (``relative``, ``absolute`` in 1 + |y|, or ``row-scale``).
- the words of its checks (``range_text``, ``row_check_text``), the fixes it
  diagnoses where they differ from softmax's (``fixes``), its numeric defect
  detection (``findings``), what explains an inaccurate output (``explain``,
  from conformance.measure.explain) and the notes a report prints (``notes``).
Then add tests under tests/ops/ and tests/oracle/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from cases.model import Case

if TYPE_CHECKING:
    from conformance.measure.bounds import Policy
    from conformance.measure.explain import Explanation
    from conformance.measure.records import Finding, Metrics, Result
    from conformance.oracle import Oracle

__all__ = [
    "AGREEMENT_RULES",
    "TRAITS",
    "OpCase",
    "OpInfo",
    "Reference",
    "References",
    "same_shape",
]

TRAITS = {
    "monotone": "a larger input never gets a smaller output: ties stay ties, a permutation of a "
    "row permutes the output",
    "log-domain": "finite and accurate for finite logits at any scale",
    "distribution": "the output is a probability distribution along the axis; where it has no "
    "single right answer its convention is classified",
}

AGREEMENT_RULES = {
    "relative": "within 8 eps relative, below the smallest normal number counts as equal",
    "absolute": "within 8 eps · (1 + |y|)",
    "row-scale": "within 8 eps of the row's largest |y|",
}


@dataclass(frozen=True)
class Reference:
    """The correctly rounded answer of one op on one case, and what its metrics need."""

    value: np.ndarray
    scale: np.ndarray | None = None  # softmax_vjp: the scale errors are measured against


def same_shape(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """The output has the input's shape."""
    return shape


def _always(case: Case) -> str | None:
    return None


@dataclass(frozen=True, eq=False)
class OpInfo:
    """One op, described as data (see the module docstring for each field)."""

    name: str
    contract: str
    args: tuple[str, ...]
    reference: Callable[[Oracle, OpCase, str | None], Reference]
    measure: Callable[[OpCase, np.ndarray, Reference, str], Metrics]
    findings: Callable[[Case, Result, Policy], list[Finding]]
    derive: Callable[[Case], tuple[np.ndarray, ...]] = lambda case: ()
    derived_by: tuple[str, ...] = ()
    output_shape: Callable[[tuple[int, ...], int], tuple[int, ...]] = same_shape
    applies: Callable[[Case], str | None] = _always
    traits: frozenset[str] = frozenset()
    agreement: str = "relative"
    accuracy_factor: float = 1.0  # times the policy's accuracy bound
    range_text: str = "outside [0, 1]"
    row_check_text: tuple[str, str] = ("a row sums to 1 ±", "")
    fixes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # the oracle timed by `conformance bench-oracle`: (fast with statistics, mpmath, what
    # the second input is); see conformance.oracle.bench
    bench: Any = None
    # what may explain a finite output beyond the bound (conformance.measure.explain), in
    # the order the diagnosis tries them
    explain: tuple[Explanation, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.traits) - set(TRAITS)
        if unknown:
            raise ValueError(f"op {self.name}: unknown traits {sorted(unknown)}")
        if self.agreement not in AGREEMENT_RULES:
            raise ValueError(f"op {self.name}: agreement={self.agreement!r} must be one of "
                             f"{sorted(AGREEMENT_RULES)}")
        if len(self.derived_by) != len(self.args) - 1:
            raise ValueError(f"op {self.name}: derived_by names {len(self.derived_by)} "
                             f"functions for {len(self.args) - 1} derived arrays")

    def prepare(self, case: Case) -> OpCase:
        """The case as this op sees it: its derived arrays built once, read-only."""
        extras = tuple(self.derive(case))
        for a in extras:
            a.setflags(write=False)
        return OpCase(self, case, extras)

    def references(self, oracle: Oracle, prepared: OpCase) -> References:
        """The reference of this op on one case, computed once per output dtype."""
        return References(self, oracle, prepared)

    def describe(self) -> dict[str, Any]:
        """What a report records of the op (renderers print these, never the code's names)."""
        return {"contract": self.contract, "args": list(self.args),
                "traits": sorted(self.traits), "agreement": AGREEMENT_RULES[self.agreement],
                "accuracy_factor": self.accuracy_factor, **dict(self.notes)}


class References:
    """The correctly rounded answers of one op on one case, by output dtype, computed when
    first asked: the case's result dtype for a float input; for integer input, the float
    dtype an implementation returned (conformance.measure.rows.measured_dtype)."""

    def __init__(self, op: OpInfo, oracle: Oracle, prepared: OpCase) -> None:
        self.op, self.oracle, self.prepared = op, oracle, prepared
        self._by_dtype: dict[str, Reference] = {}

    def __call__(self, dtype: str) -> Reference:
        if dtype not in self._by_dtype:
            self._by_dtype[dtype] = self.op.reference(self.oracle, self.prepared, dtype)
        return self._by_dtype[dtype]


@dataclass(frozen=True, eq=False)
class OpCase:
    """One case as one op sees it: the input and the arrays derived from it."""

    op: OpInfo
    case: Case
    extras: tuple[np.ndarray, ...]

    def arrays(self) -> list[np.ndarray]:
        """Fresh arrays for one call: the input in the case's memory layout, then copies of
        the derived ones (an implementation may write into what it is given)."""
        return [self.case.input_copy(), *(np.array(a, copy=True) for a in self.extras)]
