"""scikit-learn: ``sklearn.utils.extmath.softmax``, with ``copy=True`` and ``copy=False``.
scikit-learn is imported inside the factory."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.base import Adapter, Capabilities, Op, import_module
from adapters.scipy import EMPTY_RAISES

__all__ = ["ADAPTERS"]

_BF16_BATCH = (
    "bfloat16 rows of 2048: NumPy sums ml_dtypes.bfloat16 in bfloat16, the sum stalls: "
    "row sum off by 48 eps, condition-aware error 19.5"
)
# 2-D input only, reduced along each row.
_ROWS = Capabilities(axis="rows-2d", ndims=frozenset({2}))


def _softmax(copy: bool) -> Mapping[str, Op]:
    extmath = import_module("sklearn.utils.extmath")
    return {"softmax": lambda x, axis: extmath.softmax(x, copy=copy)}


ADAPTERS = [
    Adapter(
        name="sklearn.extmath",
        family="library",
        source="sklearn.utils.extmath.softmax(X, copy=True)",
        factory=lambda: _softmax(copy=True),
        capabilities=_ROWS,
        # bfloat16 batches of 2048: NumPy sums bfloat16 one element at a time in bfloat16,
        # and the sum stalls.
        expected=("inaccurate",),
        requires=("scikit-learn",),
        extra="sklearn",
        known_failures={"empty_input": f"shape (3, 0): {EMPTY_RAISES}",
                        "row_sums[bfloat16]": _BF16_BATCH, "accuracy[bfloat16]": _BF16_BATCH},
    ),
    Adapter(
        name="sklearn.extmath.copy_false",
        family="library",
        source="sklearn.utils.extmath.softmax(X, copy=False)",
        factory=lambda: _softmax(copy=False),
        capabilities=_ROWS,
        # copy=False works in place on the caller's array, by design.
        expected=(
            "mutates-input",
            # bfloat16 batches of 2048: NumPy sums bfloat16 one element at a time in bfloat16,
            # and the sum stalls.
            "inaccurate",
        ),
        requires=("scikit-learn",),
        extra="sklearn",
    ),
]
