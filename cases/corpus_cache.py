"""The generated corpus kept on disk: a draw of Hypothesis (seconds per run) read back in
milliseconds.

One file per (family, dtype, seed, examples), under a folder named by a digest of what
decides the draw: the source of the ``cases`` package and the versions of Hypothesis,
NumPy and ml_dtypes. A change to any of them uses a new folder. An entry is used only if
the cases it rebuilds have the ids it recorded; anything else is drawn again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from cases.model import Case

__all__ = ["cached_draw"]

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def _version_key() -> str:
    h = hashlib.sha256()
    for dist in ("hypothesis", "numpy", "ml_dtypes"):
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)};".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=none;".encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _read(path: Path) -> list[Case] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            arrays = [data[f"x{i}"] for i in range(len(meta))]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    cases = []
    for entry, x in zip(meta, arrays, strict=True):
        if entry["dtype"] == "bfloat16":
            import ml_dtypes

            x = x.view(ml_dtypes.bfloat16)
        case = Case(entry["family"], x, entry["axis"], tuple(entry["tags"]), entry["origin"],
                    entry["note"])
        if case.id != entry["id"]:
            return None
        cases.append(case)
    return cases


def _write(path: Path, cases: list[Case]) -> None:
    meta = [{"family": c.family, "axis": c.axis, "tags": list(c.tags), "origin": c.origin,
             "note": c.note, "dtype": c.dtype, "id": c.id} for c in cases]
    arrays: dict[str, np.ndarray] = {
        f"x{i}": (c.x.view(np.uint16) if c.dtype == "bfloat16" else c.x)
        for i, c in enumerate(cases)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def cached_draw(folder: Path | None, name: str, draw: Callable[[], list[Case]]) -> list[Case]:
    """The cases ``draw()`` gives, from ``folder`` when an entry called ``name`` is there
    and sound (None: no cache). Cases whose input is not C-ordered are not kept."""
    if folder is None:
        return draw()
    path = folder / _version_key() / f"{name}.npz"
    cached = _read(path) if path.is_file() else None
    if cached is not None:
        return cached
    cases = draw()
    if all(c.x.flags.c_contiguous for c in cases):
        try:
            _write(path, cases)
        except OSError:  # a read-only cache is no reason to fail a run
            pass
    return cases
