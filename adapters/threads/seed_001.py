# mypy: disable-error-code="no-redef"
"""The softmaxes of 001_801048ed319702f9.txt (a blog post on softmax overflow, MXNet).

The post's code is copied verbatim at module level under a comment naming which
of its two versions it is. The page flattened each code block onto one line;
the line breaks and indentation are restored, nothing else is changed. Both
are called ``softmax``, so each is bound to a private name after its definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Op

__all__ = ["ADAPTERS"]

SEED = "001_801048ed319702f9.txt"


def _ignoring_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a thread function that takes no axis: ``axis`` is ignored."""
    return lambda: {"softmax": lambda x, axis: fn(x)}


# --- 001_801048ed319702f9.txt post, first version: no shift, sum(axis=1, keepdims=True)
def softmax(X):
    X_exp = np.exp(X)
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition # 这里应用了广播机制。


_unshifted = softmax


# --- 001_801048ed319702f9.txt post, second version: X -= X.max(axis=-1, keepdims=True)
# on np.asanyarray(X), which is the caller's array when X is one. It prints the
# exponentials; the runner captures stdout.
def softmax(X):
    X = np.asanyarray(X)
    X -= X.max(axis=-1, keepdims=True)
    X_exp = np.exp(X)
    print(X_exp)
    partition = X_exp.sum(axis=-1, keepdims=True)
    return X_exp / partition # 这里应用了广播机制。


_inplace = softmax


ADAPTERS = [
    Adapter(
        name="numpy.naive_partition_axis1",
        family="thread",
        source=f"{SEED} post, first version: X_exp = np.exp(X), "
        "X_exp / X_exp.sum(axis=1, keepdims=True)",
        factory=_ignoring_axis(_unshifted),
        # axis=1: rows of a 2-D batch (the post calls it on [[2, 3, 4], [3, 5, 7]]).
        capabilities=Capabilities(axis="rows-2d", ndims=frozenset({2})),
        expected=(
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
            # no max subtracted: exp(1000) is inf, inf/inf = nan (what the post shows).
            "overflow",
            # no max subtracted: a row all below about -745 (float64) gives 0/0 = nan.
            "underflow",
        ),
    ),
    Adapter(
        name="numpy.inplace_asanyarray",
        family="thread",
        source=f"{SEED} post, second version: X = np.asanyarray(X); "
        "X -= X.max(axis=-1, keepdims=True); prints np.exp(X)",
        factory=_ignoring_axis(_inplace),
        capabilities=Capabilities(axis="last"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # np.asanyarray does not copy an ndarray: X -= max shifts the caller's array.
            "mutates-input",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
]
