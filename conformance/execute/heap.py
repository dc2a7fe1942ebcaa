"""Keeping a process near the memory it needs between cases.

A large case (a vocabulary row of 262,144 elements, its copies, outputs and temporaries)
leaves freed memory in the C allocator's arenas, where it still counts against the
machine: with a worker per backend, each keeping its high-water mark, that slack was most
of the default run's peak. After each case: when the process has grown by ``TRIM`` since
it was last trimmed, the C allocator gives its free memory back (``malloc_trim``, glibc;
milliseconds); when it is still ``GROWTH`` above its size after loading (compiled code per
shape, caches), the backends drop their caches first (``Loaded.release``); when that is not
enough (``RESTART``), the worker's last reply to the case says so and the harness starts it
again (execute.isolation), instead of letting it grow with every shape. Cases rarely share
a shape, so a dropped compile cache is seldom compiled again (JAX's comes back from its
persistent cache in milliseconds). Measured with the peak PSS of the default run's process
tree (``conformance bench-harness``): 64 MiB instead of 256 MiB, with the trim, lowered it
by about 0.2 GiB.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Heap", "rss", "trim"]


def rss() -> int:
    """This process's resident bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: nothing to watch
        return 0


def trim() -> None:
    """Give the C allocator's free memory back to the system (glibc; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class Heap:
    TRIM = 32 * 2**20
    GROWTH = 64 * 2**20
    # what caches that cannot be dropped may hold before the worker asks to be started
    # again (its backends imported afresh): TensorFlow keeps each shape's XLA executable for
    # good, 430 MB over the default run's cases. 96 MiB: about ten restarts of TensorFlow's
    # worker in the default run, whose peak PSS was 1.94 GiB (2.04 GiB with 128 MiB)
    RESTART = 96 * 2**20

    def __init__(self) -> None:
        self.baseline = self.trimmed = 0
        self.loaded()

    def loaded(self) -> None:
        """The size after loading is the size to come back to."""
        self.baseline = self.trimmed = rss()

    def after_case(self, releases: Iterable[Callable[[], Any]] = ()) -> bool:
        """Trim, and drop caches, as needed; True when the process is still RESTART above
        its size after loading (a worker then asks the harness to start it again)."""
        if rss() <= self.trimmed + self.TRIM:
            return False
        trim()
        self.trimmed = rss()
        if self.trimmed <= self.baseline + self.GROWTH:
            return False
        import gc

        for release in releases:
            try:
                release()
            except Exception:  # a cache that cannot be dropped only costs memory
                pass
        gc.collect()
        trim()
        self.trimmed = rss()
        return self.trimmed > self.baseline + self.RESTART
