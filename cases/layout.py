"""An array's memory layout, copied exactly: Fortran order, transposed views, negative
strides, slices with gaps and 0-stride broadcast views arrive as declared.

A layout is the strides and the offset of the first element within the bytes the array
spans; ``span_bytes`` reads those bytes and ``with_layout`` lays them out again over a
fresh buffer. NumPy only (a worker in another Python environment imports this through
the protocol). A broadcast view (a 0 stride on an axis longer than 1) is read-only, as
``np.broadcast_to`` makes it: writing into it must raise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["broadcast_view", "copy_layout", "layout_name", "span_bytes", "with_layout"]


def broadcast_view(a: np.ndarray) -> bool:
    """Does ``a`` repeat memory along an axis (a 0 stride where the axis is longer than 1)?"""
    return any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides, strict=True))


def _span(a: np.ndarray) -> tuple[int, int]:
    """(lo, hi): the bytes ``a`` reaches, relative to its first element."""
    lo = sum(min(0, (n - 1) * s) for n, s in zip(a.shape, a.strides, strict=True))
    hi = sum(max(0, (n - 1) * s) for n, s in zip(a.shape, a.strides, strict=True))
    return lo, hi + a.itemsize


def span_bytes(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(the bytes ``a`` spans as a fresh uint8 array, the offset of its first element in
    them). ``a`` must not be empty."""
    lo, hi = _span(a)
    # a one-element view at the lowest address the array reaches, as bytes
    corner = tuple(slice(n - 1, n) if s < 0 else slice(0, 1)
                   for n, s in zip(a.shape, a.strides, strict=True))
    first = a[corner].reshape(-1).view(np.uint8)
    span = np.lib.stride_tricks.as_strided(first, shape=(hi - lo,), strides=(1,))
    return span.copy(), -lo


def with_layout(buffer: Any, dtype: np.dtype, shape: tuple[int, ...],
                strides: tuple[int, ...], offset: int, writeable: bool = True) -> np.ndarray:
    """The array of ``shape`` and ``strides`` whose first element is at byte ``offset`` of
    ``buffer`` (which it keeps alive)."""
    out = np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset, strides=strides)
    if not writeable:
        out.setflags(write=False)
    return out


def copy_layout(a: np.ndarray) -> np.ndarray:
    """A fresh copy of ``a`` with its exact layout; read-only where ``a`` is a broadcast
    view, writable otherwise."""
    if a.size == 0 or a.flags.c_contiguous:
        return np.array(a, copy=True, order="C")
    data, offset = span_bytes(a)
    return with_layout(data, a.dtype, a.shape, a.strides, offset, not broadcast_view(a))


def layout_name(a: np.ndarray) -> str:
    """What a person would call the layout: C, Fortran, transposed, reversed, gaps,
    broadcast (the first that applies)."""
    if a.size == 0 or a.flags.c_contiguous:
        return "C"
    if broadcast_view(a):
        return "broadcast"
    if any(s < 0 for s in a.strides):
        return "reversed"
    if a.flags.f_contiguous:
        return "Fortran"
    order = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))
    dense = a.itemsize * int(np.prod(a.shape)) == _span(a)[1] - _span(a)[0]
    return "transposed" if dense and order != list(range(a.ndim)) else "gaps"
