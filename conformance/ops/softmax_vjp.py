"""softmax_vjp: the softmax gradient pulled back through a cotangent g,
dx = s * (g - sum(g * s, axis)), s = softmax(x)."""

from __future__ import annotations

import numpy as np

from cases.dtypes import float_format, np_dtype, result_dtype
from cases.model import Case
from conformance.measure import explain
from conformance.measure.bounds import Policy
from conformance.measure.mechanisms import Simulation, numeric_findings, row_cause
from conformance.measure.op_metrics import vjp_metrics
from conformance.measure.records import Finding, Metrics, Result
from conformance.ops.base import OpCase, OpInfo, Reference
from conformance.ops.inputs import cotangent
from conformance.oracle import Oracle, softmax_vjp_scale
from conformance.oracle import bench as oracle_bench

__all__ = ["SOFTMAX_VJP", "VJP_FACTOR"]

# softmax_vjp's error is in epsilons of its scale s_i max|g| kappa_i (kappa_i softmax's
# condition bound): s_i's own error, then g - sum(g s) and the product, each cost up to
# about one such unit (conformance.measure.op_metrics). torch's worst is 2.0; the defects
# score 10^2 to 10^15.
VJP_FACTOR = 4.0
_SHIFTED_VJP = "compute s with the row max subtracted, then s * (g - sum(g s))"


def _derive(case: Case) -> tuple[np.ndarray, ...]:
    return (cotangent(case),)


def _reference(oracle: Oracle, c: OpCase, out: str | None = None) -> Reference:
    (g,) = c.extras
    return Reference(oracle.softmax_vjp(c.case.id, c.case.x, g, c.case.axis, out),
                     softmax_vjp_scale(c.case.x, g, c.case.axis))


def _measure(c: OpCase, y: np.ndarray, ref: Reference, dtype: str) -> Metrics:
    assert ref.scale is not None
    return vjp_metrics(c.case.x, y, ref.value, ref.scale, c.case.axis, dtype)


_SIMULATED = {
    "diagonal-only-jacobian": "s * (1 - s) * g, the diagonal of the Jacobian only: the "
    "off-diagonal terms -s_i s_j are missing",
    "wrong-jacobian": "004's s*(1-s) + np.outer(s, s) as the Jacobian (J[i, j] = s_j (1 - s_j) "
    "+ s_i s_j): off-diagonal terms of the wrong sign, the diagonal broadcast along every row; "
    "the Jacobian is diag(s) - s s^T",
    "overflow": "the right Jacobian of an unshifted softmax, whose sum of exp overflows",
    "underflow": "the right Jacobian of an unshifted softmax, whose exps underflow",
}


def _simulations(case: Case) -> list[Simulation]:
    """The wrong gradients of 004 and where each defect's values come from, tried in this order:
    s (g - s.g) with s from an unshifted exp rounded into the dtype (overflow or underflow,
    named per row), then 004's s(1-s) g and J^T g with J = s*(1-s) + np.outer(s, s), over the
    exact s and over the unshifted one (004's softmax is unshifted)."""
    x64 = case.x.astype(np.float64)
    g = cotangent(case).astype(np.float64)
    axis = case.axis
    fmt = float_format(result_dtype(case.dtype))
    dt = np_dtype(result_dtype(case.dtype))
    with np.errstate(all="ignore"):
        e = np.exp(x64 - np.max(x64, axis=axis, keepdims=True))
        stable = e / np.sum(e, axis=axis, keepdims=True)
        e = np.exp(x64).astype(dt).astype(np.float64)
        naive = e / np.sum(e, axis=axis, keepdims=True)
        over = np.max(x64, axis=axis, keepdims=True) + np.log(case.shape[axis]) > np.log(fmt.max)
        exact_naive = naive * (g - np.sum(g * naive, axis=axis, keepdims=True))
        out = [("overflow", _SIMULATED["overflow"], np.where(over, exact_naive, np.nan)),
               ("underflow", _SIMULATED["underflow"], np.where(over, np.nan, exact_naive))]
        for s in (stable, naive):
            # 004's J = s*(1-s) + np.outer(s, s): the vector broadcasts along rows, so
            # J[i, j] = s_j (1 - s_j) + s_i s_j and (J^T g)_j = s_j (1 - s_j) sum(g) + s_j (s . g)
            outer = (s * (1 - s) * np.sum(g, axis=axis, keepdims=True)
                     + s * np.sum(s * g, axis=axis, keepdims=True))
            out += [("diagonal-only-jacobian", _SIMULATED["diagonal-only-jacobian"],
                     s * (1 - s) * g),
                    ("wrong-jacobian", _SIMULATED["wrong-jacobian"], outer)]
    return out


def _summed_elsewhere(case: Case, y: np.ndarray, ref: np.ndarray, dtype: str) -> str | None:
    """dx = s (g - sum(g s)) with the sum taken along another axis than the case's: the
    simulation reproduces the output within 1e-3 of its scale."""
    if case.x.ndim < 2 or case.x.size == 0:
        return None
    x64, g = case.x.astype(np.float64), cotangent(case).astype(np.float64)
    y64 = y.astype(np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(x64 - np.max(x64, axis=case.axis, keepdims=True))
        s = e / np.sum(e, axis=case.axis, keepdims=True)
        scale = np.max(np.abs(np.where(np.isfinite(y64), y64, 0.0))) or 1.0
        for other in range(x64.ndim):
            if other == case.axis % x64.ndim:
                continue
            sim = s * (g - np.sum(g * s, axis=other, keepdims=True))
            if np.all(np.abs(np.where(np.isfinite(y64), y64 - sim, 0.0)) <= 1e-3 * scale):
                return "wrong-axis"
    return None


def _nonfinite_cause(case: Case, result: Result) -> str:
    """dx inherits the broken rows of the softmax it multiplies by."""
    return row_cause(case, result.nonfinite_rows, bool(result.inf_count))


def _findings(case: Case, result: Result, policy: Policy) -> list[Finding]:
    return numeric_findings(case, result, policy, factor=VJP_FACTOR,
                            nonfinite_cause=_nonfinite_cause, simulations=_simulations)


SOFTMAX_VJP = OpInfo(
    name="softmax_vjp",
    contract="dx = s * (g - sum(g * s, axis)), s = softmax(x)",
    args=("x", "g"),
    derive=_derive,
    derived_by=("cotangent",),
    reference=_reference,
    measure=_measure,
    findings=_findings,
    traits=frozenset(),
    agreement="row-scale",
    accuracy_factor=VJP_FACTOR,
    range_text="outside [0, 1]",
    row_check_text=("a row of dx sums to 0 ±", " of the row's scale"),
    fixes={"overflow": _SHIFTED_VJP, "underflow": _SHIFTED_VJP},
    notes={
        "accuracy": "Worst ULP error / worst condition-aware error / worst row check. "
        "Condition-aware: |dx_i − ref_i| in epsilons of the scale "
        "max(s_i · max|g| · (1 + |x_i| + Σ s_j |x_j|), smallest normal) (the exact dx can be 0). "
        "Row check: |Σ dx| in epsilons of the row's summed scale (dx sums to 0).",
        "agreement": "within 8 eps of the row's largest |dx|, NaN in the same places.",
    },
    bench=oracle_bench.SOFTMAX_VJP,
    explain=(explain.downcast, _summed_elsewhere),
)
