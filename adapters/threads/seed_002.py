# mypy: disable-error-code="no-redef"
"""The softmaxes of 002_040c9415ce321661.txt ("How to implement the Softmax function in Python").

Each thread function is copied verbatim at module level under a comment naming
the answer; most are called ``softmax``, so each is bound to a private name
right after its definition. The adapters at the bottom wrap them as
``softmax(x, axis)``: a function without an axis parameter ignores ``axis``
and its ``Capabilities.axis`` says which axis it reduces along as its author
meant it to be used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Op, import_module

__all__ = ["ADAPTERS"]

SEED = "002_040c9415ce321661.txt"


def _ignoring_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a thread function that takes no axis: ``axis`` is ignored."""
    return lambda: {"softmax": lambda x, axis: fn(x)}


def _passing_axis(fn: Callable[..., Any]) -> Callable[[], Mapping[str, Op]]:
    """Factory for a thread function with an ``axis`` parameter: the case's axis is passed."""
    return lambda: {"softmax": lambda x, axis: fn(x, axis=axis)}


# --- 002_040c9415ce321661.txt question: the asker's version (global max, global sum)
def softmax(x):
    """Compute softmax values for each sets of scores in x."""
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum()


_question = softmax


# --- 002_040c9415ce321661.txt question: "But the suggested solution was" (Udacity)
def softmax(x):
    """Compute softmax values for each sets of scores in x."""
    return np.exp(x) / np.sum(np.exp(x), axis=0)


_suggested = softmax


# --- 002_040c9415ce321661.txt answer 1 (desertnaut): the "correct solution"
def softmax(x):
    """Compute softmax values for each sets of scores in x."""
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0) # only difference


_desertnaut = softmax


# --- 002_040c9415ce321661.txt answer 2: "my (correct) solution", 2-D only
def softmax(z):
    assert len(z.shape) == 2
    s = np.max(z, axis=1)
    s = s[:, np.newaxis] # necessary step to do broadcasting
    e_x = np.exp(z - s)
    div = np.sum(e_x, axis=1)
    div = div[:, np.newaxis] # dito
    return e_x / div


_rows_2d_assert = softmax


# --- 002_040c9415ce321661.txt answer 6 (nolanbconaway; copied again in answer 20)
def softmax(X, theta = 1.0, axis = None):
    """
    Compute the softmax of each element along an axis of X.

    Parameters
    ----------
    X: ND-Array. Probably should be floats. 
    theta (optional): float parameter, used as a multiplier
        prior to exponentiation. Default = 1.0
    axis (optional): axis to compute values along. Default is the 
        first non-singleton axis.

    Returns an array the same size as X. The result will sum to 1
    along the specified axis.
    """

    # make X at least 2d
    y = np.atleast_2d(X)

    # find axis
    if axis is None:
        axis = next(j[0] for j in enumerate(y.shape) if j[1] > 1)

    # multiply y against the theta parameter, 
    y = y * float(theta)

    # subtract the max for numerical stability
    y = y - np.expand_dims(np.max(y, axis = axis), axis)

    # exponentiate y
    y = np.exp(y)

    # take the sum along the specified axis
    ax_sum = np.expand_dims(np.sum(y, axis = axis), axis)

    # finally: divide elementwise
    p = y / ax_sum

    # flatten if X was 1D
    if len(X.shape) == 1: p = p.flatten()  # noqa: E701

    return p


_theta = softmax


# --- 002_040c9415ce321661.txt answer 9: exp(x - logsumexp(x)).
# The thread's module-level `import scipy.special as sc` happens in the factory
# (_logsumexp_factory), so that importing this module never imports SciPy.
sc: Any = None


def softmax(x: np.ndarray) -> np.ndarray:
    return np.exp(x - sc.logsumexp(x))


_logsumexp = softmax


def _logsumexp_factory() -> Mapping[str, Op]:
    global sc
    sc = import_module("scipy.special")
    return {"softmax": lambda x, axis: _logsumexp(x)}


