"""PyTorch: ``torch.softmax``, ``torch.log_softmax``, the softmax gradient through autograd and
``torch.nn.functional.cross_entropy``, with the NumPy <-> tensor converters they share (and that
``--impl ... --framework torch`` uses).

torch is imported inside the factories: without it these adapters are unavailable, with the
extra to install. bfloat16 crosses by bit pattern (NumPy has no bfloat16 of its own; the
ml_dtypes and torch bfloat16 formats are the same bits).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded, Op, Unavailable, import_module

__all__ = ["ADAPTERS", "converters", "loaded"]

DEVICES = ("cpu", "cuda", "mps", "xpu")
# Tensor ops: integer tensors are refused by the framework (no softmax of an int tensor,
# no gradient with respect to one).
_TENSOR = Capabilities(axis="any", accepts_int=False, devices=DEVICES)


def _device(torch: Any, device: str) -> Any:
    """torch.device(device), or Unavailable saying why this torch cannot use it."""
    kind = device.partition(":")[0]
    backend = getattr(torch, kind, None) if kind != "mps" else torch.backends.mps
    if kind != "cpu" and not (backend is not None and backend.is_available()):
        raise Unavailable(f"torch {torch.__version__} has no {kind} device here "
                          f"(torch.{'backends.mps' if kind == 'mps' else kind}.is_available() "
                          "is False)")
    return torch.device(device)


def converters(device: str | None = None) -> tuple[Any, Any]:
    """(to_native, to_numpy): NumPy arrays to tensors (on ``device``, the CPU by default) and
    back, bfloat16 by bit pattern."""
    torch = import_module("torch")
    ml_dtypes = import_module("ml_dtypes")
    place = _device(torch, device) if device and device != "cpu" else None

    def to_native(x: np.ndarray) -> Any:
        if x.dtype == ml_dtypes.bfloat16:  # same bits as torch.bfloat16
            t = torch.from_numpy(np.ascontiguousarray(x).view(np.int16)).view(torch.bfloat16)
        else:
            # from_numpy shares memory, so an in-place op would show as a mutated input.
            t = torch.from_numpy(x if x.strides and min(x.strides) >= 0 else x.copy())
        return t if place is None else t.to(place)

    def to_numpy(t: Any) -> np.ndarray:
        t = t.detach().cpu()
        if t.dtype == torch.bfloat16:
            return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return np.asarray(t.numpy())

    return to_native, to_numpy


def loaded(ops: dict[str, Op], device: str | None = None) -> Loaded:
    """``ops`` (tensor in, tensor out) with this module's converters."""
    to_native, to_numpy = converters(device)
    return Loaded(ops=ops, to_native=to_native, to_numpy=to_numpy)


def _on(build: Callable[[Any], dict[str, Op]]) -> Callable[..., Loaded]:
    """A factory: the ops ``build(torch)`` makes, with the converters for the device."""

    def factory(device: str | None = None) -> Loaded:
        return loaded(build(import_module("torch")), device)

    return factory


def _no_grad(name: str, fn: Callable[..., Any]) -> Callable[[Any], dict[str, Op]]:
    """``{name: fn(torch)(t, axis)}`` under torch.no_grad()."""

    def build(torch: Any) -> dict[str, Op]:
        call = fn(torch)

        def op(t: Any, axis: int) -> Any:
            with torch.no_grad():
                return call(t, axis)

        return {name: op}

    return build


_softmax = _on(_no_grad("softmax", lambda torch: lambda t, axis: torch.softmax(t, dim=axis)))
_log_softmax = _on(_no_grad("log_softmax",
                            lambda torch: lambda t, axis: torch.log_softmax(t, dim=axis)))
_special_softmax = _on(_no_grad(
    "softmax", lambda torch: lambda t, axis: torch.special.softmax(t, dim=axis)))
_softmax_float32 = _on(_no_grad("softmax", lambda torch: lambda t, axis: torch.nn.functional
                                .softmax(t, dim=axis, dtype=torch.float32)))


def _compiled(device: str | None = None) -> Loaded:
    torch = import_module("torch")
    compiled = torch.compile(lambda t, dim: torch.softmax(t, dim=dim))

    def softmax(t: Any, axis: int) -> Any:
        with torch.no_grad():
            return compiled(t, axis)

    return dataclasses.replace(loaded({"softmax": softmax}, device), warm_up=True)


