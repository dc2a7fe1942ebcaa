"""The memory of a process and all its descendants, sampled while it runs (Linux /proc).

RSS is cheap to read and counts a page shared by several processes once in each; PSS
divides a shared page among its processes, so the PSS of a tree is what it really holds.
RSS is sampled every ``interval``, PSS every ``pss_every`` samples (reading it walks
every mapping of the process, which costs milliseconds for a large one).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TreeMemory", "descendants"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (by parent pid)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class TreeMemory:
    """Peak RSS and PSS sums of the tree under ``pid``, sampled until ``stop()``."""

    pid: int
    interval: float = 0.1
    pss_every: int = 10
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def sample(self, with_pss: bool = True) -> None:
        pids = descendants(self.pid)
        self.peak_processes = max(self.peak_processes, len(pids))
        self.peak_rss = max(self.peak_rss, sum(_rss(p) for p in pids))
        if with_pss:
            self.peak_pss = max(self.peak_pss, sum(_pss(p) for p in pids))

    def _loop(self) -> None:
        n = 0
        while not self._stop.wait(self.interval):
            self.sample(with_pss=n % self.pss_every == 0)
            n += 1

    def start(self) -> TreeMemory:
        self._thread = threading.Thread(target=self._loop, name="tree-memory", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> TreeMemory:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self
