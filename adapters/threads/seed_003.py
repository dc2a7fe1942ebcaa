# mypy: disable-error-code="no-redef"
"""The softmaxes of 003_bbd379d2856bcfab.txt ("Numerically stable softmax").

Answers are numbered in the order they appear, from 0 (Paul Panzer). The
thread's code is copied verbatim at module level under a comment naming the
answer; both are called ``stable_softmax``, so each is bound to a private name
right after its definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Op

__all__ = ["ADAPTERS"]

SEED = "003_bbd379d2856bcfab.txt"


def _ignoring_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a thread function that takes no axis: ``axis`` is ignored."""
    return lambda: {"softmax": lambda x, axis: fn(x)}


# --- 003_bbd379d2856bcfab.txt answer 1 (kmario23): z = x - max(x) with Python's
# built-in max, which iterates over the first axis.
def stable_softmax(x):
    z = x - max(x)
    numerator = np.exp(z)
    denominator = np.sum(numerator)
    softmax = numerator/denominator
    return softmax


_builtin_max = stable_softmax


# --- 003_bbd379d2856bcfab.txt answer 3 (David Parks): kmario23's extended to 1-D or
# 2-D input, max and sum along axis=-1 with keepdims=True.
def stable_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    numerator = np.exp(z)
    denominator = np.sum(numerator, axis=-1, keepdims=True)
    softmax = numerator / denominator
    return softmax


_last_keepdims = stable_softmax


ADAPTERS = [
    Adapter(
        name="numpy.builtin_max",
        family="thread",
        source=f"{SEED} answer 1: kmario23's stable_softmax, z = x - max(x) with Python's "
        "built-in max, np.sum over the whole array",
        factory=_ignoring_axis(_builtin_max),
        # "for an input vector x": 1-D only (on 2-D the built-in max compares rows and
        # raises; answer 3 extends it to 2-D).
        capabilities=Capabilities(axis="last", ndims=frozenset({1})),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.max_keepdims_last",
        family="thread",
        source=f"{SEED} answer 3: David Parks' stable_softmax, np.max and np.sum "
        "along axis=-1 with keepdims=True",
        factory=_ignoring_axis(_last_keepdims),
        capabilities=Capabilities(axis="last"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
]
