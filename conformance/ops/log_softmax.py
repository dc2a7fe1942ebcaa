"""log_softmax: y = x - logsumexp(x, axis)."""

from __future__ import annotations

import numpy as np

from cases.model import Case
from conformance.measure import explain
from conformance.measure.bounds import Policy
from conformance.measure.mechanisms import (
    log_of_zero,
    numeric_findings,
    row_cause,
    whole_rows_broken,
)
from conformance.measure.op_metrics import log_softmax_metrics
from conformance.measure.records import Finding, Metrics, Result
from conformance.ops.base import OpCase, OpInfo, Reference
from conformance.oracle import Oracle
from conformance.oracle import bench as oracle_bench

__all__ = ["LOG_SOFTMAX", "LOG_SUM_EXP"]

LOG_SUM_EXP = "x - max - log(sum(exp(x - max))) along the axis"


def _reference(oracle: Oracle, c: OpCase, out: str | None = None) -> Reference:
    return Reference(oracle.log_softmax(c.case.id, c.case.x, c.case.axis, out))


def _measure(c: OpCase, y: np.ndarray, ref: Reference, dtype: str) -> Metrics:
    return log_softmax_metrics(c.case.x, y, ref.value, c.case.axis, dtype)


def _nonfinite_cause(case: Case, result: Result) -> str:
    """A whole row broken by an overflowing or underflowing sum of exp; else the log of a
    probability that underflowed to 0 (only where the exact one is below the dtype)."""
    whole = whole_rows_broken(case, result)
    if whole is not None:
        return whole
    if log_of_zero(case, result, lambda expected: expected):
        return "log-of-zero"
    return row_cause(case, result.nonfinite_rows)


def _findings(case: Case, result: Result, policy: Policy) -> list[Finding]:
    return numeric_findings(case, result, policy, factor=1.0, nonfinite_cause=_nonfinite_cause)


LOG_SOFTMAX = OpInfo(
    name="log_softmax",
    contract="y = x - logsumexp(x, axis)",
    args=("x",),
    reference=_reference,
    measure=_measure,
    findings=_findings,
    traits=frozenset({"monotone", "log-domain"}),
    agreement="absolute",
    range_text="above 0",
    row_check_text=("sum(exp(y)) of a row is 1 ±", " of its elements' scale"),
    fixes={"overflow": LOG_SUM_EXP, "underflow": LOG_SUM_EXP, "nan-output": LOG_SUM_EXP},
    notes={
        "accuracy": "Worst ULP error / worst condition-aware error / worst row check. "
        "Condition-aware: |y_i − ref_i| in epsilons of 1 + |x_i| + Σ s_j |x_j| + |ref_i| "
        "(absolute: y near 0 has no relative precision). Row check: |Σ exp(y) − 1| in epsilons "
        "of Σ s_i (1 + |x_i| + Σ s_j |x_j| + |ref_i|), what those bounds let the sum move.",
        "agreement": "within 8 eps · (1 + |y|), NaN in the same places.",
    },
    bench=oracle_bench.LOG_SOFTMAX,
    explain=(explain.downcast, explain.clipped_log, explain.normalised_elsewhere,
             explain.wrong_scale_log, explain.denominator_shift),
)
