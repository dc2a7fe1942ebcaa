"""The harness <-> worker protocol, version 4. NumPy only: it runs in foreign environments.

A message is a 4-byte big-endian length, a UTF-8 JSON header of that length,
then the header's ``arrays`` one after another, each as its raw C-order bytes
(length-prefixed the same way), its entry in ``arrays`` giving ``shape`` and
``dtype`` (NumPy's dtype string; object and structured dtypes are refused).
Arrays are never pickled. bfloat16 travels as its bit pattern with
``"dtype": "bfloat16"`` in the array's entry. An array that is not C-contiguous
travels with its layout (``"layout": {shape, strides, offset, writeable}``) as the
bytes it spans, and the receiver lays them out again (cases.layout): Fortran
order, transposed views, negative strides, gaps and read-only 0-stride broadcast
views arrive as they were sent, so layout-sensitive code sees what it would
in-process.

Requests (``type``): ``hello`` -> ``{protocol, python, executable, versions}``;
``load`` ``{adapter}`` or ``{impl, framework, op}`` -> ``{ok, reason, versions,
seconds}`` (``usage`` when an --impl names nothing importable); ``calls``
``{calls: [{adapter, op, axis, args}]}`` + the case's distinct arrays -> one
reply per call, in order, as each finishes: ``{status, error, seconds,
total_seconds, warnings, stdout, mutated}`` + the output array when status is
ok (``args`` index the arrays; each call gets fresh copies in their layout);
``exit``. A reply with ``parent_gone`` says the call killed the worker's parent.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from cases.layout import span_bytes, with_layout

__all__ = ["PROTOCOL_VERSION", "ProtocolError", "read_message", "write_message"]

PROTOCOL_VERSION = 4
_LEN = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side closed the stream or sent something that is not a message."""


def _bfloat16() -> np.dtype:
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def _encode(a: np.ndarray) -> tuple[dict[str, Any], bytes]:
    meta: dict[str, Any] = {}
    bf16 = a.dtype.name == "bfloat16"
    if bf16:
        meta["dtype"] = "bfloat16"
    if a.size and not a.flags.c_contiguous:
        data, offset = span_bytes(a)
        meta["layout"] = {"shape": list(a.shape), "strides": list(a.strides), "offset": offset,
                          "writeable": bool(a.flags.writeable),
                          "dtype": "bfloat16" if bf16 else a.dtype.str}
        return meta, data.tobytes()
    # np.array(order="C"), not np.ascontiguousarray: that one makes a 0-d array (the loss
    # of a 1-D row, its label) 1-D
    a = a if a.flags.c_contiguous else np.array(a, order="C")
    if a.dtype.hasobject or a.dtype.fields is not None:
        raise ValueError(f"an array of dtype {a.dtype} cannot be sent (no pickle)")
    # shape and dtype in the JSON header, the bytes as they are: no .npy header to parse
    # (np.load parses it with ast.literal_eval, which CPython 3.11 cannot run in two
    # threads at once: "SystemError: AST constructor recursion depth mismatch")
    meta["shape"] = list(a.shape)
    meta.setdefault("dtype", a.dtype.str)
    return meta, a.tobytes()


def _decode(meta: dict[str, Any], payload: bytes | bytearray) -> np.ndarray:
    layout = meta.get("layout")
    if layout is not None:
        dtype = _bfloat16() if layout["dtype"] == "bfloat16" else np.dtype(layout["dtype"])
        return with_layout(bytearray(payload), dtype, tuple(layout["shape"]),
                           tuple(layout["strides"]), int(layout["offset"]),
                           bool(layout["writeable"]))
    dtype = _bfloat16() if meta["dtype"] == "bfloat16" else np.dtype(meta["dtype"])
    if dtype.hasobject:
        raise ProtocolError(f"an array of dtype {dtype} (refused: no pickle)")
    return np.frombuffer(payload, dtype=dtype).reshape(meta["shape"])


def _read_exact(fh: IO[bytes], n: int) -> bytearray:
    """n bytes, read into one buffer (a pipe gives them in pieces)."""
    data = bytearray(n)
    view = memoryview(data)
    got = 0
    while got < n:
        k = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not k:
            raise ProtocolError("stream closed")
        got += k
    return data


def write_message(fh: IO[bytes], header: dict[str, Any],
                  arrays: Sequence[np.ndarray] = ()) -> None:
    metas, payloads = zip(*(_encode(a) for a in arrays), strict=True) if arrays else ((), ())
    head = json.dumps({**header, "arrays": list(metas)}).encode()
    parts = [_LEN.pack(len(head)), head]
    for p in payloads:
        parts += [_LEN.pack(len(p)), p]
    fh.write(b"".join(parts))
    fh.flush()


def read_message(fh: IO[bytes]) -> tuple[dict[str, Any], list[np.ndarray]]:
    (n,) = _LEN.unpack(_read_exact(fh, _LEN.size))
    try:
        header = json.loads(_read_exact(fh, n))
    except ValueError as exc:
        raise ProtocolError(f"bad header: {exc}") from None
    arrays = []
    for meta in header.pop("arrays", []):
        (m,) = _LEN.unpack(_read_exact(fh, _LEN.size))
        arrays.append(_decode(meta, _read_exact(fh, m)))
    return header, arrays
