"""How fast the harness is next to what it cannot avoid, measured side by side in one go.

Each figure is a ratio of two times taken in the same benchmark run, on this machine:

- quick: ``conformance run --quick`` (whole process) / importing the backends it uses
  (a fresh Python importing them all, whole process), each pair measured one right after
  the other and the median of the ratios taken: a shared machine's pace drifts by 20% and
  more from minute to minute. Goal: at most 2.
- full: the default run's wall / (imports + time inside the adapters + oracle), as the
  report's own timing states. Goal: at most 1.2.
- memory: the peak PSS of the default run's whole process tree. Goal: at most 2 GiB.
- gate: ``conformance check`` of a NumPy callable on the four dtypes (whole process) minus
  the start of one worker. Goal: at most 3 s.
"""

from __future__ import annotations

import importlib.metadata
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.execute.treemem import TreeMemory

__all__ = ["GOALS", "Figure", "backend_modules", "measure"]

ROOT = Path(__file__).resolve().parents[2]
GOALS = {"quick": 2.0, "full": 1.2, "memory_gib": 2.0, "gate_seconds": 3.0}

STABLE = textwrap.dedent('''
    import numpy as np

    def softmax(x, axis=-1):  # a conforming one: the sum in float64, cast back
        out = x.dtype if x.dtype.kind == "f" or x.dtype.name == "bfloat16" else np.float64
        w = x.astype(np.float64)
        if w.size:
            w = np.exp(w - w.max(axis=axis, keepdims=True))
            w /= w.sum(axis=axis, keepdims=True)
        return w.astype(out)
''')


@dataclass
class Figure:
    name: str
    measured: float
    goal: float
    unit: str
    detail: str

    @property
    def met(self) -> bool:
        return self.measured <= self.goal


@dataclass
class HarnessBench:
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(f.met for f in self.figures)

    def lines(self) -> list[str]:
        out = [f"{'figure':<8} {'measured':>9}  {'goal':>7}  verdict  what"]
        for f in self.figures:
            verdict = "PASS" if f.met else "FAIL"
            out.append(f"{f.name:<8} {f.measured:>8.2f}{f.unit:<1} {f.goal:>6.2f}{f.unit:<1}  "
                       f"{verdict:<7}  {f.detail}")
        return out


def backend_modules(adapters: Sequence[Any]) -> list[str]:
    """The top-level module of each distribution the adapters require (only those
    installed): the one named as the distribution (tensorflow for tensorflow-cpu, torch for
    torch, not the functorch and torchgen it also ships), else its only public module
    (sklearn for scikit-learn); then the modules the adapters say their backends import
    besides (``Adapter.imports``: Keras's torch and JAX backends, which ``import keras``
    leaves out, KERAS_BACKEND choosing TensorFlow's), where their distribution is
    installed."""
    by_dist: dict[str, list[str]] = {}
    for top, dists in importlib.metadata.packages_distributions().items():
        for d in dists:
            by_dist.setdefault(_norm(d), []).append(top)
    wanted: list[str] = ["numpy"]
    for a in adapters:
        for dist in a.requires:
            main = _main_module(_norm(dist), by_dist.get(_norm(dist), []))
            if main is not None and main not in wanted:
                wanted.append(main)
    for a in adapters:
        if all(_norm(d) in by_dist for d in a.requires):
            wanted += [m for m in a.imports if m not in wanted]
    return wanted


def _norm(dist: str) -> str:
    return dist.lower().replace("-", "_").replace(".", "_")


def _main_module(dist: str, modules: Sequence[str]) -> str | None:
    public = sorted(m for m in modules if not m.startswith("_"))
    for name in (dist, dist.split("_")[0]):
        if name in public:
            return name
    return public[0] if len(public) == 1 else None


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", *args]


