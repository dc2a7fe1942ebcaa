"""SciPy: ``scipy.special.softmax`` (with an axis, and with its default ``axis=None`` as people
call it) and ``scipy.special.log_softmax``. SciPy is imported inside the factories."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.base import Adapter, Capabilities, Op, import_module

__all__ = ["ADAPTERS", "EMPTY_RAISES"]

# Known failures under the default policy, measured with `conformance check --adapter NAME`.
EMPTY_RAISES = (
    "empty input raises: np.max of an empty array has no identity "
    "(ValueError: zero-size array to reduction operation maximum)"
)
_BF16_SUM = (
    "bfloat16 10^5 row: NumPy sums ml_dtypes.bfloat16 in bfloat16, the sum stalls: "
    "row sum off by 387 eps, condition-aware error 150"
)
_LOW = "NumPy sums float16/bfloat16 in that dtype and the sum stalls on long rows"


def _softmax() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    return {"softmax": lambda x, axis: special.softmax(x, axis=axis)}


def _softmax_default_axis() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    # Called as people call it: no axis, so axis=None normalises the whole array.
    return {"softmax": lambda x, axis: special.softmax(x)}


def _log_softmax() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    return {"log_softmax": lambda x, axis: special.log_softmax(x, axis=axis)}


ADAPTERS = [
    Adapter(
        name="scipy.special",
        family="library",
        source="scipy.special.softmax(x, axis=axis)",
        factory=_softmax,
        capabilities=Capabilities(axis="any"),
        # bfloat16 long row: NumPy adds ml_dtypes.bfloat16 one element at a time in
        # bfloat16, so the sum of 10^5 exps stalls and the outputs come out ~4x too large.
        expected=(
            # measured on 70,000 equal float16 logits: the sum of exps is kept in
            # float16, passes 65504 and overflows to inf (outputs 0, log-probabilities
            # -inf).
            "denominator-overflow","inaccurate",),
        requires=("scipy",),
        extra="scipy",
        known_failures={
            "empty_input": EMPTY_RAISES,
            "row_sums[bfloat16]": _BF16_SUM,
            "accuracy[bfloat16]": _BF16_SUM,
        },
    ),
    Adapter(
        name="scipy.special.default_axis",
        family="library",
        source="scipy.special.softmax(x) with its default axis=None, as people call it",
        factory=_softmax_default_axis,
        capabilities=Capabilities(axis="whole-array"),
        # axis=None is documented to normalise the whole array: on a batch of
        # rows that is the wrong axis. bfloat16 long row: as scipy.special.
        expected=(
            # measured on 70,000 equal float16 logits: the sum of exps is kept in
            # float16, passes 65504 and overflows to inf (outputs 0, log-probabilities
            # -inf).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: axis=None normalises the
            # whole array: a NaN or +inf row makes every row NaN.
            "nan-leak","inaccurate", "wrong-axis"),
        requires=("scipy",),
        extra="scipy",
    ),
    Adapter(
        name="scipy.special.log_softmax",
        family="library",
        source="scipy.special.log_softmax(x, axis=axis)",
        factory=_log_softmax,
        ops=("log_softmax",),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: the sum of exps is kept in
            # float16, passes 65504 and overflows to inf (outputs 0, log-probabilities
            # -inf).
            "denominator-overflow",
            # float16/bfloat16 rows are summed in the input dtype and the sum stalls.
            "inaccurate",
        ),
        known_failures={
            "empty_input": "empty input raises: np.max of an empty array has no identity",
            "row_sums[bfloat16]": f"{_LOW}: bfloat16 row of 1971, 35.8 (bound 23.9)",
            "accuracy[bfloat16]": f"{_LOW}: bfloat16 row of 1971, error 18.6",
        },
        requires=("scipy",),
        extra="scipy",
    ),
]
