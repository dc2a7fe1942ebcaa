"""cross_entropy: loss = -log_softmax(logits, axis)[label], one loss per row (never the mean)."""

from __future__ import annotations

import numpy as np

from cases.model import Case
from conformance.measure import explain
from conformance.measure.bounds import Policy
from conformance.measure.mechanisms import log_of_zero, numeric_findings, row_cause
from conformance.measure.op_metrics import cross_entropy_metrics
from conformance.measure.records import Finding, Metrics, Result
from conformance.ops.base import OpCase, OpInfo, Reference
from conformance.ops.inputs import labels
from conformance.oracle import Oracle
from conformance.oracle import bench as oracle_bench

__all__ = ["CROSS_ENTROPY"]


def _derive(case: Case) -> tuple[np.ndarray, ...]:
    return (labels(case),)


def _without_axis(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """One loss per row: the shape without the class axis."""
    axis %= len(shape)
    return shape[:axis] + shape[axis + 1:]


def _applies(case: Case) -> str | None:
    return "no classes along the axis" if case.shape[case.axis] == 0 else None


def _reference(oracle: Oracle, c: OpCase, out: str | None = None) -> Reference:
    return Reference(oracle.cross_entropy(c.case.id, c.case.x, c.extras[0], c.case.axis, out))


def _measure(c: OpCase, y: np.ndarray, ref: Reference, dtype: str) -> Metrics:
    return cross_entropy_metrics(c.case.x, c.extras[0], y, ref.value, c.case.axis, dtype)


def _lse_elsewhere(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """The loss with logsumexp taken along another axis than the case's: the simulation
    reproduces the output within 1e-3 (relative to 1 + |loss|)."""
    if case.x.ndim < 2 or case.x.size == 0:
        return None
    x64, y64 = case.x.astype(np.float64), y.astype(np.float64)
    lab = np.expand_dims(labels(case), case.axis)
    with np.errstate(all="ignore"):
        for other in range(x64.ndim):
            if other == case.axis % x64.ndim:
                continue
            m = np.max(x64, axis=other, keepdims=True)
            lse = m + np.log(np.sum(np.exp(x64 - m), axis=other, keepdims=True))
            sim = -np.take_along_axis(x64 - lse, lab, axis=case.axis).squeeze(case.axis)
            close = np.abs(y64 - sim) <= 1e-3 * (1 + np.abs(sim))
            if np.all(close | ~np.isfinite(sim)) and np.any(np.isfinite(sim)):
                return "wrong-axis"
    return None


def _nonfinite_cause(case: Case, result: Result) -> str:
    """One value per row: the label's exact probability tells the log of zero from a broken
    sum."""
    if log_of_zero(case, result, lambda expected: -expected):
        return "log-of-zero"
    return row_cause(case, result.nonfinite_rows)


def _findings(case: Case, result: Result, policy: Policy) -> list[Finding]:
    return numeric_findings(case, result, policy, factor=1.0, nonfinite_cause=_nonfinite_cause)


CROSS_ENTROPY = OpInfo(
    name="cross_entropy",
    contract="loss = -log_softmax(logits, axis)[label], per row",
    args=("x", "labels"),
    derive=_derive,
    derived_by=("labels",),
    output_shape=_without_axis,
    applies=_applies,
    reference=_reference,
    measure=_measure,
    findings=_findings,
    traits=frozenset({"log-domain"}),
    agreement="absolute",
    range_text="below 0",
    fixes={"overflow": "logsumexp(x) - x[label], with the row max subtracted",
           "nan-output": "logsumexp(x) - x[label]: no 0 * log(0) from a one-hot sum"},
    notes={
        "accuracy": "Worst ULP error / worst condition-aware error of the per-row loss, "
        "|loss − ref| in epsilons of 1 + |x_label| + Σ s_j |x_j| + |ref| / – (no row check).",
        "agreement": "within 8 eps · (1 + |loss|), NaN in the same places.",
    },
    bench=oracle_bench.CROSS_ENTROPY,
    explain=(explain.downcast, explain.clipped_loss, _lse_elsewhere),
)
