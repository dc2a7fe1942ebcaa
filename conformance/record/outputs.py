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
import zipfile
import zlib
from collections.abc import Callable
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


def _read(path: Path, wanted: Callable[[str], bool]) -> dict[str, np.ndarray]:
    """The arrays of ``path`` whose keys are ``wanted``; {} where there is no file;
    BadFile naming it when it is not an npz of plain arrays."""
    from conformance.record.files import BadFile

    if not path.exists():
        return {}
    try:
        if path.is_dir():
            raise ValueError("a directory")
        if not zipfile.is_zipfile(path):
            raise ValueError("not a zip archive" if path.stat().st_size else "empty")
        _check_members(path)
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files if wanted(key)}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        # not a file, not an npz, an object array (pickled), truncated or corrupt
        raise BadFile(f"{path}: not an outputs.npz of plain arrays ({_reason(exc)}); "
                      "expected the outputs.npz conformance run wrote beside report.json, "
                      "or no file") from None


def _check_members(path: Path) -> None:
    """ValueError unless every member of the archive is a .npy array of numbers (only the
    headers are read)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".npy"):
                raise ValueError(f"member {name!r} is not an array")
            with archive.open(name) as fh:
                version = np.lib.format.read_magic(fh)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                dtype = read_header(fh)[2]
            if dtype.kind not in "biuf":
                raise ValueError(f"entry {name[:-4]!r} holds {dtype} values, not numbers")


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]


def load_outputs(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """adapter -> case id -> output; {} where there is no file."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in _read(path, lambda key: not key.startswith("__")).items():
        adapter, _, case = key.rpartition("|")
        out.setdefault(adapter, {})[case] = value
    return out


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The ``__`` entries (the results' details, checked); {} where there is no file."""
    from conformance.record.results import decode_details

    arrays = _read(path, lambda key: key.startswith("__"))
    decode_details(arrays, source=path)  # BadFile naming the file if they are not
    return arrays
