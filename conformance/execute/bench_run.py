"""Running the bench: ``bench`` times np.copyto here and each adapter in a worker process of
its own (``run_worker``), which times it (conformance.execute.bench.measure_adapter) and
appends each measurement to a JSON-lines file as soon as it is made, so what was measured
before a kill is kept. The parent advances the progress bar as lines arrive and kills the
worker at its deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from adapters.base import Adapter
from conformance.execute.bench import (
    Measurement,
    Shape,
    copy_seconds,
    logits,
    measure_adapter,
    shape_by_label,
)
from conformance.execute.progress import Progress

__all__ = ["bench", "main", "run_worker"]

ROOT = Path(__file__).resolve().parents[2]
BOOT = ("import sys; sys.path.insert(0, {root!r}); "
        "from conformance.execute.bench_run import main; main()")


def main() -> None:
    """python -c BOOT REQUEST_JSON RESULTS_PATH"""
    from adapters import get

    request = json.loads(sys.argv[1])
    results = Path(sys.argv[2])
    shapes = [shape_by_label(label) for label in request["shapes"]]

    def emit(m: Measurement) -> None:
        with results.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(vars(m)) + "\n")

    measure_adapter(get(request["adapter"]), request["ops"], shapes, request["repeats"],
                    request["seconds"], emit)


def _read(path: Path) -> list[Measurement]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(Measurement(**json.loads(line)))
        except (ValueError, TypeError):
            break  # a line cut by the kill
    return out


def run_worker(adapter: str, ops: Sequence[str], shapes: Sequence[str], repeats: int,
               seconds: float, kill_after: float, progress: Progress | None = None
               ) -> list[Measurement]:
    """Time ``adapter`` in a fresh process: no measurement starts after ``seconds``, the
    process is killed after ``kill_after``. The measurements it finished."""
    fd, name = tempfile.mkstemp(prefix="conformance-bench-", suffix=".jsonl")
    os.close(fd)
    path = Path(name)
    request = json.dumps({"adapter": adapter, "ops": list(ops), "shapes": list(shapes),
                          "repeats": repeats, "seconds": seconds})
    proc = subprocess.Popen([sys.executable, "-c", BOOT.format(root=str(ROOT)), request,
                             str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.perf_counter() + kill_after
    seen = 0
    try:
        while proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.2)
            seen = _advance(path, seen, adapter, progress)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        _advance(path, seen, adapter, progress)
        return _read(path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        path.unlink(missing_ok=True)


def _advance(path: Path, seen: int, adapter: str, progress: Progress | None) -> int:
    got = _read(path)
    if progress is not None:
        for m in got[seen:]:
            progress.advance(f"{adapter} {m.shape}")
    return len(got)


def _pairs(adapters: Sequence[Adapter], ops: Sequence[str]) -> list[tuple[Adapter, str]]:
    """(adapter, op) in the order they are timed: every adapter's first op before any
    adapter's second, so a short budget cuts the later ops, never a library's softmax."""
    return [(a, op) for op in ops for a in adapters if op in a.ops]


def bench(adapters: Sequence[Adapter], shapes: Sequence[Shape], *, ops: Sequence[str],
          repeats: int = 5, budget: float = 120.0, progress: Progress | None = None,
          grace: float = 30.0) -> tuple[list[Measurement], dict[str, float]]:
    """Measurements of every adapter's op on every shape, each (adapter, op) in a worker
    process of its own (a call that never returns is killed, not waited for), and
    np.copyto's best seconds per shape, measured here. Each worker gets an equal share of
    the budget left (so one slow implementation cannot starve the others) and starts no
    measurement after it; one still busy ``grace`` seconds later is killed and its call
    recorded as a timeout. Nothing starts after ``budget`` seconds."""
    stop = time.perf_counter() + budget
    copy: dict[str, float] = {}
    out: list[Measurement] = []
    pairs = _pairs(adapters, ops)
    try:
        floors: dict[tuple[tuple[int, ...], str], float] = {}  # the same bytes: one floor
        for shape in shapes:
            key = (shape.shape, shape.dtype)
            if key not in floors and time.perf_counter() <= stop:
                floors[key] = copy_seconds(logits(shape), repeats)
            if key in floors:
                copy[shape.label] = floors[key]
        for i, (adapter, op) in enumerate(pairs):
            left = stop - time.perf_counter()
            share = left / (len(pairs) - i)
            got: list[Measurement] = []
            if left > 0:
                got = run_worker(adapter.name, [op], [s.label for s in shapes], repeats,
                                 share, share + grace, progress)
            done = {m.shape for m in got}
            missing = [s for s in shapes if s.label not in done]
            for j, shape in enumerate(missing):
                status, why = (("timeout", f"still running {grace:g}s after its share of the "
                                "budget; the worker was killed") if j == 0 and left > 0 else
                               ("not-reached", "the budget was spent"))
                got.append(Measurement(adapter.name, op, shape.label, status, detail=why))
                if progress is not None:
                    progress.advance(f"{adapter.name} {shape.label}")
            out += [_with_ratio(m, copy) for m in got]
    finally:
        if progress is not None:
            progress.close()
    return out, copy


def _with_ratio(m: Measurement, copy: dict[str, float]) -> Measurement:
    if m.seconds is None or m.shape not in copy:
        return m
    return Measurement(m.adapter, m.op, m.shape, m.status, m.seconds, m.repeats,
                       m.seconds / copy[m.shape], m.peak_bytes, m.detail)
