"""JAX: ``jax.nn.softmax``, ``jax.nn.log_softmax``, the softmax gradient through ``jax.vjp`` and
``optax.softmax_cross_entropy_with_integer_labels``, each with 64-bit mode off (JAX's default)
and on, under ``jax.jit`` (the default run) and eagerly (opt-in: see below); with the
NumPy <-> array converters they share (and that ``--impl ... --framework jax`` uses).

x64. ``jax_enable_x64`` decides what ``jax.device_put`` makes of float64 (float32 when off): each
adapter runs its conversions and calls inside ``x64_mode(on)``, so it is right in any process,
and the x64 adapters share JAX's worker with the others (one JAX in memory, not two).
``enable_x64(on)`` switches the whole process (for ``--framework jax`` callables).

Compilation. JAX compiles per shape, dtype and axis: about 0.1 s per XLA CPU module here, and
the catalogue with the generated corpus holds 376 (shape, axis, dtype) triples, so one op under
``jax.jit`` costs about 40 s the first time (measured: softmax 39.8 s, log_softmax 41.2 s,
the vjp 56.8 s, optax 68.1 s over the 560 float cases with x64 off). So:
- ``jax.jit`` caches each compiled function per shape, dtype and axis (static), and each call
  is made once untimed first (``Loaded.warm_up``): ``seconds`` is the compiled code's;
- the compiled code is kept in JAX's persistent compilation cache
  (``$XDG_CACHE_HOME/softmax-conformance/jax`` unless ``JAX_COMPILATION_CACHE_DIR`` says
  otherwise), which every worker and every later run shares: x64 on and off compile the same
  module for float16, bfloat16 and float32 input, and a second run loads everything (measured:
  the eight jit adapters 400 s cold, 149 s from the cache);
- eager calls dispatch primitive by primitive, each compiled per shape: 136 s for softmax and
  466 s for the vjp cold, so the eager adapters (``*.eager``) are opt-in, outside the default
  run (``--adapters 'jax.*.eager*'`` runs them). ``jax.nn.log_softmax`` is itself decorated
  with ``jax.jit``: eager and jit are the same compiled function, one adapter each mode.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from adapters.base import (
    Adapter,
    Capabilities,
    Loaded,
    Op,
    Unavailable,
    cache_dir,
    import_module,
)

__all__ = [
    "ADAPTERS",
    "compilation_cache_dir",
    "converters",
    "enable_x64",
    "use_compilation_cache",
    "x64_mode",
]

DEVICES = ("cpu", "cuda", "gpu", "rocm", "tpu")


def enable_x64(on: bool) -> None:
    """Switch JAX's 64-bit mode (``jax_enable_x64``) for this whole process."""
    import_module("jax").config.update("jax_enable_x64", bool(on))


@contextlib.contextmanager
def x64_mode(on: bool | None) -> Iterator[None]:
    """JAX's 64-bit mode ``on`` inside the block (this thread only); None leaves it as it is.
    ``jax.enable_x64`` from JAX 0.4.3x on, ``jax.experimental.enable_x64`` before."""
    if on is None:
        yield
        return
    jax = import_module("jax")
    scoped = getattr(jax, "enable_x64", None)
    if scoped is not None:
        with scoped(bool(on)):
            yield
        return
    experimental = import_module("jax.experimental")
    with experimental.enable_x64() if on else experimental.disable_x64():
        yield


def compilation_cache_dir() -> Path:
    """Where the adapters keep JAX's compiled code between workers and runs."""
    return Path(os.environ.get("JAX_COMPILATION_CACHE_DIR") or cache_dir("jax"))


def use_compilation_cache(jax: Any) -> None:
    """Keep every compiled module, however quick its compile (the default keeps those over
    1 s only: none of ours); options an older JAX lacks are skipped."""
    options = {
        "jax_compilation_cache_dir": str(compilation_cache_dir()),
        "jax_persistent_cache_min_compile_time_secs": 0,
        "jax_persistent_cache_min_entry_size_bytes": 0,
    }
    for option, value in options.items():
        with contextlib.suppress(AttributeError, KeyError, ValueError):
            if option == "jax_compilation_cache_dir" and getattr(jax.config, option, None):
                continue  # the user's own cache
            jax.config.update(option, value)


def _device(jax: Any, device: str) -> Any:
    """The JAX device a --device name names; Unavailable with the reason when absent."""
    kind, _, index = device.partition(":")
    platform = {"cuda": "gpu", "rocm": "gpu"}.get(kind, kind)
    try:
        found = jax.devices(platform)
    except RuntimeError as exc:
        raise Unavailable(f"JAX has no {kind} device here: {exc}") from None
    i = int(index or 0)
    if i >= len(found):
        raise Unavailable(f"JAX sees {len(found)} {kind} device(s); there is no {device}")
    return found[i]


