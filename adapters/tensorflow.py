"""TensorFlow: ``tf.nn.softmax``, ``tf.nn.log_softmax``, the softmax gradient through
``tf.GradientTape``, and the softmax cross-entropy with one-hot and with sparse labels, with the
NumPy <-> tensor converters they share (and that ``--impl ... --framework tensorflow`` uses).

TensorFlow is imported inside the factories, its C++ start-up chatter kept off the terminal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from adapters.base import (
    KERAS_OPTIONAL_IMPORTS,
    Adapter,
    Capabilities,
    Loaded,
    Op,
    as_if_absent,
    cache_dir,
    import_module,
)

__all__ = ["ADAPTERS", "FTZ_FAILURES", "converters", "import_tensorflow", "loaded"]

# Tensor ops: integer tensors are refused by the framework.
_TENSOR = Capabilities(axis="any", accepts_int=False)


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Send what C++ code writes to file descriptor 2 to a file; replay it if the import fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow() -> Any:
    """``import tensorflow``, quietly."""
    # Keep TensorFlow's C++ start-up chatter (oneDNN, CPU features) off the terminal.
    # Level 3 also drops the "oneDNN supports DT_HALF only on AVX-512" notice printed at
    # the first float16 call; real failures still raise in Python.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # XLA keeps what it compiles (tensorflow.xla.*: once per shape) for later workers and runs
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" not in flags and "tensorflow" not in sys.modules:
        os.environ["TF_XLA_FLAGS"] = (f"{flags} --tf_xla_persistent_cache_directory="
                                      f"{cache_dir('tf-xla')}").strip()
    with _quiet_native_stderr(), as_if_absent(KERAS_OPTIONAL_IMPORTS):  # it imports Keras
        return import_module("tensorflow")


def converters() -> tuple[Any, Any]:
    """(to_native, to_numpy): NumPy arrays to eager tensors and back.

    np.asarray: EagerTensor.numpy() of a 0-d tensor (the loss of a 1-D row) is a NumPy
    scalar, not an array.
    """
    tf = import_tensorflow()
    return tf.constant, lambda t: np.asarray(t.numpy())


def loaded(ops: dict[str, Op]) -> Loaded:
    """``ops`` (tensor in, tensor out) with this module's converters."""
    to_native, to_numpy = converters()
    return Loaded(ops=ops, to_native=to_native, to_numpy=to_numpy)


def _softmax() -> Loaded:
    tf = import_tensorflow()
    return loaded({"softmax": lambda t, axis: tf.nn.softmax(t, axis=axis)})


def _log_softmax() -> Loaded:
    tf = import_tensorflow()
    return loaded({"log_softmax": lambda t, axis: tf.nn.log_softmax(t, axis=axis)})


def _xla(op: str) -> Loaded:
    tf = import_tensorflow()
    fn = {"softmax": tf.nn.softmax, "log_softmax": tf.nn.log_softmax}[op]
    # The axis must be static: one function per axis (and rank and dtype, traced once with
    # unknown dimensions); XLA compiles it per input shape and caches that.
    compiled: dict[tuple[int, int, Any], Any] = {}

    def call(t: Any, axis: int) -> Any:
        key = (axis, t.shape.rank, t.dtype)
        f = compiled.get(key)
        if f is None:
            spec = tf.TensorSpec([None] * t.shape.rank, t.dtype)
            f = compiled[key] = tf.function(lambda x: fn(x, axis=axis), jit_compile=True,
                                            input_signature=[spec])
        return f(t)

    # the worker drops the compiled functions when it has grown (execute.heap): cases rarely
    # share a shape, so little is compiled again
    return dataclasses.replace(loaded({op: call}), warm_up=True, release=compiled.clear)


def _gradient_tape() -> Loaded:
    tf = import_tensorflow()

    def softmax_vjp(t: Any, g: Any, axis: int) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(t)
            s = tf.nn.softmax(t, axis=axis)
        return tape.gradient(s, t, output_gradients=g)

    return loaded({"softmax_vjp": softmax_vjp})


def _softmax_cross_entropy() -> Loaded:
    tf = import_tensorflow()

    def cross_entropy(t: Any, labels: Any, axis: int) -> Any:
        # softmax_cross_entropy_with_logits takes one-hot (probability) labels: the
        # one-hot is built here, inside the timed op, because to_native sees each array
        # alone (it knows neither the class count nor the axis). Per-row loss, no mean.
        axis = axis % t.shape.rank
        onehot = tf.one_hot(labels, depth=t.shape[axis], axis=axis, dtype=t.dtype)
        return tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=t, axis=axis)

    return loaded({"cross_entropy": cross_entropy})


def _sparse_softmax_cross_entropy() -> Loaded:
    tf = import_tensorflow()

    def cross_entropy(t: Any, labels: Any, axis: int) -> Any:
        # no axis parameter: the classes are the last dim (Capabilities(axis="last")).
        # Per-row loss, no mean.
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t)

    return loaded({"cross_entropy": cross_entropy})