def _timed(argv: Sequence[str], memory: bool = False, cwd: Path | None = None
           ) -> tuple[float, TreeMemory | None]:
    """Whole-process seconds of a command (and the memory of its tree); it must succeed."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree = TreeMemory(proc.pid).start() if memory else None
    _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if tree is not None:
        tree.stop()
    if proc.returncode not in (0, 1):
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"{' '.join(argv[2:5])} ... exited {proc.returncode}: {tail[0]}")
    return seconds, tree


def _import_seconds(modules: Sequence[str], repeat: int) -> float:
    code = "; ".join(f"import {m}" for m in modules)
    return statistics.median(_timed([sys.executable, "-c", code])[0] for _ in range(repeat))


def _worker_start_seconds(repeat: int) -> float:
    from conformance.execute.isolation import Worker

    times = []
    for _ in range(repeat):
        worker = Worker(sys.executable)
        t0 = time.perf_counter()
        worker.start()
        times.append(time.perf_counter() - t0)
        worker.stop()
    return statistics.median(times)


def measure(*, full: bool = True, warm: bool = True, repeat: int = 3,
            report: Callable[[str], None] = print) -> HarnessBench:
    """Run every measurement (``full=False`` leaves the default run out: minutes)."""
    from adapters import select

    bench = HarnessBench()
    modules = backend_modules(select([]))
    with tempfile.TemporaryDirectory(prefix="bench-harness-") as tmp:
        work = Path(tmp)
        if warm:
            report("conformance run --quick (warming the caches) ...")
            _timed(_cli("run", "--quick", "--out", str(work / "warm")))
        pairs = []  # (imports, quick), one right after the other: the machine's pace drifts
        for i in range(repeat):
            report(f"importing {', '.join(modules)}, then conformance run --quick "
                   f"({i + 1} of {repeat}) ...")
            pairs.append((_import_seconds(modules, 1),
                          _timed(_cli("run", "--quick", "--out", str(work / "quick")))[0]))
        imports = statistics.median(i for i, _ in pairs)
        quick = statistics.median(q for _, q in pairs)
        bench.figures.append(Figure(
            "quick", statistics.median(q / i for i, q in pairs), GOALS["quick"], "x",
            f"run --quick {quick:.1f} s / imports {imports:.1f} s (medians; median ratio of "
            f"{repeat} pairs)"))
        bench.raw.update(imports=imports, quick=quick, modules=modules,
                         quick_pairs=[{"imports": i, "quick": q} for i, q in pairs])
        impl = work / "stable.py"
        impl.write_text(STABLE)
        start = _worker_start_seconds(repeat)
        gate = statistics.median(_timed(_cli("check", "--impl", f"{impl}:softmax"),
                                        cwd=work)[0] for _ in range(repeat))
        bench.figures.append(Figure("gate", gate - start, GOALS["gate_seconds"], "s",
                                    f"check of a NumPy softmax, 4 dtypes {gate:.1f} s - "
                                    f"worker start {start:.1f} s"))
        bench.raw.update(gate=gate, worker_start=start)
        if full:
            report("conformance run (the default run) ...")
            wall, tree = _timed(_cli("run", "--out", str(work / "full")), memory=True)
            assert tree is not None
            timing = json.loads((work / "full" / "report.json").read_text())["timing"]
            own = timing["imports"] + timing["in_adapters"] + timing["oracle"]
            bench.figures.append(Figure(
                "full", timing["wall"] / own, GOALS["full"], "x",
                f"wall {timing['wall']:.1f} s / (imports {timing['imports']:.1f} + adapters "
                f"{timing['in_adapters']:.1f} + oracle {timing['oracle']:.1f} s); whole "
                f"process {wall:.1f} s"))
            bench.figures.append(Figure(
                "memory", tree.peak_pss / 2**30, GOALS["memory_gib"], "G",
                f"peak PSS of {tree.peak_processes} processes (RSS summed: "
                f"{tree.peak_rss / 2**30:.2f} GiB)"))
            bench.raw.update(full_wall=wall, timing=timing, peak_pss=tree.peak_pss,
                             peak_rss=tree.peak_rss, processes=tree.peak_processes)
    return bench