def converters(x64: bool | None = None, device: str | None = None) -> tuple[Any, Any]:
    """(to_native, to_numpy): NumPy arrays to JAX arrays (on ``device``, else the default
    one; in 64-bit mode ``x64``, else as the process has it), and back."""
    jax = import_module("jax")
    place = _device(jax, device) if device else None

    def to_native(x: np.ndarray) -> Any:
        # device_put, not jnp.asarray: the same array bit for bit (float64 to float32 with
        # x64 off included, measured on every dtype, subnormals and overflow too), without
        # compiling a conversion per shape (jnp.asarray stages one through XLA)
        with x64_mode(x64):
            return jax.device_put(x, place)

    return to_native, np.asarray


def _vjp(jax: Any) -> Op:
    def softmax_vjp(x: Any, g: Any, axis: int) -> Any:
        _, pullback = jax.vjp(functools.partial(jax.nn.softmax, axis=axis), x)
        return pullback(g)[0]

    return softmax_vjp


def _cross_entropy(jax: Any) -> Op:
    optax = import_module("optax")
    loss = optax.softmax_cross_entropy_with_integer_labels
    if "axis" in inspect.signature(loss).parameters:  # optax >= 0.2.3

        def cross_entropy(logits: Any, labels: Any, axis: int) -> Any:
            return loss(logits, labels, axis=axis)

        return cross_entropy

    def last_axis(logits: Any, labels: Any, axis: int) -> Any:  # classes along the last axis
        return loss(jax.numpy.moveaxis(logits, axis, -1), labels)

    return last_axis


_OPS: dict[str, Callable[[Any], Op]] = {
    "softmax": lambda jax: lambda x, axis: jax.nn.softmax(x, axis=axis),
    "log_softmax": lambda jax: lambda x, axis: jax.nn.log_softmax(x, axis=axis),
    "softmax_vjp": _vjp,
    "cross_entropy": _cross_entropy,
}


def _factory(op: str, x64: bool, jit: bool, device: str | None = None) -> Loaded:
    jax = import_module("jax")
    use_compilation_cache(jax)
    fn = _OPS[op](jax)
    if jit:  # compiled once per shape, dtype and (static) axis
        fn = jax.jit(fn, static_argnames="axis")

    def call(*args: Any) -> Any:
        *arrays, axis = args
        with x64_mode(x64):
            return fn(*arrays, axis=axis)

    to_native, to_numpy = converters(x64, device)
    return Loaded(ops={op: call}, to_native=to_native, to_numpy=to_numpy, warm_up=True,
                  release=jax.clear_caches)


_SPECS: list[tuple[str, str, str, bool]] = [
    # base name, op, the call, has an eager variant of its own
    ("jax.nn.softmax", "softmax", "jax.nn.softmax(x, axis=axis)", True),
    ("jax.nn.log_softmax", "log_softmax", "jax.nn.log_softmax(x, axis=axis)", False),
    ("jax.vjp", "softmax_vjp",
     "jax.vjp(partial(jax.nn.softmax, axis=axis), x)[1](g)[0]", True),
    ("jax.optax.cross_entropy", "cross_entropy",
     "optax.softmax_cross_entropy_with_integer_labels(logits, labels, axis=axis)", True),
]