# --- 002_040c9415ce321661.txt answer 10: global max, sum(axis=axis, keepdims=True)
def softmax(x, axis=-1):
    e_x = np.exp(x - np.max(x)) # same code
    return e_x / e_x.sum(axis=axis, keepdims=True)


_global_max_keepdims = softmax


# --- 002_040c9415ce321661.txt answer 11: max and sum along axis 0, keepdims
def softmax(z):
    z_norm=np.exp(z-np.max(z,axis=0,keepdims=True))
    return(np.divide(z_norm,np.sum(z_norm,axis=0,keepdims=True)))


_axis0_keepdims = softmax


# --- 002_040c9415ce321661.txt answer 12: in place, one branch for 2-D, one for 1-D.
# The thread lost the indentation of the function body; it is restored here.
def softmax(x):

    if len(x.shape) > 1:
        tmp = np.max(x, axis = 1)
        x -= tmp.reshape((x.shape[0], 1))
        x = np.exp(x)
        tmp = np.sum(x, axis = 1)
        x /= tmp.reshape((x.shape[0], 1))
    else:
        tmp = np.max(x)
        x -= tmp
        x = np.exp(x)
        tmp = np.sum(x)
        x /= tmp


    return x


_inplace_branch = softmax


# --- 002_040c9415ce321661.txt answer 13: np.amax(axis=1, keepdims=True)
def softmax(x):
    mx = np.amax(x,axis=1,keepdims = True)
    x_exp = np.exp(x - mx)
    x_sum = np.sum(x_exp, axis = 1, keepdims = True)
    res = x_exp / x_sum
    return res


_amax_axis1 = softmax


# --- 002_040c9415ce321661.txt answer 14: transposed x.T - max(axis=-1)
def softmax(x):
    e_x = np.exp(x.T - np.max(x, axis = -1))
    return (e_x / e_x.sum(axis=0)).T


_transpose_max = softmax


# --- 002_040c9415ce321661.txt answer 15: (exp(x).T / exp(x).sum(axis=-1)).T, no max
def softmax(x):
    return (np.exp(x).T / np.exp(x).sum(axis=-1)).T


_transpose_naive = softmax


# --- 002_040c9415ce321661.txt answer 16: in place x -= max(axis, keepdims)
def softmax(x, axis):
    x -= np.max(x, axis=axis, keepdims=True)
    return np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)


_inplace_shift = softmax


# --- 002_040c9415ce321661.txt answer 19 (Prathyush SP): global max, sum(axis=len(shape)-1)
def softmax_fn(input_array):
    """
    | **@author**: Prathyush SP
    |
    | Calculate Softmax for a given array
    :param input_array: Input Array
    :return: Softmax Score
    """
    e_x = np.exp(input_array - np.max(input_array))
    return e_x / e_x.sum(axis=len(e_x.shape)-1)


# Rows along the last axis, any number of dimensions.
_ROWS = Capabilities(axis="last")

