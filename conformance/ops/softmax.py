"""softmax: y = exp(x - logsumexp(x, axis))."""

from __future__ import annotations

import numpy as np

from cases.dtypes import float_format, result_dtype
from cases.model import Case
from conformance.measure import explain
from conformance.measure.bounds import Policy
from conformance.measure.mechanisms import flushed_to_zero, num, row_cause, worst_cause
from conformance.measure.records import Finding, Metrics, Result
from conformance.measure.softmax_metrics import softmax_metrics
from conformance.ops.base import OpCase, OpInfo, Reference
from conformance.oracle import Oracle
from conformance.oracle import bench as oracle_bench

__all__ = ["SOFTMAX"]


def _reference(oracle: Oracle, c: OpCase, out: str | None = None) -> Reference:
    return Reference(oracle.softmax(c.case.id, c.case.x, c.case.axis, out))


def _measure(c: OpCase, y: np.ndarray, ref: Reference, dtype: str) -> Metrics:
    return softmax_metrics(c.case.x, y, ref.value, c.case.axis, dtype)


def _findings(case: Case, result: Result, policy: Policy) -> list[Finding]:
    """Non-finite or all-zero rows by the computation that breaks exactly those rows; rows
    that do not sum to one along the axis but along another (a wrong axis); an inaccurate
    output that flush-to-zero or an unshifted or globally shifted exp reproduces."""
    found: list[Finding] = []

    def add(defect: str, detail: str) -> None:
        first, _, other = defect.partition("|")
        found.append(Finding(first, case.id, detail, other or None, op=result.op))

    if result.nonfinite_rows:
        cause = row_cause(case, result.nonfinite_rows, bool(result.inf_count))
        add(cause, f"{result.nan_count} NaN, {result.inf_count} inf where the answer is finite")
        return found
    n = case.shape[case.axis]
    rse = result.row_sum_error
    cond = result.max_cond_error
    fmt = float_format(result_dtype(case.dtype))
    dtype = result_dtype(case.dtype)
    if rse is not None and rse > policy.row_sum_bound(n, dtype):
        multi_row = case.x.ndim > 1 and case.x.size > n
        along_other = result.sums_to_one_along or ()
        if along_other and (multi_row or "each-element" in along_other):
            along = ", ".join(along_other)
            add("wrong-axis", f"rows off by {rse:.3g} eps; sums to one along: {along}")
            return found
        if result.zero_rows:
            cause = row_cause(case, result.zero_rows)
            add(cause, f"rows of zeros; row sums off by {rse:.3g} eps")
            return found
        # a row off by 90% or more whose ratios exp(x_i - x_j) are broken too: its
        # elements were divided by different sums (another row's, another column's)
        broken = result.row_ratio_spread is not None and result.row_ratio_spread > 0.5
        if multi_row and rse * fmt.eps > 0.9 and broken:
            add("wrong-axis", f"rows off by {rse:.3g} eps, ratios within rows broken too")
            return found
    bound = policy.accuracy_bound(result_dtype(case.dtype))
    if (cond is not None and cond > bound) or (
            rse is not None and rse > policy.row_sum_bound(n, dtype)):
        detail = (f"condition-aware error {num(cond)} (bound {bound}), row sum off by "
                  f"{num(rse)} eps")
        if flushed_to_zero(case, result, bound):
            add("flush-to-zero", f"{result.flushed} subnormal outputs returned as 0: {detail}")
        elif shifted := worst_cause(case, result):
            add(shifted, f"{detail}; reproduced by an unshifted or globally shifted exp")
        else:
            add("inaccurate", detail)
    return found


SOFTMAX = OpInfo(
    name="softmax",
    contract="y = exp(x - logsumexp(x, axis))",
    args=("x",),
    reference=_reference,
    measure=_measure,
    findings=_findings,
    traits=frozenset({"monotone", "distribution"}),
    agreement="relative",
    range_text="outside [0, 1]",
    row_check_text=("a row sums to 1 ±", ""),
    notes={
        "accuracy": "Worst ULP error / worst condition-aware error / worst row-sum error (in "
        "epsilons), against the correctly rounded reference, over cases with a defined answer.",
    },
    bench=oracle_bench.SOFTMAX,
    explain=(explain.downcast, explain.clipped_probabilities, explain.wrong_scale,
             explain.division_free, explain.denominator_factor),
)