# Measured with `conformance run --adapters 'jax.nn.*' 'jax.vjp*' 'jax.optax.*'` (jax 0.10.2):
# - x64 off: float64 input comes back float32 (jax.device_put makes it float32), for every op;
#   [1e300, 0] becomes [inf, 0] and gives NaN: the downcast is the cause, so the float64
#   cases' numbers raise no other defect (conformance.contract.defects).
# - XLA's CPU code flushes subnormal results to zero (x64 on and off): softmax of
#   huge/float32/2c4ed9aa42 returns 0 for 1.95e-39 (condition-aware error 1.56e4), its vjp
#   returns 0 for a subnormal dx (3.91e4). log_softmax and optax's loss never produce one.
# - float16 sums stay in float16 (x64 on and off, every op): a row of 70,000 equal logits
#   sums to inf, so softmax returns 0, log_softmax -inf and the loss inf
#   (long-row/float16/9ff137a52b; jax.nn.softmax(np.zeros((2, 70000), np.float16)) is 0).
_OVERFLOW = ("denominator-overflow",)
_EXPECTED: dict[tuple[str, bool], tuple[str, ...]] = {
    ("softmax", False): ("dtype-changed", "flush-to-zero", *_OVERFLOW),
    ("softmax", True): ("flush-to-zero", *_OVERFLOW),
    ("log_softmax", False): ("dtype-changed", *_OVERFLOW),
    ("log_softmax", True): _OVERFLOW,
    ("softmax_vjp", False): ("dtype-changed", "flush-to-zero", *_OVERFLOW),
    ("softmax_vjp", True): ("flush-to-zero", *_OVERFLOW),
    ("cross_entropy", False): ("dtype-changed", *_OVERFLOW),
    ("cross_entropy", True): _OVERFLOW,
}
# JAX 0.4.26 (`conformance env create` with jax==0.4.26, run as 'jax.nn.softmax*@NAME'), x64
# on and off: along a leading axis of N-D float32 and bfloat16 input the rows do not sum to
# one (N-D/bfloat16/9b559478f5, shape (2, 3, 4) axis 0: off by 128 eps; 20 cases), and a
# partly masked row along axis 0 gives NaN (masks/bfloat16/cd6d87c4f4). 0.10.2 does neither.
# measured on softmax only, by op (the other ops on old releases are not measured)
_OLD_RELEASES = {"softmax": {"wrong-axis": "jax<=0.4.26", "nan-output": "jax<=0.4.26"}}
# no gradient with respect to an integer input (JAX's is float0); optax refuses integer
# logits (TypeError: expected a floating dtype)
_NO_INT_OPS = frozenset({"softmax_vjp", "cross_entropy"})
_FTZ = "flush-to-zero: subnormal outputs return as 0 (condition-aware error {})"
_VJP_FTZ = "flush-to-zero: a subnormal dx returns as 0 (condition-aware error {})"
_X64_OFF = ("x64 off: float64 input is computed and returned in float32 (jax.device_put), "
            "so float64 checks see float32 answers")
# Known failures of the gate, measured with `conformance check --adapter NAME --op OP`: with
# x64 off every float64 check that compares numbers sees a float32 answer.
_F64_CHECKS = ("finite_output", "row_sums", "accuracy", "dtype_preserved", "axis_honoured",
               "shift_invariance")
_OFF = {f"{c}[float64]": _X64_OFF for c in _F64_CHECKS}
_KNOWN: dict[tuple[str, bool], dict[str, str]] = {
    ("softmax", False): {
        **_OFF, "permutation_equivariance[float64]": _X64_OFF,
        "accuracy[float32]": _FTZ.format("1.56e4: 1.95e-39 returned as 0"),
    },
    ("softmax", True): {
        "accuracy[float32]": _FTZ.format("1.56e4: 1.95e-39 returned as 0"),
        "accuracy[float64]": _FTZ.format("1.05e12: 3.7e-309 returned as 0"),
    },
    ("log_softmax", False): {
        **_OFF, "permutation_equivariance[float64]": _X64_OFF,
        "scaled_logits[float64]": _X64_OFF,
    },
    ("softmax_vjp", False): {
        **_OFF, "accuracy[float32]": _VJP_FTZ.format("3.91e4: -3.9e-40 returned as -0"),
    },
    ("softmax_vjp", True): {
        "accuracy[float32]": _VJP_FTZ.format("3.91e4: -3.9e-40 returned as -0"),
        "accuracy[float64]": _VJP_FTZ.format("2.73e12: 2.0e-309 returned as 0"),
    },
    ("cross_entropy", False): {
        f"{c}[float64]": _X64_OFF for c in ("finite_output", "accuracy", "dtype_preserved",
                                            "axis_honoured", "shift_invariance",
                                            "scaled_logits")},
}
_EAGER = ("opt-in: eager dispatch compiles each primitive per shape (softmax 136 s, vjp 466 s "
          "over the corpus, cold). Its declared defects are the jax.jit adapter's, not yet "
          "measured eagerly on the whole corpus.")


def _adapters() -> list[Adapter]:
    out = []
    for base, op, call, eager in _SPECS:
        for jit in (True, False) if eager else (True,):
            for x64 in (False, True):
                name = base + ("" if jit else ".eager") + (".x64" if x64 else "")
                mode = "JAX_ENABLE_X64=1" if x64 else "x64 off (JAX's default)"
                how = f"jax.jit({call.split('(')[0]}, static_argnames='axis')" if jit else "eager"
                out.append(Adapter(
                    name=name,
                    family="library",
                    source=f"{call} on jax.device_put(x), {how}, {mode}",
                    factory=functools.partial(_factory, op, x64, jit),
                    ops=(op,),
                    capabilities=Capabilities(axis="any", devices=DEVICES,
                                              accepts_int=op not in _NO_INT_OPS),
                    expected=_EXPECTED.get((op, x64), ()),
                    expected_when=_OLD_RELEASES.get(op, {}) if jit else {},
                    known_failures=_KNOWN.get((op, x64), {}),
                    requires=("jax", "jaxlib", *(("optax",) if "optax" in call else ())),
                    extra="jax",
                    default=jit,
                    notes="" if jit else _EAGER,
                ))
    return out


ADAPTERS = _adapters()
