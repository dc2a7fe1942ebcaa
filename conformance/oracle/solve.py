"""Merging the fast screens' answers with the mpmath baseline for what they left undecided."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from conformance.oracle.reference import SolveStats
from conformance.oracle.rows import Rows

__all__ = ["finish", "undecided_columns"]


def undecided_columns(fast_rows: np.ndarray, ok: np.ndarray) -> dict[int, list[int]]:
    """Row index (in the whole block) -> the columns the screen left undecided."""
    rr, cc = np.nonzero(~ok)
    cols: dict[int, list[int]] = {}
    for r, c in zip(fast_rows[rr].tolist(), cc.tolist(), strict=True):
        cols.setdefault(r, []).append(c)
    return cols


RowsMp = Callable[..., dict[int, list[float]]]


def finish(
    out: np.ndarray,
    values: np.ndarray,
    rows: Rows,
    slow: np.ndarray,
    cols: dict[int, list[int]],
    rows_mp: RowsMp,
) -> tuple[np.ndarray, SolveStats]:
    """mpmath for every column of the rows ``slow`` and for the ``cols`` left undecided.

    ``rows_mp(values, fmt, which, cols=None)`` answers rows of ``values``
    (all their columns, or those ``cols`` maps them to).
    """
    n = values.shape[1]
    which = np.flatnonzero(slow)
    for r, y in rows_mp(values, rows.fmt, which).items():
        out[r] = y
    for r, y in rows_mp(values, rows.fmt, sorted(cols), cols).items():
        out[r, cols[r]] = y
    undecided = sum(len(c) for c in cols.values())
    mp_rows = len(which) + len(cols)
    return out, SolveStats(int(values.size), undecided, mp_rows, len(which) * n + undecided)
