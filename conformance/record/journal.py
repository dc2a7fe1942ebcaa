"""journal.jsonl in a run's output folder: every finished case, appended and flushed to disk
as it finishes, so that a run killed at any point (``kill -9``, a power cut, an adapter that
kills the main process) resumes from what it had finished.

One JSON object per line. The first line names the run (``run``: what must match for
``--resume`` to go on from it); each later line holds one case's CaseRecord (its results,
the conventions seen, the agreement of each pair and the kept outputs, float64 as
outputs.npz keeps them) as zlib-compressed JSON in base64 (``zlib``). Every line carries
``hash``, the SHA-256 of the previous line's hash and this line's content, so a line that
was cut short, edited, dropped or reordered breaks the chain: reading stops there and the
cases from that line on are run again (a state that says a case is done without its
results is never trusted).

``lock_folder`` takes an exclusive lock (``.lock``, flock) for the run writing into a
folder; a second run writing into the same folder refuses instead of losing a report.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from conformance.execute.case_run import CaseRecord
from conformance.measure.records import result_from_json, to_jsonable

__all__ = ["JOURNAL", "LOCK", "FolderLocked", "Journal", "JournalState", "lock_folder",
           "read_journal"]

JOURNAL = "journal.jsonl"
LOCK = ".lock"
VERSION = 1
_START = "0" * 64  # the hash before the first line


@dataclass
class JournalState:
    """What a journal holds: the run it names, the cases finished in order, and how many
    lines after the last good one were dropped (cut short or not matching the chain)."""

    run: dict[str, Any]
    records: list[CaseRecord] = field(default_factory=list)
    dropped: int = 0
    problem: str | None = None  # what the first dropped line had wrong


def _text(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _digest(prev: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev + _text(content)).encode("utf-8")).hexdigest()


def _line(content: Mapping[str, Any], digest: str) -> str:
    """A case's line: its content compressed (a case of every adapter and op is some
    hundred kB of JSON), with the chain's hash."""
    packed = base64.b64encode(zlib.compress(_text(content).encode("utf-8"), 1))
    return json.dumps({"zlib": packed.decode("ascii"), "hash": digest}) + "\n"


def _unline(entry: Mapping[str, Any]) -> dict[str, Any]:
    raw = zlib.decompress(base64.b64decode(entry["zlib"], validate=True))
    content = json.loads(raw.decode("utf-8"))
    if not isinstance(content, dict):
        raise ValueError("not a case")
    return content


def _array(y: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(np.asarray(y).astype(np.float64))
    packed = zlib.compress(a.tobytes(), 1)  # float32 values widened: half their bytes are 0
    return {"shape": list(a.shape), "zlib": base64.b64encode(packed).decode("ascii")}


def _unarray(d: Mapping[str, Any]) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(d["zlib"], validate=True))
    return np.frombuffer(raw, dtype=np.float64).reshape(d["shape"]).copy()


def _content(record: CaseRecord) -> dict[str, Any]:
    return {
        "case": record.case,
        "results": [to_jsonable(r) for r in record.results],
        "labels": [list(t) for t in record.labels],
        "agreement": [list(t) for t in record.agreement],
        "outputs": {name: _array(y) for name, y in record.outputs.items()},
    }


def _record(content: Mapping[str, Any]) -> CaseRecord:
    case = content["case"]
    if not isinstance(case, str):
        raise ValueError("case is not a string")
    results = [result_from_json(dict(r)) for r in content["results"]]
    if any(r.case != case for r in results):
        raise ValueError(f"results of another case than {case}")
    return CaseRecord(
        case=case,
        results=results,
        labels=[(str(a), str(k), str(v)) for a, k, v in content["labels"]],
        agreement=[(str(o), str(a), str(b), bool(g)) for o, a, b, g in content["agreement"]],
        outputs={str(n): _unarray(d) for n, d in content["outputs"].items()},
    )


class Journal:
    """Appends finished cases to ``folder/journal.jsonl``; a new journal (or one whose run
    differs, or ``fresh``) starts over with a line naming ``run``."""

    def __init__(self, folder: Path, run: Mapping[str, Any], *, resume: JournalState | None
                 = None) -> None:
        self.path = Path(folder) / JOURNAL
        self._file: IO[str]
        if resume is not None and resume.run == to_jsonable(dict(run)):
            # keep the good lines, drop what follows them, go on from the last hash
            good = [self._first(run)] + [_content(r) for r in resume.records]
            self._rewrite(good)
        else:
            self._rewrite([self._first(run)])

    @staticmethod
    def _first(run: Mapping[str, Any]) -> dict[str, Any]:
        return {"journal": VERSION, "run": to_jsonable(dict(run))}

    def _rewrite(self, contents: list[dict[str, Any]]) -> None:
        tmp = self.path.with_name(f".{JOURNAL}.tmp")
        prev = _START
        with open(tmp, "w", encoding="utf-8") as f:
            for n, content in enumerate(contents):
                prev = _digest(prev, content)
                f.write(json.dumps({**content, "hash": prev}, allow_nan=False) + "\n" if n == 0
                        else _line(content, prev))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._prev = prev
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept for appends)

    def append(self, record: CaseRecord) -> None:
        """Write one finished case and flush it to disk before returning."""
        content = _content(record)
        self._prev = _digest(self._prev, content)
        self._file.write(_line(content, self._prev))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def read_journal(folder: Path) -> JournalState | None:
    """The journal in ``folder`` (None if there is none or its first line is unreadable):
    every case up to the first line that is cut short, unreadable or off the chain."""
    path = Path(folder) / JOURNAL
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if not lines:
        return None
    try:
        first = json.loads(lines[0])
        head = {k: v for k, v in first.items() if k != "hash"}
        if (first.get("journal") != VERSION or not isinstance(first.get("run"), dict)
                or first.get("hash") != _digest(_START, head)):
            return None
    except (ValueError, AttributeError):
        return None
    state = JournalState(run=first["run"])
    prev = first["hash"]
    seen: set[str] = set()
    for n, line in enumerate(lines[1:], start=2):
        try:
            entry = json.loads(line)
            content = _unline(entry)
            if entry.get("hash") != _digest(prev, content):
                raise ValueError("its hash does not follow the line before")
            record = _record(content)
            if record.case in seen:
                raise ValueError(f"case {record.case} twice")
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
            state.dropped = len(lines) - n + 1
            state.problem = f"line {n}: {exc}"
            break
        seen.add(record.case)
        prev = entry["hash"]
        state.records.append(record)
    return state


class FolderLocked(RuntimeError):
    """Another run holds the folder's lock."""


def lock_folder(folder: Path) -> IO[str]:
    """An exclusive lock on ``folder`` for this process (released when the returned file is
    closed or the process ends, however it ends); FolderLocked if another run holds it."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    f = open(Path(folder) / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 (held while running)
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip() or "another process"
        f.close()
        raise FolderLocked(f"{folder} is being written by another run ({holder}); wait "
                           "for it or choose another --out") from None
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}\n")
    f.flush()
    return f
