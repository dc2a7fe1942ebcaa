"""Why a check failed, in words: the cause and the fix, where the cause is recognisable."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cases.dtypes import result_dtype
from cases.model import Case
from conformance.contract.checks import Failure
from conformance.contract.defects import findings_for
from conformance.measure.bounds import Policy
from conformance.measure.records import Worst
from conformance.ops import get_op
from conformance.ops.log_softmax import LOG_SUM_EXP

__all__ = ["CAUSES", "Diagnosis", "diagnose"]


# defect (adapters.base.DEFECTS) or check name -> (cause, fix)
CAUSES = {
    "overflow": (
        "exp overflows on large inputs",
        "subtract the max along the axis before exp: x - x.max(axis, keepdims=True)",
    ),
    "underflow": (
        "every exp of a row underflows to 0, then 0/0",
        "subtract the max along the axis before exp",
    ),
    "global-max": (
        "rows of different scale underflow to 0/0 after subtracting one global max",
        "subtract each row's own max: x.max(axis=axis, keepdims=True), not x.max()",
    ),
    "wrong-axis": (
        "reduction over the wrong axis or over the whole array",
        "reduce along `axis` with keepdims=True (max and sum alike)",
    ),
    "mutates-input": (
        "the input array is modified in place (x -= ..., out=x)",
        "work on a copy: x = x - m, or np.array(x, copy=True) first",
    ),
    "dtype-changed": (
        "the output dtype differs from the input's",
        "compute in a wider type if needed, then cast back to the input dtype",
    ),
    "shape-changed": (
        "the output shape differs from the input's (broadcasting without keepdims)",
        "keep the reduced axis: sum(axis=axis, keepdims=True)",
    ),
    "raises": (
        "the implementation raises on an input it claims to accept",
        "handle this shape/dtype, or declare the limitation in the capabilities",
    ),
    "nan-output": (
        "NaN or inf where the exact value is finite (0/0, x/0 or 0 * inf)",
        "subtract the row max and divide by the row's own sum",
    ),
    "log-of-zero": (
        "log of a probability that underflowed to 0: log(softmax(x)) is -inf where the exact "
        "value is finite",
        f"stay in log space: {LOG_SUM_EXP}",
    ),
    "diagonal-only-jacobian": (
        "the gradient uses only the Jacobian's diagonal s(1 - s): the off-diagonal terms "
        "-s_i s_j are missing",
        "dx = s * (g - sum(g * s, axis, keepdims=True)), i.e. (diag(s) - s s^T) g",
    ),
    "wrong-jacobian": (
        "the Jacobian is built as s(1 - s) + outer(s, s): the off-diagonal terms have the wrong "
        "sign",
        "dx = s * (g - sum(g * s, axis, keepdims=True)), i.e. (diag(s) - s s^T) g",
    ),
    "flush-to-zero": (
        "subnormal outputs are flushed to zero (FTZ/DAZ)",
        "run without flush-to-zero, or record this as an expected failure",
    ),
    "inaccurate": (
        "the result is finite and normalised but beyond the accuracy bound",
        "use an accurate exp, no epsilon in the denominator, a stable max shift",
    ),
    "low-precision-accumulation": (
        "the denominator is accumulated in a low-precision type and stalls on long rows",
        "accumulate in float32 or wider (np.sum(e, dtype=np.float32)), then cast back",
    ),
    "ties_equal": (
        "equal inputs get different outputs: ties broken by position",
        "compute every element by the same formula, independent of its position",
    ),
    "order_preserved": ("a larger input got a smaller output", "use a monotone exp and one sum"),
    "permutation_equivariance": (
        "the output depends on the order of the row beyond rounding",
        "reduce the row without position-dependent terms",
    ),
    "empty_input": (
        "empty input is not handled (np.max of an empty array raises)",
        "return an empty array of the same shape when x.size == 0",
    ),
}


@dataclass(frozen=True)
class Diagnosis:
    case: Case
    message: str
    worst: Worst | None
    cause: str | None  # the smallest case's cause, in words
    fix: str | None
    failures: int
    causes: tuple[tuple[str, int], ...] = ()  # every recognised cause (key) and its count


def _size_key(f: Failure) -> tuple[int, float]:
    import numpy as np

    x = f.case.x.astype(np.float64)
    finite = np.abs(x[np.isfinite(x)])
    return (f.case.x.size, float(finite.max()) if finite.size else 0.0)


# Checks that read one defect; the other checks look past these to the numeric cause.
_CHECK_DEFECT = {
    "input_unmodified": "mutates-input",
    "dtype_preserved": "dtype-changed",
    "shape_preserved": "shape-changed",
    "accepts_input": "raises",
}

# Checks whose failure has one cause, whatever the metrics show.
_OWN_CAUSE = ("ties_equal", "order_preserved", "permutation_equivariance", "empty_input")


def _cause(check: str, f: Failure, policy: Policy) -> str | None:
    if check in _OWN_CAUSE:
        return check
    own = _CHECK_DEFECT.get(check)
    findings = [
        g
        for g in findings_for(f.case, f.result, policy)
        if (g.defect == own if own else g.defect not in _CHECK_DEFECT.values())
    ]
    if findings:
        defect = findings[0].defect
        low = result_dtype(f.case.dtype) in ("float16", "bfloat16")
        if defect == "inaccurate" and low and f.case.shape[f.case.axis] >= 1000:
            return "low-precision-accumulation"
        return defect
    return check if check in CAUSES else None


def diagnose(check: str, failures: list[Failure], policy: Policy) -> Diagnosis:
    """The smallest failing case (fewest elements, smallest magnitude), its worst element,
    and the cause and fix where recognisable."""
    smallest = min(failures, key=_size_key)
    cause = _cause(check, smallest, policy)
    text, fix = CAUSES.get(cause, (None, None)) if cause else (None, None)
    fix = get_op(smallest.result.op).fixes.get(cause or "", fix)
    counts = Counter(c for c in (_cause(check, f, policy) for f in failures) if c)
    return Diagnosis(
        smallest.case,
        smallest.message,
        smallest.result.worst,
        text,
        fix,
        len(failures),
        tuple(counts.most_common()),
    )