ADAPTERS = [
    Adapter(
        name="numpy.global_max",
        family="thread",
        source=f"{SEED} question: the asker's softmax, np.exp(x - np.max(x)) / e_x.sum() "
        "(also answer 1's your_softmax and 000 answer 0's softmax)",
        factory=_ignoring_axis(_question),
        capabilities=_ROWS,
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: np.max of the whole array: a
            # NaN or +inf row makes every row NaN.
            "nan-leak",
            # max and sum over the whole array: a batch of rows is normalised as one row.
            "wrong-axis",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
        notes="As a whole-array softmax it is stable: the max it subtracts is the whole array's.",
    ),
    Adapter(
        name="numpy.naive_sum_axis0",
        family="thread",
        source=f"{SEED} question: the suggested (Udacity) solution, "
        "np.exp(x) / np.sum(np.exp(x), axis=0)",
        factory=_ignoring_axis(_suggested),
        capabilities=Capabilities(axis="first"),  # the quiz normalised columns
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # no max subtracted: exp(x), or just below the threshold their sum, is inf: nan or 0.
            "overflow",
            # no max subtracted: a column whose values are all below the underflow threshold
            # gives 0/0 = nan (the generated large-negative cases show it).
            "underflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.global_max_sum_axis0",
        family="thread",
        source=f"{SEED} answer 1: desertnaut's correct solution, "
        "np.exp(x - np.max(x)) / e_x.sum(axis=0)",
        factory=_ignoring_axis(_desertnaut),
        capabilities=Capabilities(axis="first"),  # the quiz normalised columns
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: np.max of the whole array: a
            # NaN or +inf row makes every row NaN.
            "nan-leak",
            # one max for the whole array: a column far below it underflows, 0/0 = nan.
            "global-max",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.rows_2d_assert",
        family="thread",
        source=f"{SEED} answer 2: 'my (correct) solution', assert len(z.shape) == 2, "
        "row max and row sum",
        factory=_ignoring_axis(_rows_2d_assert),
        capabilities=Capabilities(axis="rows-2d", ndims=frozenset({2})),
        expected=(
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.theta_axis",
        family="thread",
        source=f"{SEED} answer 6: nolanbconaway's softmax(X, theta=1.0, axis=None), "
        "called with the case's axis",
        factory=_passing_axis(_theta),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
            # np.atleast_2d makes a 1-D x (1, n): axis=0 reduces the singleton axis, all ones.
            "wrong-axis",
        ),
        # y * float(theta): bfloat16 times a Python float is float32 before ml_dtypes 0.7.
        # Measured: ml_dtypes 0.5.4 and 0.6.0 promote bfloat16 * a Python float to float32;
        # 0.7.0 keeps bfloat16 (and with it no longer changes the dtype).
        expected_when={"dtype-changed": "ml_dtypes<0.7"},
    ),
    Adapter(
        name="numpy.theta_first_non_singleton",
        family="thread",
        source=f"{SEED} answer 6: nolanbconaway's softmax(X) with its default axis=None "
        "(the first non-singleton axis)",
        factory=_ignoring_axis(_theta),
        capabilities=Capabilities(axis="first-non-singleton"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
            # a single element has no axis longer than 1: next() raises StopIteration.
            "raises",
        ),
        # y * float(theta): bfloat16 times a Python float is float32 before ml_dtypes 0.7.
        # Measured: ml_dtypes 0.5.4 and 0.6.0 promote bfloat16 * a Python float to float32;
        # 0.7.0 keeps bfloat16 (and with it no longer changes the dtype).
        expected_when={"dtype-changed": "ml_dtypes<0.7"},
    ),
    Adapter(
        name="numpy.logsumexp_whole",
        family="thread",
        source=f"{SEED} answer 9: np.exp(x - scipy.special.logsumexp(x))",
        factory=_logsumexp_factory,
        capabilities=_ROWS,
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: logsumexp of the whole
            # array: a NaN or +inf row makes every row NaN.
            "nan-leak",
            # logsumexp(x) without an axis is over the whole array: a batch is one row.
            # the whole array's logsumexp is one shift for every row: a row far below the
            # rest underflows (to zeros, or into subnormals), as with a global max.
            "global-max",
            "wrong-axis",
            # x - logsumexp(x) rounds at ulp(x): rows near 1e4 sum to one only within ~|x| eps.
            "inaccurate",
        ),
        expected_when={
            # logsumexp of a bfloat16 array is a float64 scalar, so x - lse is float64 ...
            "dtype-changed": "ml_dtypes<0.7",
            # ... while from ml_dtypes 0.7 on, scipy.special.logsumexp raises TypeError on a
            # bfloat16 array (np.isdtype refuses its dtype). Measured with SciPy 1.16.3 and
            # 1.17.0: ml_dtypes 0.6.0 gives float64, 0.7.0 raises.
            "raises": "ml_dtypes>=0.7",
        },
        requires=("scipy",),
        extra="scipy",
    ),
    Adapter(
        name="numpy.global_max_sum_keepdims",
        family="thread",
        source=f"{SEED} answer 10: softmax(x, axis=-1), np.exp(x - np.max(x)) / "
        "e_x.sum(axis=axis, keepdims=True)",
        factory=_passing_axis(_global_max_keepdims),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: np.max of the whole array: a
            # NaN or +inf row makes every row NaN.
            "nan-leak",
            # one max for the whole array: a row far below it underflows (0/0) or goes subnormal.
            "global-max",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.max_sum_axis0_keepdims",
        family="thread",
        source=f"{SEED} answer 11: np.max and np.sum along axis=0 with keepdims=True",
        factory=_ignoring_axis(_axis0_keepdims),
        capabilities=Capabilities(axis="first"),  # "stochastic as well as the batch": columns
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.inplace_branch_1d_2d",
        family="thread",
        source=f"{SEED} answer 12: x -= max, x /= sum in place, one branch for 2-D "
        "(rows) and one for 1-D",
        factory=_ignoring_axis(_inplace_branch),
        # reshape((x.shape[0], 1)) of a 3-D max fails: 1-D and 2-D only.
        capabilities=Capabilities(axis="last", ndims=frozenset({1, 2})),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # x -= tmp subtracts the max from the caller's array in place.
            "mutates-input",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.amax_axis1_keepdims",
        family="thread",
        source=f"{SEED} answer 13: np.amax(x, axis=1, keepdims=True), sum(axis=1)",
        factory=_ignoring_axis(_amax_axis1),
        capabilities=Capabilities(axis="rows-2d", ndims=frozenset({2})),
        expected=(
            # float16/bfloat16 batches of 2048: NumPy sums 16-bit rows (and strided columns)
            # one element at a time in the input dtype, and the sum stalls.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.transpose_max",
        family="thread",
        source=f"{SEED} answer 14: np.exp(x.T - np.max(x, axis=-1)), "
        "(e_x / e_x.sum(axis=0)).T",
        factory=_ignoring_axis(_transpose_max),
        # "exact same results as sklearn": rows of a 2-D array (and a 1-D vector);
        # for N-D, x.T and max(axis=-1) do not broadcast.
        capabilities=Capabilities(axis="last", ndims=frozenset({1, 2})),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.transpose_naive",
        family="thread",
        source=f"{SEED} answer 15: (np.exp(x).T / np.exp(x).sum(axis=-1)).T",
        factory=_ignoring_axis(_transpose_naive),
        # compared with tf.nn.softmax on a 2-D batch; for N-D, x.T does not broadcast.
        capabilities=Capabilities(axis="last", ndims=frozenset({1, 2})),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # no max subtracted: exp(x), or just below the threshold their sum, is inf: nan or 0.
            "overflow",
            # no max subtracted: a row all below about -745 (float64) gives 0/0 = nan.
            "underflow",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.inplace_shift",
        family="thread",
        source=f"{SEED} answer 16: softmax(x, axis), x -= np.max(x, axis=axis, keepdims=True)",
        factory=_passing_axis(_inplace_shift),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # x -= max works on the caller's array.
            "mutates-input",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.global_max_sum_last_no_keepdims",
        family="thread",
        source=f"{SEED} answer 19: Prathyush SP's softmax_fn, global max, "
        "e_x.sum(axis=len(e_x.shape)-1) without keepdims",
        factory=_ignoring_axis(softmax_fn),
        capabilities=_ROWS,  # "always sum on the last dimension"
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # measured on the NaN, +inf and masked cases: np.max of the whole array: a
            # NaN or +inf row makes every row NaN.
            "nan-leak",
            # sums of shape (m,) broadcast against an (m, n) batch: ValueError unless m == n.
            "raises",
            # on a square batch each element is divided by the sum of another row.
            "wrong-axis",
            # one max for the whole array: on a square batch a row underflows to 0, and the
            # other rows are divided by its zero sum: nan and inf mixed across rows.
            "nan-output",
            # rows of length one, shape (m, 1): (m, 1) / (m,) broadcasts to (m, m).
            "shape-changed",
            # bfloat16 long row: np.sum adds in bfloat16, the sum stalls: outputs ~4x too large.
            "inaccurate",
        ),
    ),
]
