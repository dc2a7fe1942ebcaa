# mypy: disable-error-code="no-redef"
"""The threads' log_softmax, softmax gradient and cross-entropy (issue 5).

- 001_801048ed319702f9.txt (post): ``np.log(softmax(x))`` gives -inf; ``np.log(softmax(x)
  + 1e-7)`` is its fix; it names MXNet's SoftmaxCrossEntropyLoss for the loss, without
  writing one. The softmax it logs is the post's second (shifted) version, which works
  in place on ``np.asanyarray(X)`` and prints ``np.exp(X)``: it is called here on the
  caller's array, as seed_001's ``numpy.inplace_asanyarray`` calls it.
- 002_040c9415ce321661.txt answer 9: "remain in log space", ``x - sc.logsumexp(x)``.
- 004_324fb782c6f827a7.txt (article): three derivatives, ``s * (1-s)``, the "stable"
  ``s*(1-s) + np.outer(s, s)`` and a SymPy Jacobian, over its unshifted softmax.

The seeds' code is copied verbatim at module level under a comment naming the seed
file and the answer; the pages lost the indentation of function bodies, which is
restored. Where the harness needs more than the thread wrote (an axis, the cross-entropy
composition, the wrapping of a derivative as ``softmax_vjp``), the wrapper says so.

A "derivative" that returns an elementwise factor or a Jacobian is wrapped so that it
answers ``softmax_vjp(x, g, axis)``: the factor times g elementwise, or J^T g.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Op, import_module
from adapters.threads.seed_001 import _inplace
from adapters.threads.seed_004 import softmax as _softmax_004_article

__all__ = ["ADAPTERS", "OUTER_MAX_BYTES", "SYMPY_MAX_N"]

SEED_001 = "001_801048ed319702f9.txt"
SEED_002 = "002_040c9415ce321661.txt"
SEED_004 = "004_324fb782c6f827a7.txt"

# The outer-product "Jacobian" has n^2 elements: refused when n^2 float64 would pass
# 1 GiB (n > 11585; the 10^5 row would need 20 to 80 GB, which can take the machine's
# memory before NumPy fails).
OUTER_MAX_BYTES = 1 << 30
# The SymPy route builds an n x n symbolic Jacobian; refused above this row length.
SYMPY_MAX_N = 64


# 001's second (shifted, in-place, printing) softmax, wrapped once in seed_001.
_softmax_001 = _inplace


# --- 001_801048ed319702f9.txt post: np.log(softmax([-10000, -1020, 100, -70220]))
def _log_of_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.log(_softmax_001(x))


# --- 001_801048ed319702f9.txt post: np.log(softmax([-10000, -1020, 100, -70220])+ 1e-7)
def _log_of_softmax_eps(x: np.ndarray, axis: int) -> np.ndarray:
    return np.log(_softmax_001(x)+ 1e-7)


# --- the naive log-softmax, x - log(sum(exp(x))): the log of the unshifted softmax of
# 001's first version and 004's article, written with the case's axis (keepdims) so
# that only the missing shift is measured.
def _log_softmax_naive(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


# --- 002_040c9415ce321661.txt answer 9: softmax(x) = np.exp(x - sc.logsumexp(x)); the
# log-softmax it stays in "log space" with is the exponent, x - sc.logsumexp(x). The
# answer calls logsumexp without an axis (the whole array: the softmax adapter
# numpy.logsumexp_whole measures that); here the case's axis is passed with
# keepdims=True, so that the log-space idea itself is measured. The thread's
# `import scipy.special as sc` happens in the factory.
def _logsumexp_factory() -> Mapping[str, Op]:
    sc = import_module("scipy.special")

    def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
        return x - sc.logsumexp(x, axis=axis, keepdims=True)

    return {"log_softmax": log_softmax}


# --- the composition -log(softmax(x))[label], as the threads would write it (001 names
# MXNet's SoftmaxCrossEntropyLoss and writes no loss): 001's second softmax on the last
# axis, np.log, then each row's label element. Per-row loss, never the mean.
def _cross_entropy_composed(x: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    log_p = np.log(_softmax_001(x))
    # np.asarray: for a 1-D row the loss is 0-d, and [..., 0] gives a NumPy scalar.
    return np.asarray(-np.take_along_axis(log_p, labels[..., np.newaxis], axis=-1)[..., 0])


def _calling(fn: Callable[..., Any], softmax_fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its global name ``softmax`` bound to ``softmax_fn``.

    The article redefines ``softmax`` for its SymPy route; a derivative looks the name up
    when it runs, so without this each would call the last definition, not its own.
    """
    bound = types.FunctionType(fn.__code__, {**fn.__globals__, "softmax": softmax_fn},
                               fn.__name__, fn.__defaults__, fn.__closure__)
    return bound


