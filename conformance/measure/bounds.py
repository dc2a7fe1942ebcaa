"""The numbers a verdict is measured against: the policies, in one table.

accuracy: the largest ``max_cond_error``, the ulp error divided by the
condition bound 1 + |x_i| + sum_j s_j |x_j|, so that a backward-stable
softmax scores O(1) at any input magnitude (subtracting the max already
costs about |x_i - max| ulps, which the bound absorbs) and an approximate
one does not. Measured on this project's catalogue, the worst conforming
library scores 2.84 (torch.softmax, float64); a float16 denominator, an
approximate exp or an epsilon in the denominator score far above 4.

The other ops (conformance.measure.op_metrics defines their errors): log_softmax and
cross_entropy are held to the same accuracy bound, in absolute epsilons of
1 + |x_i| + sum_j s_j |x_j| + |ref|; softmax_vjp to its op record's
accuracy_factor (4) times it, in epsilons of max(s_i max|g| (1 + |x_i| +
sum_j s_j |x_j|), smallest normal).
Measured on the catalogue with `conformance check --adapter NAME --op OP`:
torch, TensorFlow (without its flush-to-zero) and SciPy (float32, float64)
are within these; the threads' log(softmax + 1e-7), s(1 - s) and
s(1-s) + outer(s, s) are orders of magnitude beyond.

row sums: |exact sum of a row - 1| in epsilons of the dtype may be at most
``base + per_log2 * log2(n) + per_sqrt * summation_allowance(n, dtype)``. The last term
is what a correct kernel that accumulates each SIMD lane in order adds beyond pairwise
summation: 2 (sqrt(n) - 4) epsilons of the accumulation type, twice that by default.
Measured: torch's CPU softmax, 116 eps on a float64 row of 32000 and 453 on one of 128256
(1.27 sqrt(n)) in logits like N(0, 1); on vocabulary rows (N(0, 3) with spikes at +20 to
+40, where a few terms carry the sum and the rest are each near half an ulp of it) 1.22e3
eps on a row of 262144 (2.38 sqrt(n)), and ONNX Runtime 410 eps on one of 32000 (2.29
sqrt(n)); pairwise summation would give about 17. It is 0 for rows of up to 16 and,
measured in epsilons of a 16-bit output accumulated in float32, tiny: a sum kept in
float16 or bfloat16 (which stalls or overflows) stays far beyond it.
The condition bound of every op's accuracy includes the same term (the denominator's
relative error reaches every output).

conventions: a policy may require a behaviour where softmax has no single
right answer (``{"all-neg-inf-row": "nan"}``); labels are those of
conformance.measure.conventions.

Agreement: two softmax outputs agree when every element is within 8 epsilon
relative, or below the smallest normal number (flush-to-zero and subnormal
rounding are not disagreements), with NaN in the same places. log_softmax
and cross_entropy outputs: within 8 eps * (1 + |y|) (absolute near 0, as
their accuracy); softmax_vjp: within 8 eps of the row's largest |dx| (its
exact values can be 0). conformance.measure.agreement applies these, by the rule each op
record names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from cases.dtypes import FLOAT_DTYPES, float_format

__all__ = [
    "AGREEMENT_RTOL_EPS",
    "DEFAULT",
    "POLICIES",
    "Policy",
    "agreement_tolerance",
    "summation_allowance",
]

AGREEMENT_RTOL_EPS = 8.0


@dataclass(frozen=True)
class Policy:
    name: str
    accuracy: Mapping[str, float]
    row_sum_base: float
    row_sum_per_log2: float
    conventions: Mapping[str, str] = field(default_factory=dict)
    row_sum_per_sqrt: float = 2.0
    # the dtype an implementation that accepts integer input must return (None: any float)
    int_output_dtype: str | None = None

    def accuracy_bound(self, dtype: str, factor: float = 1.0) -> float:
        """The largest condition-aware error allowed, times the op's ``accuracy_factor``."""
        return self.accuracy[dtype] * factor

    def row_sum_bound(self, n: int, dtype: str = "float64") -> float:
        """Largest |row sum - 1| (in epsilons) a conforming softmax may show on a row of n."""
        return (self.row_sum_base + self.row_sum_per_log2 * math.log2(max(n, 1))
                + self.row_sum_per_sqrt * summation_allowance(n, dtype))

    def with_overrides(self, table: Mapping[str, Any], *, source: str) -> Policy:
        """This policy with the keys of a ``[tool.conformance]`` table applied; ValueError
        naming the key, what it holds and what is accepted for anything else."""
        if not isinstance(table, Mapping):
            raise ValueError(f"{source}: expected a table of policy keys, got "
                             f"{type(table).__name__}")
        known = {"accuracy", "row_sum_base", "row_sum_per_log2", "row_sum_per_sqrt",
                 "conventions", "int_output_dtype"}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"{source}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        changes: dict[str, Any] = {}
        if "accuracy" in table:
            acc = table["accuracy"]
            if not isinstance(acc, Mapping):
                acc = dict.fromkeys(FLOAT_DTYPES, acc)
            bad = set(acc) - set(FLOAT_DTYPES)
            if bad:
                raise ValueError(f"{source}: accuracy has unknown dtypes {sorted(bad)}")
            checked = {d: _bound(f"{source}: accuracy[{d}]", v) for d, v in acc.items()}
            changes["accuracy"] = MappingProxyType({**self.accuracy, **checked})
        for key in ("row_sum_base", "row_sum_per_log2", "row_sum_per_sqrt"):
            if key in table:
                changes[key] = _bound(f"{source}: {key}", table[key], zero_ok=True)
        if "conventions" in table:
            conv = table["conventions"]
            if not isinstance(conv, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in conv.items()):
                raise ValueError(f"{source}: conventions must be a table of kind = label "
                                 "strings, e.g. { all-neg-inf-row = \"nan\" }")
            changes["conventions"] = MappingProxyType(dict(conv))
        if "int_output_dtype" in table:
            want = table["int_output_dtype"]
            if want not in FLOAT_DTYPES:
                raise ValueError(f"{source}: int_output_dtype = {want!r}; expected one of "
                                 f"{', '.join(FLOAT_DTYPES)}")
            changes["int_output_dtype"] = want
        return replace(self, **changes)


