"""outputs.npz beside report.json: each adapter's output per case, for merging reports.

Keys are ``"<adapter>|<case id>"``; values the outputs as float64 (bfloat16
and float16 widen exactly). Only cases of at most runner.KEEP_OUTPUTS
elements are kept. Keys that start with ``__`` hold other per-element data: the
results' details (conformance.record.results). No pickle: ``np.load(...,
allow_pickle=False)`` reads it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["load_arrays", "load_outputs", "save_outputs"]


def save_outputs(outputs: dict[str, dict[str, np.ndarray]], path: Path,
                 extra: dict[str, np.ndarray] | None = None) -> None:
    """Write the outputs, and the ``extra`` arrays (keys starting with ``__``)."""
    arrays = {f"{adapter}|{case}": y.astype(np.float64)
              for adapter, by_case in outputs.items() for case, y in by_case.items()}
    arrays.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".outputs.", suffix=".npz")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]  # numpy's stub: **kwds
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_outputs(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """adapter -> case id -> output; {} where there is no file."""
    out: dict[str, dict[str, np.ndarray]] = {}
    if not path.is_file():
        return out
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            if key.startswith("__"):
                continue
            adapter, _, case = key.rpartition("|")
            out.setdefault(adapter, {})[case] = data[key]
    return out


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The ``__`` entries (the results' details); {} where there is no file."""
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files if key.startswith("__")}
