"""The numbers a verdict is measured against, in one table.

max_cond_error: the ulp error divided by the condition bound
1 + |x_i| + sum_j s_j |x_j|, so a backward-stable softmax scores O(1) at any
input magnitude. Row sums: |sum of a row - 1| in units of the dtype's
epsilon, a bound that grows with log2(n). Agreement: two outputs agree when
every element is within 8 epsilon relative, or below the smallest normal
number (flush-to-zero and subnormal rounding are not disagreements), with
NaN in the same places.
"""

from __future__ import annotations

import math

from cases.dtypes import float_format

__all__ = ["ACCURACY_BOUND", "AGREEMENT_RTOL_EPS", "agreement_tolerance", "row_sum_bound"]

ACCURACY_BOUND = {"float16": 4.0, "bfloat16": 4.0, "float32": 4.0, "float64": 4.0}

AGREEMENT_RTOL_EPS = 8.0


def row_sum_bound(n: int) -> float:
    """Largest |row sum - 1| (in epsilons) a conforming softmax may show on a row of n."""
    return 2.0 + 2.0 * math.log2(max(n, 1))


def agreement_tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) for comparing two outputs of this dtype."""
    fmt = float_format(dtype)
    return AGREEMENT_RTOL_EPS * fmt.eps, fmt.tiny
