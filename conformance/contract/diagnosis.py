"""Why a check failed, in words: the cause and the fix, where the cause is recognisable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cases.model import Case
from conformance.contract.checks import ENDED, Failure
from conformance.contract.defects import findings_for
from conformance.measure.bounds import Policy
from conformance.measure.records import Worst
from conformance.ops import get_op
from conformance.ops.log_softmax import LOG_SUM_EXP

__all__ = ["CAUSES", "INACCURATE_CAUSES", "Diagnosis", "Recall", "cause_code", "diagnose"]


# defect (adapters.base.DEFECTS) or check name -> (cause, fix)
CAUSES = {
    "crash": (
        "the implementation ended the process it runs in: a signal (a segfault, an abort, a "
        "kill of itself or of its parent) or an exit (sys.exit, os._exit)",
        "run the reproducer: a call must return or raise, whatever its input",
    ),
    "timeout": (
        "the call (or the import) did not return within --timeout: an endless loop, a "
        "deadlock, or work far beyond the input's size",
        "run the reproducer under a debugger (or py-spy dump); raise --timeout if the "
        "implementation is only slow",
    ),
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
        "the denominator is accumulated in a low-precision type: every output of the row is "
        "off by one factor, more than a float32 sum of the row could be",
        "accumulate in float32 or wider (np.sum(e, dtype=np.float32)), then cast back",
    ),
    "denominator-overflow": (
        "the sum of the shifted exps overflows the input dtype (a float16 row of 70,000 "
        "equal logits sums past 65504): the denominator is kept in the narrow type",
        "accumulate the denominator (and take its log) in float32 or wider",
    ),
    "nan-leak": (
        "a NaN, +inf or fully masked row spreads NaN into rows whose answer is defined: a "
        "max, sum or check taken over more than the row",
        "reduce along `axis` only (max and sum with keepdims=True); never over the array",
    ),
    "wrong-shift": (
        "exp(x - c) with c the row's min or mean instead of its max: exp overflows for rows "
        "spread wider than the dtype's exp range",
        "subtract the row max: x - x.max(axis, keepdims=True)",
    ),
    "division-free": (
        "exp(x - logsumexp(x)) without a division: the rounding of x - lse, about |x| ulps, "
        "reaches every output, so rows do not sum to one (Blanchard, Higham & Higham 2021)",
        "divide by the sum: exp(x - max) / sum(exp(x - max)), or compute lse in a wider type",
    ),
    "downcast": (
        "computed in a narrower type than the input's and cast back: every output is a "
        "value of that type",
        "compute in the input's dtype or wider (float32 at least for 16-bit input)",
    ),
    "clipping": (
        "probabilities (or log-probabilities, or losses) clipped at a floor or a cap the exact "
        "values pass: clip(p, eps), log(p + eps), max(logp, -100)",
        "stay in log space (x - logsumexp(x)); never clip what the contract measures",
    ),
    "dropped-block": (
        "every output of a row is off by one factor whose size is the mass of one block of a "
        "blocked sum: the block is left out of the denominator",
        "add every block of the blocked sum (check the last, partial one)",
    ),
    "double-counted-block": (
        "every output of a row is off by one factor whose size is the mass of one block of a "
        "blocked sum: the block is added twice",
        "add each block of the blocked sum once",
    ),
    "denominator-offset": (
        "every output of a row is off by one factor, more than rounding n terms could lose: "
        "something is added to the denominator (an epsilon) or it is scaled",
        "divide by the sum of the exps alone",
    ),
    "in-order-accumulation": (
        "every output of a long row is off by one factor that grows with n: the many small "
        "exps are added in order onto a sum near 1",
        "sum pairwise or in blocks (np.sum does), or accumulate in a wider type",
    ),
    "wrong-scale": (
        "the outputs are exp(c (x - max)) normalised with c != 1: a temperature or a scale "
        "applied where it does not belong",
        "apply the temperature once, to the logits: softmax(x / T), with T = 1 by default",
    ),
    "order-dependence": (
        "the output depends on the order of the row beyond rounding (an online softmax "
        "that does not rescale its running sum when the max grows)",
        "rescale the running sum by exp(m_old - m_new) whenever the running max grows",
    ),
    "layout-dependence": (
        "wrong for this memory layout, right for the same values in C order: the rows are "
        "read in memory order",
        "index along `axis` (np.moveaxis, reductions with axis=), never the raw buffer",
    ),
    "ties-by-position": (
        "equal inputs get different outputs: ties broken by position",
        "compute every element by the same formula, independent of its position",
    ),
    "order_preserved": ("a larger input got a smaller output", "use a monotone exp and one sum"),
    "empty_input": (
        "empty input is not handled: the call raises, or returns another shape (the message "
        "says which; np.max of an empty row raises, for one)",
        "return an empty array of the output's shape when the input has no elements",
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
    causes: tuple[tuple[str, int], ...] = ()  # every recognised cause (code) and its count
    code: str | None = None  # the smallest case's cause code (a key of CAUSES)


def _size_key(f: Failure) -> tuple[int, float]:
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

# The codes that name what made a finite output inaccurate (conformance.measure.explain and
# the ops' own explanations): refinements of the defect "inaccurate".
INACCURATE_CAUSES = ("inaccurate", "downcast", "clipping", "wrong-scale", "division-free",
                     "dropped-block", "double-counted-block", "low-precision-accumulation",
                     "denominator-offset", "in-order-accumulation", "wrong-axis")

# Checks whose failure has one cause, whatever the metrics show: check -> cause code.
_OWN_CAUSE = {"ties_equal": "ties-by-position", "order_preserved": "order_preserved",
              "permutation_equivariance": "order-dependence", "empty_input": "empty_input"}

# What gives the output and the reference of a failing case, for the explanations.
Recall = Callable[[Case], "tuple[np.ndarray, np.ndarray, str] | None"]


def _explained(f: Failure, recall: Recall | None) -> str | None:
    """The op's explanations (conformance.measure.explain) of a finite output beyond the
    bound, tried in order on the implementation's own output."""
    got = recall(f.case) if recall is not None else None
    if got is None:
        return None
    y, ref, dtype = got
    for explanation in get_op(f.result.op).explain:
        code = explanation(f.case, y, ref, dtype)
        if code:
            return code
    return None


