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
``base + per_log2 * log2(n)``.

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
]

AGREEMENT_RTOL_EPS = 8.0


@dataclass(frozen=True)
class Policy:
    name: str
    accuracy: Mapping[str, float]
    row_sum_base: float
    row_sum_per_log2: float
    conventions: Mapping[str, str] = field(default_factory=dict)

    def accuracy_bound(self, dtype: str, factor: float = 1.0) -> float:
        """The largest condition-aware error allowed, times the op's ``accuracy_factor``."""
        return self.accuracy[dtype] * factor

    def row_sum_bound(self, n: int) -> float:
        """Largest |row sum - 1| (in epsilons) a conforming softmax may show on a row of n."""
        return self.row_sum_base + self.row_sum_per_log2 * math.log2(max(n, 1))

    def with_overrides(self, table: Mapping[str, Any], *, source: str) -> Policy:
        """This policy with the keys of a ``[tool.conformance]`` table applied."""
        known = {"accuracy", "row_sum_base", "row_sum_per_log2", "conventions"}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"{source}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        changes: dict[str, Any] = {}
        if "accuracy" in table:
            acc = table["accuracy"]
            if isinstance(acc, (int, float)):
                acc = dict.fromkeys(FLOAT_DTYPES, float(acc))
            bad = set(acc) - set(FLOAT_DTYPES)
            if bad:
                raise ValueError(f"{source}: accuracy has unknown dtypes {sorted(bad)}")
            changes["accuracy"] = MappingProxyType({**self.accuracy, **acc})
        for key in ("row_sum_base", "row_sum_per_log2"):
            if key in table:
                changes[key] = float(table[key])
        if "conventions" in table:
            changes["conventions"] = MappingProxyType(dict(table["conventions"]))
        return replace(self, **changes)


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
            conventions=MappingProxyType({"all-neg-inf-row": "nan", "empty": "empty"}),
        ),
    }
)


def agreement_tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) for comparing two outputs of this dtype."""
    fmt = float_format(dtype)
    return AGREEMENT_RTOL_EPS * fmt.eps, fmt.tiny
