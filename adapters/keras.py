"""Keras 3: ``keras.ops.softmax``, ``keras.ops.log_softmax`` and
``keras.losses.sparse_categorical_crossentropy(from_logits=True)`` on each Keras backend
(TensorFlow, JAX, torch), fed the backend's own tensors (this package's converters for it).

Keras reads ``KERAS_BACKEND`` once, at import: each backend's adapters run in that backend's
worker (torch's, JAX's, TensorFlow's: ``requires`` names the backend first) with the variable
set there (``worker_env``), so the three backends are three processes and none is imported
twice. In a process that has imported Keras already with another backend they are
unavailable, and say why; a fresh process (``conformance check``, a reproducer) sets the
variable before the import.

On the JAX backend the ops run under ``jax.jit`` (as Keras's own JAX trainer runs them), with
each call made once untimed first: eager JAX compiles primitive by primitive per shape, too slow
for the default run (see adapters/jax.py). Keras is imported inside the factories.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from adapters.base import (
    KERAS_OPTIONAL_IMPORTS,
    Adapter,
    Capabilities,
    Loaded,
    Op,
    Unavailable,
    as_if_absent,
    import_module,
)
from adapters.tensorflow import FTZ_FAILURES

__all__ = ["ADAPTERS", "BACKENDS", "import_keras"]

# Keras backend -> (the distribution it needs, this project's extra for it)
BACKENDS = {"tensorflow": ("tensorflow-cpu", "tensorflow"), "jax": ("jax", "jax"),
            "torch": ("torch", "torch")}


def import_keras(backend: str) -> Any:
    """``import keras`` on ``backend``: sets KERAS_BACKEND first where Keras is not imported
    yet; Unavailable where it is, on another backend."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
        if backend == "tensorflow":  # quietly, before Keras imports it
            import_module("adapters.tensorflow").import_tensorflow()
        try:
            import_module(backend)
        except ImportError as exc:
            raise Unavailable(f"Keras's {backend} backend is not installed ({exc}); install "
                              f"it with: pip install 'softmax-conformance[keras,"
                              f"{BACKENDS[backend][1]}]'") from None
        with as_if_absent(tuple(m for m in KERAS_OPTIONAL_IMPORTS if m != backend)):
            return _checked(import_module("keras"), backend)
    return _checked(import_module("keras"), backend)


def _checked(keras: Any, backend: str) -> Any:
    current = keras.backend.backend()
    if current != backend:
        raise Unavailable(
            f"Keras is imported in this process on the {current} backend; KERAS_BACKEND is read "
            f"at import, so Keras on {backend} needs a process of its own: run with "
            "--isolation process (each Keras backend gets its own worker)")
    return keras


def _ops(keras: Any) -> dict[str, Op]:
    def cross_entropy(logits: Any, labels: Any, axis: int) -> Any:
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True,
                                                            axis=axis)

    return {
        "softmax": lambda x, axis: keras.ops.softmax(x, axis=axis),
        "log_softmax": lambda x, axis: keras.ops.log_softmax(x, axis=axis),
        "cross_entropy": cross_entropy,
    }


def _factory(backend: str, op: str) -> Loaded:
    keras = import_keras(backend)
    fn = _ops(keras)[op]
    warm_up, release = False, None
    if backend == "jax":
        jax = import_module("jax")
        import_module("adapters.jax").use_compilation_cache(jax)
        jitted = jax.jit(fn, static_argnames="axis")
        fn, warm_up, release = (lambda *args: jitted(*args[:-1], axis=args[-1])), True, (
            jax.clear_caches)
    to_native, to_numpy = import_module(f"adapters.{backend}").converters()
    return Loaded(ops={op: fn}, to_native=to_native, to_numpy=to_numpy, warm_up=warm_up,
                  release=release)


_CALLS = {
    "softmax": ("softmax", "keras.ops.softmax(x, axis=axis)"),
    "log_softmax": ("log_softmax", "keras.ops.log_softmax(x, axis=axis)"),
    "cross_entropy": ("sparse_categorical_crossentropy",
                      "keras.losses.sparse_categorical_crossentropy(labels, logits, "
                      "from_logits=True, axis=axis)"),
}

# keras.losses.sparse_categorical_crossentropy along another axis than the last: on TensorFlow
# "ValueError: Only axis=-1 is currently supported" (187 cases of the run), on JAX "Arguments
# `target` and `output` must have the same shape up until the last dimension" (146 cases).
_AXIS = {"keras.tensorflow.sparse_categorical_crossentropy": "last",
         "keras.jax.sparse_categorical_crossentropy": "last"}
# Measured with `conformance run --adapters 'keras.*'` (keras 3.15.1): on TensorFlow, softmax
# is tf.nn.softmax, whose CPU kernel flushes subnormal outputs to zero, as tensorflow.nn's.
# On JAX (x64 off, JAX's default) float64 input comes back float32, as with jax.nn.softmax,
# and XLA flushes subnormal softmax outputs to zero (huge/float32/2c4ed9aa42: 1.95e-39 -> 0);
# its loss returns float32 for float16 and bfloat16 logits too (235 cases). A float16 sum
# kept in float16 overflows on a row of 70,000 equal logits (long-row/float16/9ff137a52b:
# softmax 0, log_softmax -inf, the loss inf) on TensorFlow and JAX, and in the loss on torch
# (keras.ops.softmax on torch accumulates in float32: 1.43e-5, right).
_OVERFLOW = "denominator-overflow"
_EXPECTED: dict[str, tuple[str, ...]] = {
    "keras.tensorflow.softmax": ("flush-to-zero", _OVERFLOW),
    "keras.tensorflow.log_softmax": (_OVERFLOW,),
    "keras.jax.softmax": ("dtype-changed", "flush-to-zero", _OVERFLOW),
    "keras.jax.log_softmax": ("dtype-changed", _OVERFLOW),
    "keras.jax.sparse_categorical_crossentropy": ("dtype-changed", _OVERFLOW),
    "keras.torch.sparse_categorical_crossentropy": (_OVERFLOW,),
}
# `conformance check --adapter keras.tensorflow.softmax`: the accuracy of subnormal outputs,
# as tensorflow.nn's (1.56e4 in float32, 1.05e12 in float64).
_KNOWN: dict[str, dict[str, str]] = {"keras.tensorflow.softmax": FTZ_FAILURES}
_NOTES: dict[str, str] = {}


def _adapters() -> list[Adapter]:
    out = []
    for backend, (dist, _) in BACKENDS.items():
        for op, (short, call) in _CALLS.items():
            name = f"keras.{backend}.{short}"
            how = "under jax.jit" if backend == "jax" else "eagerly"
            out.append(Adapter(
                name=name,
                family="library",
                source=f"{call} on {backend} tensors, KERAS_BACKEND={backend}, {how}, "
                "on the CPU",
                factory=functools.partial(_factory, backend, op),
                ops=(op,),
                capabilities=Capabilities(axis=_AXIS.get(name, "any"), accepts_int=False),
                expected=_EXPECTED.get(name, ()),
                known_failures=_KNOWN.get(name, {}),
                # the backend first: its worker (conformance.execute.isolation.worker_key)
                requires=(dist, "keras"),
                imports=(f"keras.src.backend.{backend}",),
                extra="keras",
                worker_env={"KERAS_BACKEND": backend},
                notes=_NOTES.get(name, ""),
            ))
    return out


ADAPTERS = _adapters()
