"""The softmax of 004_324fb782c6f827a7.txt (an article on the softmax derivative in NumPy).

Only the softmax op is wrapped here; the article's derivatives belong to a
later issue. The code is copied verbatim under a comment; the page lost the
indentation of the function body, which is restored.
"""

from __future__ import annotations

import numpy as np

from adapters.base import Adapter, Capabilities

__all__ = ["ADAPTERS"]

SEED = "004_324fb782c6f827a7.txt"


# --- 004_324fb782c6f827a7.txt article: softmax(z) = exp(z) / sum(exp(z)), no max
def softmax(z):
    return np.exp(z) / np.sum(np.exp(z))


ADAPTERS = [
    Adapter(
        name="numpy.naive",
        family="thread",
        source=f"{SEED} article: softmax(z) = np.exp(z) / np.sum(np.exp(z))",
        factory=lambda: {"softmax": lambda x, axis: softmax(x)},
        # "z is a vector of length K": 1-D only.
        capabilities=Capabilities(axis="last", ndims=frozenset({1})),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # no max subtracted: exp(z), or just below the threshold their sum, is inf: nan or 0.
            "overflow",
            # no max subtracted: a z whose values are all below about -745 (float64; -103 float32,
            # -17 float16) gives 0/0 = nan; the generated large-negative rows show it.
            "underflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
]