def cause_code(check: str, f: Failure, policy: Policy, recall: Recall | None = None
               ) -> str | None:
    """The mechanism behind one failure, as a code of CAUSES."""
    if f.code:
        return f.code
    if f.result.status in ENDED:
        return f.result.status
    if check in _OWN_CAUSE:
        return _OWN_CAUSE[check]
    own = _CHECK_DEFECT.get(check)
    findings = [
        g
        for g in findings_for(f.case, f.result, policy)
        if (g.defect == own if own else g.defect not in _CHECK_DEFECT.values())
    ]
    if findings:
        defect = findings[0].defect
        if defect == "inaccurate":
            return _explained(f, recall) or defect
        return defect
    return check if check in CAUSES else None


def diagnose(check: str, failures: list[Failure], policy: Policy,
             recall: Recall | None = None) -> Diagnosis:
    """The smallest failing case (fewest elements, smallest magnitude), its worst element,
    and the cause and fix where recognisable. ``recall(case)`` gives a failing case's output
    and reference for the explanations of inaccurate outputs."""
    smallest = min(failures, key=_size_key)
    cause = cause_code(check, smallest, policy, recall)
    text, fix = CAUSES.get(cause, (None, None)) if cause else (None, None)
    fix = get_op(smallest.result.op).fixes.get(cause or "", fix)
    counts = Counter(c for c in (cause_code(check, f, policy, recall) for f in failures) if c)
    return Diagnosis(
        smallest.case,
        smallest.message,
        smallest.result.worst,
        text,
        fix,
        len(failures),
        tuple(counts.most_common()),
        cause,
    )
