"""Library log_softmax, softmax gradient (VJP) and cross-entropy: SciPy, PyTorch, TensorFlow.

Signatures, as the runner calls them (``op(*[to_native(a) for a in arrays], axis)``):

- ``log_softmax(x, axis)``: same shape and dtype as x;
- ``softmax_vjp(x, g, axis)``: s * (g - sum(g * s, axis)), s = softmax(x), the
  gradient of softmax pulled back through the cotangent g (same shape and dtype as x);
- ``cross_entropy(logits, labels, axis)``: the per-row loss -log_softmax(logits)[label],
  shape ``labels.shape``, never the mean (``reduction="none"`` and equivalents).

Backends are imported inside the factories. The tensor conversions are those of
adapters/libraries.py (the same functions, not copies): ``torch.from_numpy`` and
``tf.constant`` both take the int64 label arrays as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded, Op, import_module
from adapters.libraries import _tensorflow, _torch

__all__ = ["ADAPTERS"]

_FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
# Tensor ops: integer tensors are refused by the frameworks (no softmax of an int tensor,
# no gradient with respect to one).
_TENSOR = Capabilities(dtypes=_FLOATS, axis="any", accepts_int=False)


def _scipy_log_softmax() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    return {"log_softmax": lambda x, axis: special.log_softmax(x, axis=axis)}


def _with_torch_conversions(ops: Mapping[str, Op]) -> Loaded:
    base = _torch()
    return Loaded(ops=ops, to_native=base.to_native, to_numpy=base.to_numpy)


def _torch_log_softmax() -> Loaded:
    torch = import_module("torch")

    def log_softmax(t: Any, axis: int) -> Any:
        with torch.no_grad():
            return torch.log_softmax(t, dim=axis)

    return _with_torch_conversions({"log_softmax": log_softmax})


def _torch_autograd() -> Loaded:
    torch = import_module("torch")

    def softmax_vjp(t: Any, g: Any, axis: int) -> Any:
        # a leaf that shares t's memory; autograd never writes into it
        with torch.enable_grad():
            x = t.detach().requires_grad_(True)
            s = torch.softmax(x, dim=axis)
            (dx,) = torch.autograd.grad(s, x, grad_outputs=g)
        return dx

    return _with_torch_conversions({"softmax_vjp": softmax_vjp})


def _torch_cross_entropy() -> Loaded:
    torch = import_module("torch")
    functional = import_module("torch.nn.functional")

    def cross_entropy(t: Any, labels: Any, axis: int) -> Any:
        # torch takes the classes along dim 1 for N-D input ((N, C, d1, ...), targets
        # (N, d1, ...)) and along dim 0 for 1-D input (target a scalar): the case's axis
        # is moved to 1 (a view, inside the timed op), which leaves the other dims in the
        # order of the labels. reduction="none": the per-row loss, not the mean.
        if t.dim() >= 2:
            t = torch.movedim(t, axis, 1)
        with torch.no_grad():
            return functional.cross_entropy(t, labels, reduction="none")

    return _with_torch_conversions({"cross_entropy": cross_entropy})


def _with_tf_conversions(ops: Mapping[str, Op]) -> Loaded:
    base = _tensorflow()
    # np.asarray: EagerTensor.numpy() of a 0-d tensor (the loss of a 1-D row) is a NumPy
    # scalar, not an array.
    return Loaded(ops=ops, to_native=base.to_native,
                  to_numpy=lambda t: np.asarray(base.to_numpy(t)))


def _tf_log_softmax() -> Loaded:
    tf = import_module("tensorflow")
    return _with_tf_conversions({"log_softmax": lambda t, axis: tf.nn.log_softmax(t, axis=axis)})


def _tf_gradient_tape() -> Loaded:
    tf = import_module("tensorflow")

    def softmax_vjp(t: Any, g: Any, axis: int) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(t)
            s = tf.nn.softmax(t, axis=axis)
        return tape.gradient(s, t, output_gradients=g)

    return _with_tf_conversions({"softmax_vjp": softmax_vjp})


def _tf_softmax_cross_entropy() -> Loaded:
    tf = import_module("tensorflow")

    def cross_entropy(t: Any, labels: Any, axis: int) -> Any:
        # softmax_cross_entropy_with_logits takes one-hot (probability) labels: the
        # one-hot is built here, inside the timed op, because to_native sees each array
        # alone (it knows neither the class count nor the axis). Per-row loss, no mean.
        axis = axis % t.shape.rank
        onehot = tf.one_hot(labels, depth=t.shape[axis], axis=axis, dtype=t.dtype)
        return tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=t, axis=axis)

    return _with_tf_conversions({"cross_entropy": cross_entropy})


def _tf_sparse_softmax_cross_entropy() -> Loaded:
    tf = import_module("tensorflow")

    def cross_entropy(t: Any, labels: Any, axis: int) -> Any:
        # no axis parameter: the classes are the last dim (Capabilities(axis="last")).
        # Per-row loss, no mean.
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t)

    return _with_tf_conversions({"cross_entropy": cross_entropy})


# Measured with `conformance check --adapter NAME --op OP` (all four dtypes).
_SCIPY_LOW = "NumPy sums float16/bfloat16 in that dtype and the sum stalls on long rows"
_MASK_NAN = ("a -inf logit (a mask) gives 0 * inf = NaN in sum(one_hot * -log_softmax) for "
             "every label of its row")
_TF_VJP_FTZ = "flush-to-zero: a subnormal dx returns as 0 (condition-aware error {})"

ADAPTERS = [
    Adapter(
        name="scipy.special.log_softmax",
        family="library",
        source="scipy.special.log_softmax(x, axis=axis)",
        factory=_scipy_log_softmax,
        ops=("log_softmax",),
        capabilities=Capabilities(dtypes=_FLOATS, axis="any"),
        expected=(
            # float16/bfloat16 rows are summed in the input dtype and the sum stalls.
            "inaccurate",
        ),
        known_failures={
            "empty_input": "empty input raises: np.max of an empty array has no identity",
            "row_sums[bfloat16]": f"{_SCIPY_LOW}: bfloat16 row of 1971, 35.8 (bound 23.9)",
            "accuracy[bfloat16]": f"{_SCIPY_LOW}: bfloat16 row of 1971, error 18.6",
        },
        requires=("scipy",),
        extra="scipy",
    ),
    Adapter(
        name="torch.log_softmax",
        family="library",
        source="torch.log_softmax(torch.from_numpy(x), dim=axis) on the CPU",
        factory=_torch_log_softmax,
        ops=("log_softmax",),
        capabilities=_TENSOR,
        # Conforming. y of the row max is -log1p(others) computed as a log of the sum
        # (0 for -1.1e-39), within the absolute bound the error is measured in.
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="tensorflow.nn.log_softmax",
        family="library",
        source="tf.nn.log_softmax(tf.constant(x), axis=axis) on the CPU",
        factory=_tf_log_softmax,
        ops=("log_softmax",),
        capabilities=_TENSOR,
        # Conforming.
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="torch.autograd",
        family="library",
        source="torch.autograd.grad(torch.softmax(x, dim=axis), x, grad_outputs=g) on the CPU",
        factory=_torch_autograd,
        ops=("softmax_vjp",),
        capabilities=_TENSOR,
        # Conforming: within the bound once the scale includes exp's conditioning
        # (1 + |x_i| + sum s_j |x_j|) and is floored at the smallest normal number.
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="tensorflow.gradient_tape",
        family="library",
        source="tf.GradientTape: tape.gradient(tf.nn.softmax(x, axis=axis), x, "
        "output_gradients=g) on the CPU",
        factory=_tf_gradient_tape,
        ops=("softmax_vjp",),
        capabilities=_TENSOR,
        # TensorFlow's CPU kernels run with flush-to-zero: a subnormal dx comes back as 0.
        expected=("flush-to-zero",),
        known_failures={
            "accuracy[float32]": _TF_VJP_FTZ.format("3.91e4: -3.9e-40 returned as -0"),
            "accuracy[float64]": _TF_VJP_FTZ.format("2.73e12: 2.0e-309 returned as 0"),
        },
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="torch.cross_entropy",
        family="library",
        source="torch.nn.functional.cross_entropy(logits, labels, reduction='none') on the "
        "CPU, the class axis moved to dim 1 (torch.movedim) for N-D logits",
        factory=_torch_cross_entropy,
        ops=("cross_entropy",),
        capabilities=_TENSOR,
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="tensorflow.nn.softmax_cross_entropy",
        family="library",
        source="tf.nn.softmax_cross_entropy_with_logits(labels=tf.one_hot(labels, n, "
        "axis=axis), logits=x, axis=axis) on the CPU, per-row loss",
        factory=_tf_softmax_cross_entropy,
        ops=("cross_entropy",),
        capabilities=_TENSOR,
        expected=(
            # the loss is sum(onehot * -log_softmax): a -inf logit (a mask) gives 0 * inf = NaN
            # for every label of its row (the neg-inf and masks cases).
            "nan-output",
            # logits of +-3.4e38 (float32 max): x - max overflows to -inf for the smallest, and
            # the one-hot's 0 times it is NaN for the other labels (huge/float32/177b1f0056).
            "overflow",
            # the same 0 * -inf where the label's own logit is -inf: NaN for an exact +inf
            # (neg-inf/float16/b97e23eec6), which the run counts as inaccurate.
            "inaccurate",
        ),
        known_failures={
            **{f"finite_output[{d}]": _MASK_NAN for d in sorted(_FLOATS)},
            **{f"accuracy[{d}]": _MASK_NAN for d in sorted(_FLOATS)},
        },
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.nn.sparse_softmax_cross_entropy",
        family="library",
        source="tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x) on "
        "the CPU, per-row loss; classes along the last axis",
        factory=_tf_sparse_softmax_cross_entropy,
        ops=("cross_entropy",),
        capabilities=Capabilities(dtypes=_FLOATS, axis="last", accepts_int=False),
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
]
