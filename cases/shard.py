"""Splitting the cases of a run into N disjoint parts of about equal work (``--shard I/N``).

Deterministic: every shard of a run builds the same list of cases, and the same list
always splits the same way, whatever machine computes it. Work is estimated by size: the
elements of a case plus a fixed cost per case (a call has overhead however small its
input). The largest cases are placed first, each on the part with the least work so far
(ties: the lowest part), by case id where sizes tie.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from cases.model import Case

__all__ = ["PER_CASE", "parse_shard", "shard"]

PER_CASE = 2048  # the fixed cost of a case, in elements


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 <= I <= N <= 10000) as (I, N); ValueError with what is expected."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or not 1 <= i <= n <= 10_000:
        raise ValueError(f"--shard {text}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return i, n


def shard(cases: Sequence[Case], index: int, count: int) -> list[Case]:
    """The ``index``-th (from 1) of ``count`` parts of ``cases``, in their original order."""
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count}: expected 1 <= index <= count")
    order = sorted(range(len(cases)), key=lambda i: (-cases[i].x.size, cases[i].id))
    loads = [(0, part) for part in range(count)]
    mine = set()
    for i in order:
        work, part = heapq.heappop(loads)
        if part == index - 1:
            mine.add(i)
        heapq.heappush(loads, (work + cases[i].x.size + PER_CASE, part))
    return [c for i, c in enumerate(cases) if i in mine]
