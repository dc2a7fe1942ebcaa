"""Which known defects a run's metrics show, and on which case.

Every name in adapters.base.DEFECTS is detected from the metrics and the
input alone (never from an adapter's name): here the defects every op shares
(raises, a changed shape or dtype, a modified input), then the numeric ones
by the op record's own ``findings`` (built from conformance.measure.mechanisms:
the cause of a non-finite or all-zero row is told apart by asking which
computation would have broken on exactly that row). Cases whose behaviour is a
convention (NaN, +inf, fully masked rows, empty and integer input) raise no
``raises`` (raising there is a convention); their rows with a defined answer are
held to the same defects as any other row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cases.dtypes import FLOAT_DTYPES, float_format
from cases.model import Case
from conformance.measure.bounds import DEFAULT, Policy
from conformance.measure.records import Finding, Result
from conformance.ops import get_op

__all__ = ["Finding", "detect", "findings_for"]


def findings_for(case: Case, result: Result, policy: Policy = DEFAULT) -> list[Finding]:
    """The defects one result shows."""
    found: list[Finding] = []

    def add(defect: str, detail: str) -> None:
        found.append(Finding(defect, case.id, detail, op=result.op))

    if result.status == "unsupported":
        return found
    if result.input_mutated:
        add("mutates-input", "the input array was modified")
    if result.status != "ok":
        if _wrote_into_read_only(case, result):
            add("mutates-input", f"writes into its input, which raises on a read-only "
                f"{case.layout} view: {result.error}")
        elif not case.is_special:  # raising on NaN, inf, masks, empty, int is a convention
            add("raises", result.error or result.status)
        return found
    if result.shape_ok is False:
        add("shape-changed", f"output shape differs from the expected one ({case.shape} input)")
        return found
    if result.dtype_ok is False:
        add("dtype-changed", f"returned {result.out_dtype} for {case.dtype} input")
        if _narrowed(case.dtype, result.out_dtype):
            # computed in fewer bits than asked: every number that misses the reference is
            # the downcast's doing ([1e300, 0] becomes [inf, 0]); the same mechanisms are
            # judged on the cases of the dtype it computes in
            return found
    return found + get_op(result.op).findings(case, result, policy)


def _narrowed(asked: str, returned: str | None) -> bool:
    """Did the result come back in a float format of fewer significand bits?"""
    if asked not in FLOAT_DTYPES or returned not in FLOAT_DTYPES:
        return False
    return float_format(returned).precision < float_format(asked).precision


_READ_ONLY = ("read-only", "not writeable", "is read only")


def _wrote_into_read_only(case: Case, result: Result) -> bool:
    """Did the call fail writing into a read-only input (a broadcast view)?"""
    error = (result.error or "").lower()
    return case.layout == "broadcast" and any(w in error for w in _READ_ONLY)


def _resolve(findings: list[Finding]) -> list[Finding]:
    """A case two defects explain equally goes to the one this adapter shows elsewhere."""
    certain = {f.defect for f in findings if f.alternative is None}
    out = []
    for f in findings:
        if f.alternative and f.alternative in certain and f.defect not in certain:
            f = Finding(f.alternative, f.case, f.detail, op=f.op)
        out.append(f)
    return out


def detect(cases: Iterable[Case], results: Iterable[Result]) -> dict[str, list[Finding]]:
    """adapter name -> findings, over a run's results of every op."""
    by_id: Mapping[str, Case] = {c.id: c for c in cases}
    out: dict[str, list[Finding]] = {}
    for r in results:
        if r.case not in by_id:
            continue
        out.setdefault(r.adapter, []).extend(findings_for(by_id[r.case], r))
    return {name: _resolve(fs) for name, fs in out.items()}
