"""``Oracle``: the reference outputs of every op, cached by case id in memory and on disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cases.dtypes import dtype_name, np_dtype, result_dtype
from conformance.oracle.log_softmax import reference_cross_entropy, reference_log_softmax
from conformance.oracle.reference import reference_softmax
from conformance.oracle.vjp import reference_softmax_vjp

__all__ = ["ORACLE_VERSION", "Oracle", "OracleCacheWarning"]

# Part of every disk-cache file name: change it whenever a change to the oracle
# could change an answer, and every earlier cached answer is ignored.  (One
# version for every op; the name predates log_softmax, the VJP and
# cross-entropy, whose keys carry the op name and so never meet a softmax entry.)
ORACLE_VERSION = "softmax-oracle-2"


class OracleCacheWarning(UserWarning):
    """A cache file that does not hold what its digest says: discarded and recomputed."""


def _input_digest(arrays: tuple[np.ndarray, ...]) -> bytes:
    """sha256 of the inputs as stored (dtype, shape and bytes of each, C order)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(f"{a.dtype.str}|{a.shape}|".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()


class Oracle:
    """Correctly rounded reference outputs, computed once per case.

    ``softmax(key, x, axis, out_dtype)``, ``log_softmax(...)``,
    ``softmax_vjp(key, x, g, axis, out_dtype)`` and ``cross_entropy(key,
    logits, labels, axis, out_dtype)`` answer from memory, then from
    ``cache_dir`` (one ``.npy`` per answer, named by a hash of the op, the
    key, the axis, the output dtype and :data:`ORACLE_VERSION`), and compute
    with the matching ``reference_*`` function otherwise.  The key is the case
    id: the caller promises that one key (per op) always comes with the same
    inputs.  Answers are returned read-only (they are shared).  ``seconds`` is the time spent
    computing (cache hits excluded); ``hits`` and ``misses`` count calls.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.seconds = 0.0
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, np.ndarray] = {}

    def _file(self, key: bytes) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / f"{hashlib.sha256(key).hexdigest()[:32]}.npz"

    @staticmethod
    def _check(key: bytes, value: np.ndarray) -> np.ndarray:
        """The digest an entry carries: sha256 of its key and its content."""
        digest = hashlib.sha256(key + np.ascontiguousarray(value).tobytes()).digest()
        return np.frombuffer(digest, dtype=np.uint8)

    def _load(self, path: Path, key: bytes, shape: tuple[int, ...], out_name: str
              ) -> np.ndarray | None:
        """The stored answer, if the file holds one whose digest matches its key and its
        content; a file that does not is discarded with a warning naming it."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                stored, digest = data["value"], data["digest"]
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            self._discard(path, f"unreadable ({type(exc).__name__})")
            return None
        if stored.shape != shape or stored.dtype != np.float64:
            self._discard(path, f"holds shape {stored.shape} {stored.dtype}, expected "
                          f"{shape} float64")
            return None
        if not np.array_equal(digest, self._check(key, stored)):
            self._discard(path, "its digest does not match its key and content")
            return None
        return stored.astype(np_dtype(out_name))  # exact: the values belong to that format

    def _discard(self, path: Path, why: str) -> None:
        warnings.warn(f"oracle cache file {path} {why}: discarded, the reference is computed "
                      "again", OracleCacheWarning, stacklevel=4)
        path.unlink(missing_ok=True)
        return None

    def _store(self, path: Path, key: bytes, out: np.ndarray) -> None:
        assert self.cache_dir is not None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # float64 holds every output format exactly and loads without pickle
        # (a bfloat16 .npy would come back as raw void bytes).
        value = out.astype(np.float64)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, value=value, digest=self._check(key, value))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _answer(
        self,
        full_key: str,
        shape: tuple[int, ...],
        out_name: str,
        compute: Callable[[], np.ndarray],
        inputs: tuple[np.ndarray, ...] = (),
    ) -> np.ndarray:
        """From memory, else from disk, else ``compute()`` (timed, then stored). A disk entry
        is keyed and checked by the op, the key, the axis, the output dtype, the oracle
        version and the inputs' bytes."""
        found = self._memory.get(full_key)
        disk_key = f"{full_key}|{ORACLE_VERSION}|".encode() + _input_digest(inputs)
        if found is None and self.cache_dir is not None:
            found = self._load(self._file(disk_key), disk_key, shape, out_name)
            if found is not None:
                found.setflags(write=False)
                self._memory[full_key] = found
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        t0 = time.perf_counter()
        out = compute()
        self.seconds += time.perf_counter() - t0
        out.setflags(write=False)
        self._memory[full_key] = out
        if self.cache_dir is not None:
            self._store(self._file(disk_key), disk_key, out)
        return out

    def softmax(
        self, key: str, x: np.ndarray, axis: int, out_dtype: str | None = None
    ) -> np.ndarray:
        """The correctly rounded softmax of ``x`` along ``axis`` (see ``reference_softmax``)."""
        x = np.asarray(x)
        out_name = _out_name(x, out_dtype)
        full_key = f"{key}|axis={axis}|out={out_name}"  # as before other ops existed
        return self._answer(
            full_key, tuple(x.shape), out_name, lambda: reference_softmax(x, axis, out_name),
            (x,),
        )

    def log_softmax(
        self, key: str, x: np.ndarray, axis: int, out_dtype: str | None = None
    ) -> np.ndarray:
        """The correctly rounded log_softmax (see ``reference_log_softmax``)."""
        x = np.asarray(x)
        out_name = _out_name(x, out_dtype)
        full_key = f"log_softmax|{key}|axis={axis}|out={out_name}"
        return self._answer(
            full_key, tuple(x.shape), out_name, lambda: reference_log_softmax(x, axis, out_name),
            (x,),
        )

    def softmax_vjp(
        self, key: str, x: np.ndarray, g: np.ndarray, axis: int, out_dtype: str | None = None
    ) -> np.ndarray:
        """The correctly rounded ``s * (g - sum(g s))`` (see ``reference_softmax_vjp``).

        The key stands for ``x`` and ``g`` together.
        """
        x = np.asarray(x)
        out_name = _out_name(x, out_dtype)
        full_key = f"softmax_vjp|{key}|axis={axis}|out={out_name}"
        return self._answer(
            full_key,
            tuple(x.shape),
            out_name,
            lambda: reference_softmax_vjp(x, g, axis, out_name),
            (x, np.asarray(g)),
        )

    def cross_entropy(
        self,
        key: str,
        logits: np.ndarray,
        labels: np.ndarray,
        axis: int,
        out_dtype: str | None = None,
    ) -> np.ndarray:
        """The correctly rounded per-row loss (see ``reference_cross_entropy``).

        The key stands for ``logits`` and ``labels`` together; the answer has
        the labels' shape.
        """
        logits = np.asarray(logits)
        labels = np.asarray(labels)
        out_name = _out_name(logits, out_dtype)
        full_key = f"cross_entropy|{key}|axis={axis}|out={out_name}"
        return self._answer(
            full_key,
            tuple(labels.shape),
            out_name,
            lambda: reference_cross_entropy(logits, labels, axis, out_name),
            (logits, labels),
        )


def _out_name(x: np.ndarray, out_dtype: str | None) -> str:
    name = result_dtype(dtype_name(x.dtype)) if out_dtype is None else out_dtype
    return dtype_name(np_dtype(name))
