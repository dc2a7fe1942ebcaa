"""ONNX Runtime: one-node ``Softmax`` and ``LogSoftmax`` models at opset 11 and at opset 13, and
``SoftmaxCrossEntropyLoss`` at opset 13, built with ``onnx.helper`` and run by an
``InferenceSession``.

Each model has symbolic dimensions, so one session serves every shape of a rank: sessions are
cached per opset, dtype, rank and axis (the axis is an attribute of the node).

Opset 11 ``Softmax`` is another definition: it coerces the input to 2-D at ``axis`` and
normalises over every axis from ``axis`` on together (opset 13 made it a single axis). Its
adapters declare it (``Capabilities(axis="coerce-2d")``): the cases where the two definitions
differ are reported unsupported with that reason, not as a wrong axis.

ONNX Runtime has no bfloat16 ``Softmax`` on the CPU (opset 13: "Could not find an
implementation for ReduceMax(13)"; opset 11's schema has no bfloat16), so the adapters declare
float16, float32 and float64. onnx and onnxruntime are imported inside the factories.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded, Unavailable, import_module

__all__ = ["ADAPTERS", "model", "session_cache"]

_DTYPES = frozenset({"float16", "float32", "float64"})
# ONNX element types (onnx.TensorProto) by NumPy dtype name
_ELEM = {"float16": 10, "float32": 1, "float64": 11}
_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
              "rocm": "ROCMExecutionProvider", "dml": "DmlExecutionProvider"}


def model(op: str, opset: int, dtype: str, rank: int, axis: int) -> Any:
    """A one-node ONNX model: ``op`` (Softmax, LogSoftmax or SoftmaxCrossEntropyLoss) on an
    input of ``rank`` symbolic dimensions of ``dtype``."""
    helper = import_module("onnx.helper")
    elem = _ELEM[dtype]
    dims = [f"d{i}" for i in range(rank)]
    inputs = [helper.make_tensor_value_info("x", elem, dims)]
    if op == "SoftmaxCrossEntropyLoss":  # classes along dim 1, labels (N, d2, ...)
        inputs.append(helper.make_tensor_value_info("labels", 7, dims[:1] + dims[2:]))  # int64
        node = helper.make_node(op, ["x", "labels"], ["y"], reduction="none")
    else:
        node = helper.make_node(op, ["x"], ["y"], axis=axis)
    graph = helper.make_graph([node], op, inputs,
                              [helper.make_tensor_value_info("y", elem, None)])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx_model.ir_version = 8  # read by every ONNX Runtime from 1.14 on
    return onnx_model


def session_cache(provider: str) -> Callable[[str, int, str, int, int], Any]:
    """A function (op, opset, dtype, rank, axis) -> InferenceSession, one session per key."""
    ort = import_module("onnxruntime")

    @functools.cache
    def session(op: str, opset: int, dtype: str, rank: int, axis: int) -> Any:
        options = ort.SessionOptions()
        options.log_severity_level = 3  # no warnings on stderr
        # its threads wait for work asleep, not spinning: a spinning pool took CPU from the
        # other workers (ONNX Runtime's worker: 3.1 s of CPU for 0.4 s in its calls)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return ort.InferenceSession(model(op, opset, dtype, rank, axis).SerializeToString(),
                                    sess_options=options, providers=[provider])

    return session


def _provider(device: str) -> str:
    ort = import_module("onnxruntime")
    kind = device.partition(":")[0]
    provider = _PROVIDERS.get(kind, kind)
    if provider not in ort.get_available_providers():
        raise Unavailable(f"ONNX Runtime has no {provider} here (available: "
                          f"{', '.join(ort.get_available_providers())})")
    return provider


def _softmax(op: str, opset: int, device: str = "cpu") -> Loaded:
    import_module("onnx")
    session = session_cache(_provider(device))
    name = {"Softmax": "softmax", "LogSoftmax": "log_softmax"}[op]

    def call(x: np.ndarray, axis: int) -> np.ndarray:
        axis %= max(x.ndim, 1)
        return session(op, opset, x.dtype.name, x.ndim, axis).run(None, {"x": x})[0]

    return Loaded(ops={name: call}, to_native=np.ascontiguousarray)


def _cross_entropy(device: str = "cpu") -> Loaded:
    import_module("onnx")
    session = session_cache(_provider(device))

    def cross_entropy(x: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
        # classes along dim 1, as torch's: a 1-D row becomes (1, C); N-D logits get their
        # class axis moved to 1 (np.moveaxis, copied contiguous, inside the timed call)
        one_row = x.ndim == 1
        if one_row:
            x, labels = x[None, :], labels.reshape(1)
        else:
            x = np.ascontiguousarray(np.moveaxis(x, axis, 1))
        loss = session("SoftmaxCrossEntropyLoss", 13, x.dtype.name, x.ndim, 1).run(
            None, {"x": x, "labels": labels.astype(np.int64, copy=False)})[0]
        return loss.reshape(()) if one_row else loss

    return Loaded(ops={"cross_entropy": cross_entropy}, to_native=np.ascontiguousarray)


_SOURCE = ("a one-node {op} model (opset {opset}, axis=axis, symbolic dims) built with "
           "onnx.helper, run by onnxruntime.InferenceSession on the CPU")
_DEVICES = ("cpu", "cuda", "rocm", "dml")
_OPSET11 = ("opset 11 coerces the input to 2-D at axis: where an axis after it is longer than "
            "1 the case is another definition, reported unsupported with that reason. ")

# Measured with `conformance run --adapters 'onnxruntime.*'` (onnxruntime 1.32.0): every
# adapter conforming on the cases it accepts. The gate (`conformance check --adapter NAME
# --op OP`) finds one known failure:
_EMPTY = ("empty input raises: SoftmaxCrossEntropyLoss reshapes (0, 4) scores to {0,4,-1} "
          "(ONNXRuntimeError FAIL: The input tensor cannot be reshaped to the requested shape)")
_EXPECTED: dict[str, tuple[str, ...]] = {}
# ONNX Runtime 1.16.3 (an environment of its own): float64 Softmax returns a subnormal where
# exp underflows to 0, softmax([1e300, 0]) = [1, 5.56e-309] (huge/float64/a1623d081d:
# condition-aware error 7.3e11; 43 cases at opset 13, 30 at opset 11). 1.32.0 returns 0.
_OLD_SOFTMAX = {"inaccurate": "onnxruntime<=1.16.3"}
_KNOWN: dict[str, dict[str, str]] = {"onnxruntime.cross_entropy.opset13": {"empty_input": _EMPTY}}
_NOTES: dict[str, str] = {}


def _adapters() -> list[Adapter]:
    out = []
    for op, short in (("Softmax", "softmax"), ("LogSoftmax", "log_softmax")):
        for opset in (11, 13):
            name = f"onnxruntime.{short}.opset{opset}"
            out.append(Adapter(
                name=name,
                family="library",
                source=_SOURCE.format(op=op, opset=opset),
                factory=functools.partial(_softmax, op, opset),
                ops=(short,),
                capabilities=Capabilities(dtypes=_DTYPES, axis="coerce-2d" if opset == 11
                                          else "any", accepts_int=False, devices=_DEVICES),
                expected=_EXPECTED.get(name, ()),
                expected_when=_OLD_SOFTMAX if op == "Softmax" else {},
                known_failures=_KNOWN.get(name, {}),
                requires=("onnxruntime", "onnx"),
                extra="onnxruntime",
                notes=(_OPSET11 if opset == 11 else "") + _NOTES.get(name, ""),
            ))
    name = "onnxruntime.cross_entropy.opset13"
    out.append(Adapter(
        name=name,
        family="library",
        source="a one-node SoftmaxCrossEntropyLoss model (opset 13, reduction='none') built "
        "with onnx.helper, run by onnxruntime.InferenceSession on the CPU; the class axis "
        "moved to 1 (np.moveaxis) for N-D logits, a 1-D row as (1, C)",
        factory=_cross_entropy,
        ops=("cross_entropy",),
        capabilities=Capabilities(dtypes=_DTYPES, axis="any", accepts_int=False,
                                  devices=_DEVICES),
        expected=_EXPECTED.get(name, ()),
        known_failures=_KNOWN.get(name, {}),
        requires=("onnxruntime", "onnx"),
        extra="onnxruntime",
        notes=_NOTES.get(name, ""),
    ))
    return out


ADAPTERS = _adapters()
