"""MXNet 1.9.1: ``mx.nd.softmax``, by default and with ``MXNET_SAFE_ACCUMULATION=1``;
``mx.nd.log_softmax`` and gluon's ``SoftmaxCrossEntropyLoss`` (the loss 001 names).

MXNet 1.9.1 imports only with numpy < 1.24, so these adapters run in an
environment of their own (``conformance env create mx --packages
"mxnet==1.9.1" "numpy<1.24"``, then ``--adapters 'mxnet.*@mx'``); in any
other environment they are unavailable with that command as the reason.

MXNet runs operators asynchronously: every op here waits for its result
(``wait_to_read``) so that the timer, an error and the environment variable
all belong to the call. ``MXNET_SAFE_ACCUMULATION`` is read by the kernel
when it runs, so the variable is set (or removed) around the call and
restored after it; the default adapter removes it, so a value in the user's
shell cannot change what it measures.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded, import_module

__all__ = ["ADAPTERS", "CREATE_COMMAND", "SAFE_ACCUMULATION"]

SAFE_ACCUMULATION = "MXNET_SAFE_ACCUMULATION"
CREATE_COMMAND = "conformance env create mx --packages 'mxnet==1.9.1' 'numpy<1.24'"
_HINT = (f"MXNet 1.9.1 needs numpy<1.24, so it runs in an environment of its own: "
         f"{CREATE_COMMAND}, then conformance run --adapters 'mxnet.*@mx'")

_FLOATS = frozenset({"float16", "float32", "float64"})  # no bfloat16 through NumPy in 1.9.1


def _import_mxnet() -> Any:
    try:
        return import_module("mxnet")
    except ImportError as exc:
        raise ImportError(f"{exc}; {_HINT}") from exc
    except Exception as exc:  # mxnet 1.9.1 beside numpy >= 1.24 fails on np.bool
        raise ImportError(f"mxnet does not import here ({type(exc).__name__}: {exc}); "
                          f"{_HINT}") from exc


@contextlib.contextmanager
def _variable(name: str, value: str | None) -> Iterator[None]:
    """os.environ[name] = value (None removes it) for the duration; restored after."""
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _conversions(mx: Any) -> dict[str, Any]:
    def to_native(x: np.ndarray) -> Any:
        # dtype given: nd.array's default for a NumPy source is float32, not x.dtype
        return mx.nd.array(x, dtype=x.dtype)

    return {"to_native": to_native, "to_numpy": lambda t: t.asnumpy()}


def _softmax(safe: bool) -> Loaded:
    mx = _import_mxnet()

    def softmax(t: Any, axis: int) -> Any:
        with _variable(SAFE_ACCUMULATION, "1" if safe else None):
            y = mx.nd.softmax(t, axis=axis)
            y.wait_to_read()
        return y

    return Loaded(ops={"softmax": softmax}, **_conversions(mx))


def log_softmax_ops() -> Loaded:
    """``mx.nd.log_softmax(x, axis=axis)``, as the op ``log_softmax(x, axis)``."""
    mx = _import_mxnet()

    def log_softmax(t: Any, axis: int) -> Any:
        with _variable(SAFE_ACCUMULATION, None):
            y = mx.nd.log_softmax(t, axis=axis)
            y.wait_to_read()
        return y

    return Loaded(ops={"log_softmax": log_softmax}, **_conversions(mx))


def cross_entropy_ops() -> Loaded:
    """``gluon.loss.SoftmaxCrossEntropyLoss(axis=axis, sparse_label=True)(logits, labels)``,
    as the op ``cross_entropy(logits, labels, axis)``: one loss per row of (N, C) logits."""
    mx = _import_mxnet()

    def cross_entropy(logits: Any, labels: Any, axis: int) -> Any:
        loss = mx.gluon.loss.SoftmaxCrossEntropyLoss(axis=axis, sparse_label=True)
        with _variable(SAFE_ACCUMULATION, None):
            y = loss(logits, labels)
            y.wait_to_read()
        return y

    return Loaded(ops={"cross_entropy": cross_entropy}, **_conversions(mx))


_CAPS = Capabilities(dtypes=_FLOATS, axis="any", accepts_int=False)  # int input raises
# Measured: conformance run --env mx=... --adapters 'mxnet.*@mx' (full catalogue, MXNet 1.9.1,
# numpy 1.23.5, x86-64 CPU). Both softmax adapters: float32 outputs where the reference is
# subnormal come back as 0 (condition-aware error up to 2.3e4); a float64 row of 10^5 sums
# to 1 + 12.5 eps (error 6.37, bound 4); empty input raises (shape inference takes a 0
# dimension for an unknown one).

ADAPTERS = [
    Adapter(
        name="mxnet.nd.softmax",
        family="library",
        source="mx.nd.softmax(mx.nd.array(x, dtype=x.dtype), axis=axis) on the CPU, "
        f"{SAFE_ACCUMULATION} unset (MXNet 1.9.1's default)",
        factory=lambda: _softmax(safe=False),
        capabilities=_CAPS,
        # float16 rows are summed in float16: a 10^5 row's sum stalls (row sum off by 889
        # eps, condition-aware error 186) and MXNet logs that MXNET_SAFE_ACCUMULATION=1 is
        # recommended; float32 flushes subnormal outputs; float64 long rows: 12.5 eps.
        expected=("inaccurate", "flush-to-zero"),
        requires=("mxnet", "numpy"),
        notes="float16 sums in float16 (MXNET_SAFE_ACCUMULATION unset): on a 10^5 row the "
        "row sum is off by 889 eps, condition-aware error 186.",
    ),
    Adapter(
        name="mxnet.nd.softmax.safe_accumulation",
        family="library",
        source=f"mx.nd.softmax(...) as mxnet.nd.softmax, with {SAFE_ACCUMULATION}=1 set "
        "around the call (float16 sums in float32)",
        factory=lambda: _softmax(safe=True),
        capabilities=_CAPS,
        # float16 now sums in float32: worst condition-aware error 1.20 (186 without);
        # float32 and float64 are unchanged (flush-to-zero, the float64 10^5 row).
        expected=("inaccurate", "flush-to-zero"),
        requires=("mxnet", "numpy"),
        notes="MXNET_SAFE_ACCUMULATION=1 makes float16 sum in float32: worst condition-aware "
        "error 1.20 over the catalogue against 186 without it; float32 and float64 unchanged.",
    ),
    Adapter(
        name="mxnet.nd.log_softmax",
        family="library",
        source="mx.nd.log_softmax(mx.nd.array(x, dtype=x.dtype), axis=axis) on the CPU, "
        f"{SAFE_ACCUMULATION} unset",
        factory=log_softmax_ops,
        ops=("log_softmax",),
        capabilities=_CAPS,
        # float32: y of the row max comes back as +1.43e-6 (12 eps, above 0) where the exact
        # value is -5.4e-20 (wide-spread/float32/75a338c2ab); ordinary rows 4-12 eps. float16
        # sums in float16: the 10^5 row's error is 34.7. float64 within 1.3.
        expected=("inaccurate",),
        requires=("mxnet", "numpy"),
        notes="float32: up to 12 eps (absolute) on ordinary rows, a positive log-probability "
        "(+1.43e-6) for the row max; float16 10^5 row: error 34.7; float64 within 1.3.",
    ),
    Adapter(
        name="mxnet.gluon.SoftmaxCrossEntropyLoss",
        family="library",
        source="mx.gluon.loss.SoftmaxCrossEntropyLoss(axis=axis, sparse_label=True)"
        "(logits, labels) on the CPU, one loss per row",
        factory=cross_entropy_ops,
        ops=("cross_entropy",),
        # the loss averages over every axis but the batch axis 0: only (N, C) logits give
        # one loss per row
        capabilities=Capabilities(dtypes=_FLOATS, axis="rows-2d", ndims=frozenset({2}),
                                  accepts_int=False),
        # the loss is -log_softmax at the label, with its float32 error: -1.43e-6 (a negative
        # loss) where the exact loss is 1.1e-39 (subnormal/float32/0d1da62a86), error 12.
        expected=("inaccurate",),
        requires=("mxnet", "numpy"),
        notes="float32: the loss of log_softmax's error, up to 12 eps, a negative loss "
        "(-1.43e-6) where the exact one is 1.1e-39; float16 within 3.3, float64 within 0.65.",
    ),
]
