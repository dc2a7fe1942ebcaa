"""Library softmaxes: SciPy, scikit-learn, PyTorch, TensorFlow.

Each backend is imported inside its factory, so a missing one makes its
adapters unavailable instead of failing at start-up. Framework adapters
convert NumPy to tensors and back outside the op they return, so the
runner's timer sees only the library call plus the unavoidable transfer.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded, Op, import_module

__all__ = ["ADAPTERS"]

_FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})

# Known failures under the default policy, measured with `conformance check --adapter NAME`.
_EMPTY_RAISES = (
    "empty input raises: np.max of an empty array has no identity "
    "(ValueError: zero-size array to reduction operation maximum)"
)
_BF16_SUM = (
    "bfloat16 10^5 row: NumPy sums ml_dtypes.bfloat16 in bfloat16, the sum stalls: "
    "row sum off by 387 eps, condition-aware error 150"
)
_BF16_BATCH = (
    "bfloat16 rows of 2048: NumPy sums ml_dtypes.bfloat16 in bfloat16, the sum stalls: "
    "row sum off by 48 eps, condition-aware error 19.5"
)
_TF_FTZ = "flush-to-zero: subnormal outputs return as 0 (condition-aware error {})"


def _scipy_axis() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    return {"softmax": lambda x, axis: special.softmax(x, axis=axis)}


def _scipy_default_axis() -> Mapping[str, Op]:
    special = import_module("scipy.special")
    # Called as people call it: no axis, so axis=None normalises the whole array.
    return {"softmax": lambda x, axis: special.softmax(x)}


def _sklearn(copy: bool) -> Mapping[str, Op]:
    extmath = import_module("sklearn.utils.extmath")
    return {"softmax": lambda x, axis: extmath.softmax(x, copy=copy)}


def _torch() -> Loaded:
    torch = import_module("torch")
    ml_dtypes = import_module("ml_dtypes")

    def to_native(x: np.ndarray):
        if x.dtype == ml_dtypes.bfloat16:  # same bits as torch.bfloat16
            return torch.from_numpy(np.ascontiguousarray(x).view(np.int16)).view(torch.bfloat16)
        # from_numpy shares memory, so an in-place op would show as a mutated input.
        return torch.from_numpy(x if x.strides and min(x.strides) >= 0 else x.copy())

    def to_numpy(t) -> np.ndarray:
        t = t.detach()
        if t.dtype == torch.bfloat16:
            return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.numpy()

    def softmax(t, axis: int):
        with torch.no_grad():
            return torch.softmax(t, dim=axis)

    return Loaded(ops={"softmax": softmax}, to_native=to_native, to_numpy=to_numpy)


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


def _tensorflow() -> Loaded:
    # Keep TensorFlow's C++ start-up chatter (oneDNN, CPU features) off the terminal.
    # Level 3 also drops the "oneDNN supports DT_HALF only on AVX-512" notice printed at
    # the first float16 call; real failures still raise in Python.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _quiet_native_stderr():
        tf = import_module("tensorflow")
    return Loaded(
        ops={"softmax": lambda t, axis: tf.nn.softmax(t, axis=axis)},
        to_native=tf.constant,
        to_numpy=lambda t: t.numpy(),
    )


ADAPTERS = [
    Adapter(
        name="scipy.special",
        family="library",
        source="scipy.special.softmax(x, axis=axis)",
        factory=_scipy_axis,
        capabilities=Capabilities(dtypes=_FLOATS, axis="any"),
        # bfloat16 long row: NumPy adds ml_dtypes.bfloat16 one element at a time in
        # bfloat16, so the sum of 10^5 exps stalls and the outputs come out ~4x too large.
        expected=("inaccurate",),
        requires=("scipy",),
        extra="scipy",
        known_failures={
            "empty_input": _EMPTY_RAISES,
            "row_sums[bfloat16]": _BF16_SUM,
            "accuracy[bfloat16]": _BF16_SUM,
        },
    ),
    Adapter(
        name="scipy.special.default_axis",
        family="library",
        source="scipy.special.softmax(x) with its default axis=None, as people call it",
        factory=_scipy_default_axis,
        capabilities=Capabilities(dtypes=_FLOATS, axis="whole-array"),
        # axis=None is documented to normalise the whole array: on a batch of
        # rows that is the wrong axis. bfloat16 long row: as scipy.special.
        expected=("inaccurate", "wrong-axis"),
        requires=("scipy",),
        extra="scipy",
    ),
    Adapter(
        name="sklearn.extmath",
        family="library",
        source="sklearn.utils.extmath.softmax(X, copy=True)",
        factory=lambda: _sklearn(copy=True),
        capabilities=Capabilities(dtypes=_FLOATS, axis="rows-2d", ndims=frozenset({2})),
        # bfloat16 batches of 2048: NumPy sums bfloat16 one element at a time in bfloat16,
        # and the sum stalls.
        expected=("inaccurate",),
        requires=("scikit-learn",),
        extra="sklearn",
        known_failures={"empty_input": f"shape (3, 0): {_EMPTY_RAISES}",
                        "row_sums[bfloat16]": _BF16_BATCH, "accuracy[bfloat16]": _BF16_BATCH},
    ),
    Adapter(
        name="sklearn.extmath.copy_false",
        family="library",
        source="sklearn.utils.extmath.softmax(X, copy=False)",
        factory=lambda: _sklearn(copy=False),
        capabilities=Capabilities(dtypes=_FLOATS, axis="rows-2d", ndims=frozenset({2})),
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
    Adapter(
        name="torch.softmax",
        family="library",
        source="torch.softmax(torch.from_numpy(x), dim=axis) on the CPU",
        factory=_torch,
        capabilities=Capabilities(dtypes=_FLOATS, axis="any", accepts_int=False),
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="tensorflow.nn",
        family="library",
        source="tf.nn.softmax(tf.constant(x), axis=axis) on the CPU",
        factory=_tensorflow,
        capabilities=Capabilities(dtypes=_FLOATS, axis="any", accepts_int=False),
        # TensorFlow's CPU kernels run with flush-to-zero: subnormal outputs come back as 0.
        expected=("flush-to-zero",),
        known_failures={
            "accuracy[float32]": _TF_FTZ.format("1.56e4: 1.95e-39 returned as 0"),
            "accuracy[float64]": _TF_FTZ.format("1.05e12: 3.7e-309 returned as 0"),
        },
        requires=("tensorflow-cpu",),
        extra="tensorflow",
    ),
]