# 004's softmax(z) = exp(z) / sum(exp(z)), no max, wrapped once in seed_004.
_softmax_004 = _softmax_004_article


# --- 004_324fb782c6f827a7.txt article, first derivative: s * (1-s)
def softmax_derivative(z):
    s = softmax(z)
    return s * (1-s)


_derivative_diag = _calling(softmax_derivative, _softmax_004)


# --- 004_324fb782c6f827a7.txt article, method 2 ("numerically stable"): s*(1-s) +
# np.outer(s, s). The (n,) vector s*(1-s) broadcasts along the rows of the (n, n)
# outer product: J[i, j] = s_j (1 - s_j) + s_i s_j, not diag(s(1-s)) + s s^T.
def softmax_derivative(z):
    s = softmax(z)
    return s*(1-s) + np.outer(s, s)


_derivative_outer = _calling(softmax_derivative, _softmax_004)

# --- 004_324fb782c6f827a7.txt article, method 1 (SymPy). Its `import sympy` happens in
# the factory (_sympy_factory), so importing this module never imports SymPy.
sympy: Any = None


def softmax(z):
    z = sympy.Matrix(z)
    return np.exp(z) / np.sum(np.exp(z))


_softmax_sympy = softmax


def softmax_derivative(z):
    s = softmax(z)
    x = sympy.Matrix([sympy.Symbol('x{}'.format(i+1)) for i in range(len(z))])  # noqa: UP032
    J = s.jacobian(x)
    return np.array(J).astype(float)


_derivative_sympy = softmax_derivative


def _elementwise_vjp(derivative: Callable[[Any], Any]) -> Op:
    """softmax_vjp from a "derivative" of the same shape as x: derivative(x) * g, as its
    author would multiply it into the chain rule. ``axis`` is ignored (1-D input)."""
    return lambda x, g, axis: derivative(x) * g