# Known failures under the default policy, measured with `conformance check --adapter NAME`.
_FTZ = "flush-to-zero: subnormal outputs return as 0 (condition-aware error {})"
_VJP_FTZ = "flush-to-zero: a subnormal dx returns as 0 (condition-aware error {})"
# softmax on TensorFlow's CPU (tf.nn, XLA, Keras on TensorFlow), measured alike by the gate
FTZ_FAILURES = {
    "accuracy[float32]": _FTZ.format("1.56e4: 1.95e-39 returned as 0"),
    "accuracy[float64]": _FTZ.format("1.05e12: 3.7e-309 returned as 0"),
}
_MASK_NAN = ("a -inf logit (a mask) gives 0 * inf = NaN in sum(one_hot * -log_softmax) for "
             "every label of its row")

ADAPTERS = [
    Adapter(
        name="tensorflow.nn",
        family="library",
        source="tf.nn.softmax(tf.constant(x), axis=axis) on the CPU",
        factory=_softmax,
        capabilities=_TENSOR,
        # TensorFlow's CPU kernels run with flush-to-zero: subnormal outputs come back as 0.
        expected=(
            # measured on 70,000 equal float16 logits: the sum of exps is kept in
            # float16, passes 65504 and overflows to inf (outputs 0, log-probabilities
            # -inf).
            "denominator-overflow", "flush-to-zero"),
        known_failures=FTZ_FAILURES,
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.nn.log_softmax",
        family="library",
        source="tf.nn.log_softmax(tf.constant(x), axis=axis) on the CPU",
        factory=_log_softmax,
        ops=("log_softmax",),
        capabilities=_TENSOR,
        # Measured: on 70,000 equal float16 logits the sum of exps is kept in float16,
        # passes 65504 and overflows (log-probabilities -inf, losses inf).
        expected=("denominator-overflow",),
        known_failures={
            "finite_output[float16]": "70,000 equal logits: the float16 sum of exps overflows",
            "accuracy[float16]": "70,000 equal logits: the float16 sum of exps overflows",
        },
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.xla.softmax",
        family="library",
        source="tf.function(lambda x: tf.nn.softmax(x, axis=axis), jit_compile=True) (XLA, "
        "one function per axis, compiled per shape) on the CPU",
        factory=functools.partial(_xla, "softmax"),
        capabilities=_TENSOR,
        # XLA's CPU code flushes subnormal outputs to zero, as TensorFlow's kernels do
        # (measured: huge/float32/2c4ed9aa42 returns 0 for 1.95e-39), and keeps a float16
        # sum in float16: 70,000 equal logits give 0 (long-row/float16/9ff137a52b).
        expected=("flush-to-zero", "denominator-overflow"),
        known_failures=FTZ_FAILURES,
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.xla.log_softmax",
        family="library",
        source="tf.function(lambda x: tf.nn.log_softmax(x, axis=axis), jit_compile=True) "
        "(XLA, one function per axis, compiled per shape) on the CPU",
        factory=functools.partial(_xla, "log_softmax"),
        ops=("log_softmax",),
        capabilities=_TENSOR,
        # a float16 sum kept in float16: 70,000 equal logits give -inf
        expected=("denominator-overflow",),
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.gradient_tape",
        family="library",
        source="tf.GradientTape: tape.gradient(tf.nn.softmax(x, axis=axis), x, "
        "output_gradients=g) on the CPU",
        factory=_gradient_tape,
        ops=("softmax_vjp",),
        capabilities=_TENSOR,
        # TensorFlow's CPU kernels run with flush-to-zero: a subnormal dx comes back as 0;
        # measured on 70,000 equal float16 logits: the float16 softmax under the gradient
        # sums its exps in float16, passes 65504 and every dx is 0.
        expected=("flush-to-zero", "denominator-overflow"),
        known_failures={
            "accuracy[float32]": _VJP_FTZ.format("3.91e4: -3.9e-40 returned as -0"),
            "accuracy[float64]": _VJP_FTZ.format("2.73e12: 2.0e-309 returned as 0"),
        },
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.nn.softmax_cross_entropy",
        family="library",
        source="tf.nn.softmax_cross_entropy_with_logits(labels=tf.one_hot(labels, n, "
        "axis=axis), logits=x, axis=axis) on the CPU, per-row loss",
        factory=_softmax_cross_entropy,
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
        known_failures={"finite_output": _MASK_NAN, "accuracy": _MASK_NAN},  # every dtype
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
    Adapter(
        name="tensorflow.nn.sparse_softmax_cross_entropy",
        family="library",
        source="tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x) on "
        "the CPU, per-row loss; classes along the last axis",
        factory=_sparse_softmax_cross_entropy,
        ops=("cross_entropy",),
        capabilities=Capabilities(axis="last", accepts_int=False),
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
]