MAX_BOUND = 1e6  # a bound beyond this lets anything pass: refused


def summation_allowance(n: int, dtype: str) -> float:
    """What a correct accumulation of n terms may add to a sum's relative error beyond the
    base bounds, in epsilons of ``dtype``: twice sqrt(n) epsilons of the accumulation type
    (float32 for the 16-bit formats, the dtype itself otherwise), the statistical estimate
    of in-order summation's error (Higham, Accuracy and Stability of Numerical Algorithms,
    2nd ed., section 4.2), doubled because rows where a few terms carry the sum round the
    rest one way (measured above: 2.38 sqrt(n)), less 4 so that rows of up to 16 get
    nothing."""
    fmt = float_format(dtype)
    acc = fmt if fmt.precision >= 24 else float_format("float32")
    return 2.0 * max(0.0, math.sqrt(max(n, 0)) - 4.0) * acc.eps / fmt.eps


def _bound(where: str, value: Any, *, zero_ok: bool = False) -> float:
    """A finite, positive number a policy may hold (an inf or NaN bound lets an all-NaN
    output pass; a zero or negative one fails correct code)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where} = {value!r}: expected a number")
    v = float(value)
    low_ok = v >= 0 if zero_ok else v > 0
    if not (math.isfinite(v) and low_ok and v <= MAX_BOUND):
        raise ValueError(f"{where} = {value!r}: expected a finite number "
                         f"{'>= 0' if zero_ok else '> 0'} and at most {MAX_BOUND:g}")
    return v


DEFAULT = Policy(
    name="default",
    accuracy=MappingProxyType(dict.fromkeys(FLOAT_DTYPES, 4.0)),
    row_sum_base=2.0,
    row_sum_per_log2=2.0,
)

POLICIES: Mapping[str, Policy] = MappingProxyType(
    {
        "default": DEFAULT,
        "strict": Policy(
            name="strict",
            accuracy=MappingProxyType(dict.fromkeys(FLOAT_DTYPES, 2.0)),
            row_sum_base=1.0,
            row_sum_per_log2=1.0,
            row_sum_per_sqrt=1.0,
            conventions=MappingProxyType({"all-neg-inf-row": "nan", "empty": "empty"}),
        ),
    }
)


def agreement_tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) for comparing two outputs of this dtype."""
    fmt = float_format(dtype)
    return AGREEMENT_RTOL_EPS * fmt.eps, fmt.tiny