def _outer_vjp(x: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """J^T g with J the article's s*(1-s) + np.outer(s, s), for a 1-D x."""
    n = x.shape[0]
    if n * n * 8 > OUTER_MAX_BYTES:
        raise MemoryError(f"004's outer-product Jacobian of a row of n={n} needs n^2 = "
                          f"{n * n} elements; the wrapper refuses above {OUTER_MAX_BYTES} "
                          "bytes rather than let NumPy try")
    jac = _derivative_outer(x)
    # NumPy's matmul of ml_dtypes.bfloat16 returns float32: the product is returned in
    # the Jacobian's own dtype, so that the wrapper adds no dtype change of its own.
    return (jac.T @ g).astype(jac.dtype, copy=False)


def _sympy_factory() -> Mapping[str, Op]:
    global sympy
    sympy = import_module("sympy")

    def vjp(x: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
        if x.shape[0] > SYMPY_MAX_N:
            raise ValueError(f"004's SymPy Jacobian of a row of n={x.shape[0]}: n^2 symbolic "
                             f"derivatives; the wrapper refuses rows longer than {SYMPY_MAX_N}")
        return _derivative_sympy(x).T @ g

    return {"softmax_vjp": vjp}


# 001's softmax reduces along the last axis, any number of dimensions.
_LAST = Capabilities(axis="last")
# 004: "z is a vector of length K": 1-D only.
_VECTOR = Capabilities(axis="last", ndims=frozenset({1}))

ADAPTERS = [
    Adapter(
        name="numpy.log_of_softmax",
        family="thread",
        source=f"{SEED_001} post: np.log(softmax(x)) with the post's second (shifted, "
        "in-place) softmax",
        factory=lambda: {"log_softmax": _log_of_softmax},
        ops=("log_softmax",),
        capabilities=_LAST,
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # a probability that underflows to 0 (x - max below about -745 in float64) logs
            # to -inf where the exact log_softmax is finite: what the post shows.
            "log-of-zero",
            # the softmax's X -= X.max(...) shifts the caller's array in place.
            "mutates-input",
            # float16/bfloat16 rows are summed in the input dtype and the sum stalls (rows of
            # 2048, the 10^5 row); the log of a subnormal probability has lost digits
            # (subnormal/float32: -100.881 for -100.888).
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.log_of_softmax_eps",
        family="thread",
        source=f"{SEED_001} post: np.log(softmax(x) + 1e-7), the post's fix for -inf, "
        "with its second (shifted, in-place) softmax",
        factory=lambda: {"log_softmax": _log_of_softmax_eps},
        ops=("log_softmax",),
        capabilities=_LAST,
        expected=(
            # + 1e-7 biases every value: log(p + 1e-7) clamps tiny probabilities at
            # log(1e-7) = -16.1 and moves values near 0 (p near 1) by about 1e-7.
            "inaccurate",
            # the softmax's X -= X.max(...) shifts the caller's array in place.
            "mutates-input",
        ),
        # bfloat16 + 1e-7 (a Python float) is float32 under ml_dtypes' promotion before 0.7;
        # ml_dtypes 0.7.0 keeps bfloat16 (measured beside 0.5.4 and 0.6.0).
        expected_when={"dtype-changed": "ml_dtypes<0.7"},
    ),
    Adapter(
        name="numpy.log_softmax_naive",
        family="thread",
        source=f"{SEED_001} post and {SEED_004} article: the log of their unshifted "
        "softmax, x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))",
        factory=lambda: {"log_softmax": _log_softmax_naive},
        ops=("log_softmax",),
        capabilities=Capabilities(axis="any"),
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # no max subtracted: exp(x) is inf for x above ~709 (float64; 88 float32, 11
            # float16), log(inf) = inf and x - inf = -inf (or nan) where the exact value is finite.
            "overflow",
            # no max subtracted: a row all below ~-745 sums to 0, log(0) = -inf, x + inf = inf.
            "underflow",
            # log(sum(exp(x))) is rounded at ulp(max x): rows near 355-672 (float64) sum to
            # one only within 111-183 eps; float16/bfloat16 rows are summed in the input dtype
            # and stall (rows of 2048: 40-52 eps).
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.log_softmax_logsumexp",
        family="thread",
        source=f"{SEED_002} answer 9: its log-space exponent x - sc.logsumexp(x), "
        "given the case's axis with keepdims=True (the answer's call has no axis)",
        factory=_logsumexp_factory,
        ops=("log_softmax",),
        capabilities=Capabilities(axis="any"),
        # Every defect it has is of bfloat16 input, and which depends on ml_dtypes (measured
        # with SciPy 1.16.3 and 1.17.0 beside ml_dtypes 0.6.0 and 0.7.0):
        expected_when={
            # before 0.7, logsumexp of a bfloat16 array comes back float64 (SciPy computes in
            # float64 for a dtype it does not know), so x - lse is float64 ...
            "dtype-changed": "ml_dtypes<0.7",
            # ... and a bfloat16 row beyond its exp range gives -inf (huge/bfloat16).
            "inaccurate": "ml_dtypes<0.7",
            # from 0.7 on, logsumexp raises TypeError on bfloat16 (np.isdtype refuses it).
            "raises": "ml_dtypes>=0.7",
        },
        # measured on 70,000 equal float16 logits: logsumexp sums float16 in float16, and
        # the sum passes 65504.
        expected=("denominator-overflow",),
        requires=("scipy",),
        extra="scipy",
    ),
    Adapter(
        name="numpy.cross_entropy_composed",
        family="thread",
        source=f"{SEED_001} post: the composition -np.log(softmax(x))[label] as the "
        "threads would write it, with the post's second (shifted, in-place) softmax; "
        "per-row loss, not the mean",
        factory=lambda: {"cross_entropy": _cross_entropy_composed},
        ops=("cross_entropy",),
        capabilities=_LAST,
        expected=(
            # measured on 70,000 equal float16 logits: NumPy sums float16 in float16,
            # and the sum passes 65504 (outputs 0).
            "denominator-overflow",
            # the label's probability underflows to 0 when its logit is ~745 below the row
            # max (float64): -log(0) = inf where the exact loss is finite (logits x 1e8).
            "log-of-zero",
            # the softmax's X -= X.max(...) shifts the caller's logits in place.
            "mutates-input",
            # float16/bfloat16 rows are summed in the input dtype and stall (rows of 1466 to
            # 10^5: error 9.6-80).
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.derivative_diag",
        family="thread",
        source=f"{SEED_004} article: softmax_derivative(z) = s * (1-s), wrapped as "
        "softmax_vjp: s * (1-s) * g elementwise",
        factory=lambda: {"softmax_vjp": _elementwise_vjp(_derivative_diag)},
        ops=("softmax_vjp",),
        capabilities=_VECTOR,
        expected=(
            # measured on 70,000 equal float16 logits: its unshifted softmax sums in float16
            # and passes 65504, so s and every dx are 0.
            "denominator-overflow",
            # s * (1-s) is the Jacobian's diagonal only: the -s_i s_j terms are missing,
            # so the result differs from s * (g - sum(g s)) whenever g is not constant.
            "diagonal-only-jacobian",
            # 004's softmax subtracts no max: exp(z) is inf for z above ~709, inf/inf = nan.
            "overflow",
            # no max: a z all below ~-745 gives 0/0 = nan.
            "underflow",
            # no max: a sum of exps that overflows while each exp does not gives s = 0, a zero
            # gradient ([11.09, 10.09, 9.09, 0] in float16); bfloat16 long rows: the sum stalls.
            "inaccurate",
        ),
    ),
    Adapter(
        name="numpy.derivative_outer",
        family="thread",
        source=f"{SEED_004} article: the 'stable' softmax_derivative(z) = s*(1-s) + "
        "np.outer(s, s) taken as the Jacobian J, wrapped as softmax_vjp: J.T @ g",
        factory=lambda: {"softmax_vjp": _outer_vjp},
        ops=("softmax_vjp",),
        capabilities=_VECTOR,
        expected=(
            # J[i, j] = s_j (1 - s_j) + s_i s_j: the off-diagonal terms have the wrong sign
            # (+s_i s_j for -s_i s_j) and s(1-s) is broadcast along rows, not on the diagonal.
            "wrong-jacobian",
            # 004's softmax subtracts no max: exp(z) is inf for z above ~709, inf/inf = nan.
            "overflow",
            # no max: a z all below ~-745 gives 0/0 = nan.
            "underflow",
            # the 10^5 row: its n^2 Jacobian is refused (MemoryError) by the wrapper.
            "raises",
            # no max: a sum of exps that overflows while each exp does not gives s = 0, a zero
            # gradient ([11.09, 10.09, 9.09, 0] in float16).
            "inaccurate",
        ),
        notes=f"1-D rows of at most {int((OUTER_MAX_BYTES // 8) ** 0.5)} elements: J has n^2.",
    ),
    Adapter(
        name="numpy.derivative_sympy",
        family="thread",
        source=f"{SEED_004} article: the SymPy route, softmax(z) = np.exp(sympy.Matrix(z)) / "
        "np.sum(...), J = s.jacobian(x), wrapped as softmax_vjp: J.T @ g",
        factory=_sympy_factory,
        ops=("softmax_vjp",),
        capabilities=_VECTOR,
        expected=(
            # np.exp of a sympy.Matrix: NumPy calls each element's .exp(), which SymPy
            # numbers do not have (TypeError); the Jacobian is never reached. Even if it
            # were, s is built from the numbers z, not the symbols x: J would be all zeros.
            "raises",
        ),
        requires=("sympy",),
        notes=f"1-D rows of at most {SYMPY_MAX_N} elements (a symbolic n x n Jacobian).",
    ),
]