def _autograd(device: str | None = None) -> Loaded:
    torch = import_module("torch")

    def softmax_vjp(t: Any, g: Any, axis: int) -> Any:
        # a leaf that shares t's memory; autograd never writes into it
        with torch.enable_grad():
            x = t.detach().requires_grad_(True)
            s = torch.softmax(x, dim=axis)
            (dx,) = torch.autograd.grad(s, x, grad_outputs=g)
        return dx

    return loaded({"softmax_vjp": softmax_vjp}, device)


def _cross_entropy(device: str | None = None) -> Loaded:
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

    return loaded({"cross_entropy": cross_entropy}, device)


ADAPTERS = [
    Adapter(
        name="torch.softmax",
        family="library",
        source="torch.softmax(torch.from_numpy(x), dim=axis) on the CPU",
        factory=_softmax,
        capabilities=_TENSOR,
        notes="float64 rows of language-model logits (a few spikes carrying the sum): the "
        "fused CPU kernel adds the many small exps in order onto a sum near its total, so the "
        "denominator's relative error grows with n: 116 eps at 32000, 453 at 128256, 1220 at "
        "262144, every output off by the same factor (torch.exp(...).sum() on the same row "
        "is exact to 1 eps). Within the summation allowance (conformance.measure.bounds) for "
        "rows up to 262144; not a defect.",
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="torch.special.softmax",
        family="library",
        source="torch.special.softmax(torch.from_numpy(x), dim=axis) on the CPU",
        factory=_special_softmax,
        capabilities=_TENSOR,
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="torch.softmax.float32",
        family="library",
        source="torch.nn.functional.softmax(torch.from_numpy(x), dim=axis, dtype=torch.float32) "
        "on the CPU: 16-bit input cast to float32 first, float32 returned (documented)",
        factory=_softmax_float32,
        capabilities=dataclasses.replace(
            _TENSOR, dtypes=frozenset({"float16", "bfloat16", "float32"}),
            out_dtypes={"float16": "float32", "bfloat16": "float32"}),
        requires=("torch",),
        extra="torch",
        notes="dtype=torch.float32 is the documented way to a float32 softmax of 16-bit "
        "input: its float32 output is declared (measured in the input dtype's units); "
        "float64 input would be cast down, so it is not fed.",
    ),
    Adapter(
        name="torch.compile.softmax",
        family="library",
        source="torch.compile(lambda t, dim: torch.softmax(t, dim=dim)) (Inductor) on the "
        "CPU, each call made once untimed first",
        factory=_compiled,
        capabilities=_TENSOR,
        requires=("torch",),
        extra="torch",
        default=False,
        notes="opt-in (--adapters torch.compile.softmax): Inductor compiles per shape, rank "
        "and axis (then dynamic shapes) with a C++ compiler; far too slow for the default run.",
    ),
    Adapter(
        name="torch.log_softmax",
        family="library",
        source="torch.log_softmax(torch.from_numpy(x), dim=axis) on the CPU",
        factory=_log_softmax,
        ops=("log_softmax",),
        capabilities=_TENSOR,
        # y of the row max is -log1p(others) computed as a log of the sum (0 for -1.1e-39),
        # within the absolute bound the error is measured in.
        # Measured: on 70,000 equal float16 logits the sum of exps is kept in float16,
        # passes 65504 and overflows (log-probabilities -inf, losses inf).
        expected=("denominator-overflow",),
        known_failures={
            "finite_output[float16]": "70,000 equal logits: the float16 sum of exps overflows",
            "accuracy[float16]": "70,000 equal logits: the float16 sum of exps overflows",
        },
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="torch.autograd",
        family="library",
        source="torch.autograd.grad(torch.softmax(x, dim=axis), x, grad_outputs=g) on the CPU",
        factory=_autograd,
        ops=("softmax_vjp",),
        capabilities=_TENSOR,
        # Conforming: within the bound once the scale includes exp's conditioning
        # (1 + |x_i| + sum s_j |x_j|) and is floored at the smallest normal number.
        requires=("torch",),
        extra="torch",
    ),
    Adapter(
        name="torch.cross_entropy",
        family="library",
        source="torch.nn.functional.cross_entropy(logits, labels, reduction='none') on the "
        "CPU, the class axis moved to dim 1 (torch.movedim) for N-D logits",
        factory=_cross_entropy,
        ops=("cross_entropy",),
        capabilities=_TENSOR,
        # Measured: on 70,000 equal float16 logits the sum of exps is kept in float16,
        # passes 65504 and overflows (log-probabilities -inf, losses inf).
        expected=("denominator-overflow",),
        known_failures={
            "finite_output[float16]": "70,000 equal logits: the float16 sum of exps overflows",
            "accuracy[float16]": "70,000 equal logits: the float16 sum of exps overflows",
        },

        requires=("torch",),
        extra="torch",
    ),
]
