"""The harness <-> worker protocol, version 1. NumPy only: it runs in foreign environments.

A message is a 4-byte big-endian length, a UTF-8 JSON header of that length,
then the header's ``arrays`` one after another, each as the bytes of
``numpy.save(..., allow_pickle=False)`` (length-prefixed the same way).
Arrays are never pickled. bfloat16 travels as its uint16 bit pattern with
``"dtype": "bfloat16"`` in the array's entry; ``"strided": true`` asks the
receiver to rebuild a non-contiguous view (every other element of a buffer
twice the size), so layout-sensitive code sees what it would in-process.

Requests (``type``): ``hello`` -> ``{protocol, python, executable, versions}``;
``load`` ``{adapter}`` or ``{impl, framework}`` -> ``{ok, reason, versions,
seconds}``; ``call`` ``{adapter, op, axis}`` + input arrays -> ``{status,
error, seconds, warnings, stdout, mutated}`` + the output array when status
is ok; ``exit``.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

__all__ = ["PROTOCOL_VERSION", "ProtocolError", "read_message", "strided_copy", "write_message"]

PROTOCOL_VERSION = 1
_LEN = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side closed the stream or sent something that is not a message."""


def strided_copy(x: np.ndarray) -> np.ndarray:
    """A non-contiguous copy of x: every other element of a buffer twice the size."""
    base = np.empty(tuple(2 * s for s in x.shape), dtype=x.dtype)
    view = base[tuple(slice(None, None, 2) for _ in x.shape)]
    view[...] = x
    return view


def _encode(a: np.ndarray) -> tuple[dict[str, Any], bytes]:
    meta: dict[str, Any] = {"strided": bool(a.size and not a.flags.c_contiguous)}
    # np.array(order="C"), not np.ascontiguousarray: that one makes a 0-d array (the loss
    # of a 1-D row, its label) 1-D
    a = a if a.flags.c_contiguous else np.array(a, order="C")
    if a.dtype.name == "bfloat16":
        meta["dtype"] = "bfloat16"
        a = a.view(np.uint16)
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return meta, buf.getvalue()


def _decode(meta: dict[str, Any], payload: bytes) -> np.ndarray:
    a = np.load(io.BytesIO(payload), allow_pickle=False)
    if meta.get("dtype") == "bfloat16":
        import ml_dtypes

        a = a.view(ml_dtypes.bfloat16)
    return strided_copy(a) if meta.get("strided") else a


def _read_exact(fh: IO[bytes], n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = fh.read(n - len(data))
        if not chunk:
            raise ProtocolError("stream closed")
        data += chunk
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
