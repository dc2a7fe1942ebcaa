"""Which computation explains an output: the mechanisms behind the defects.

Each function asks of one case and one result whether a known wrong
computation (an unshifted exp, a shift by the whole array's max, exp flushed
to zero, ...) reproduces what the implementation returned. The op records
(conformance.ops) build their defect detection from these; nothing here reads
an implementation's name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from cases.dtypes import float_format, np_dtype, result_dtype
from cases.model import Case
from conformance.measure.bounds import Policy
from conformance.measure.records import Finding, Result
from conformance.measure.rows import MAX_ROWS_LISTED, as_rows, ulp

__all__ = [
    "NONFINITE_WORDS",
    "flushed_to_zero",
    "log_of_zero",
    "numeric_findings",
    "row_cause",
    "simulate",
    "undefined_rows",
    "whole_rows_broken",
    "worst_cause",
]


def num(v: float | None) -> str:
    return "–" if v is None else f"{v:.3g}"


def undefined_rows(case: Case) -> np.ndarray:
    """Rows (as_rows order) with no single right answer: a NaN, a +inf, or only -inf."""
    rows = as_rows(case.x.astype(np.float64), case.axis)
    if rows.size == 0:
        return np.zeros(len(rows), dtype=bool)
    return (np.any(np.isnan(rows) | np.isposinf(rows), axis=1)
            | np.all(np.isneginf(rows), axis=1))


def row_cause(case: Case, rows_seen: tuple[int, ...], any_inf: bool = False) -> str:
    """Which computation breaks these rows (rows whose own answer is defined): nan-leak,
    denominator-overflow, overflow, underflow, global-max, wrong-shift, or nan-output for
    none of them.

    Broken rows whose own inputs are all finite, beside a NaN, +inf or fully masked
    row, show a leak (one max or one sum taken over more than the row); with -inf
    entries of their own, either explains them (``nan-leak|nan-output``, resolved per
    adapter). Rows whose sum of shifted exps (each at most 1) passes the dtype's largest
    value break even a max-shifted softmax whose denominator is kept in that dtype: a
    denominator overflow (70,000 equal float16 logits). Otherwise each hypothesis
    predicts the rows it breaks: exp of the row itself (or its sum) overflows; every
    exp of the row underflows; every exp of the row underflows after subtracting the
    whole array's max. The one that explains every broken row, predicting the fewest
    rows that did not break, wins; where none does, rows spread wider than exp's range
    break a shift by the row's min or mean (wrong-shift). None of them makes an infinite
    output (they give inf/inf, 0/0 or x/inf).
    """
    if np.any(undefined_rows(case)):
        rows64 = as_rows(case.x.astype(np.float64), case.axis)
        if np.all(np.isfinite(rows64[list(rows_seen)])):
            return "nan-leak"
        # a broken row with its own -inf entries: its mask, or the other row, may be why;
        # resolved by what the implementation shows on cases with one cause only
        return "nan-leak|nan-output"
    if any_inf or not np.all(np.isfinite(case.x.astype(np.float64))):
        return "nan-output"
    fmt = float_format(result_dtype(case.dtype))
    rows = as_rows(case.x.astype(np.float64), case.axis)
    n = rows.shape[1]
    row_max = rows.max(axis=1)
    log_max, log_sub = np.log(fmt.max), np.log(fmt.smallest_subnormal)
    seen = np.zeros(len(rows), dtype=bool)
    seen[list(rows_seen)] = True
    with np.errstate(all="ignore"):
        shifted_sum = np.sum(np.exp(rows - row_max[:, None]), axis=1)
    if np.all(shifted_sum[seen] > fmt.max):
        return "denominator-overflow"
    over = row_max + np.log(n) > log_max
    naive = over | (row_max < log_sub)
    glob = row_max - np.max(rows) < log_sub
    naive_explains, glob_explains = bool(np.all(naive[seen])), bool(np.all(glob[seen]))
    if naive_explains and glob_explains:
        extra_naive = np.count_nonzero(naive & ~seen)
        extra_glob = np.count_nonzero(glob & ~seen)
        if extra_naive == extra_glob and not np.any(over[seen]):
            return "underflow|global-max"  # both break exactly these rows
        naive_explains = bool(extra_naive <= extra_glob)
        glob_explains = not naive_explains
    if naive_explains:
        return "overflow" if np.any(over[seen]) else "underflow"
    if glob_explains:
        return "global-max"
    # exp(x - min) or exp(x - mean): the exps overflow for rows spread wider than exp's range
    with np.errstate(invalid="ignore"):
        spread = np.maximum(row_max - rows.min(axis=1), row_max - rows.mean(axis=1))
    if np.all(spread[seen] + np.log(n) > log_max):
        return "wrong-shift"
    return "nan-output"


def flushed_to_zero(case: Case, result: Result, bound: float) -> bool:
    """Subnormal outputs returned as 0, and every other element within the bound."""
    normal = result.max_cond_error_normal
    return bool(result.flushed) and normal is not None and normal <= bound


def simulate(case: Case, shift: str) -> np.ndarray:
    """What softmax computed in the output dtype gives with no shift or a global-max shift:
    each exp rounded into the dtype (subnormals and underflow included), then normalised."""
    x64 = case.x.astype(np.float64)
    dt = np_dtype(result_dtype(case.dtype))
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        d = x64 - np.max(x64) if shift == "global" else x64
        e = np.exp(d).astype(dt).astype(np.float64)
        total = np.sum(e, axis=case.axis, keepdims=True)
        # an overflowing exp or sum is the overflow defect, not this one
        return np.where(np.isfinite(total), e / total, np.nan)


def worst_cause(case: Case, result: Result) -> str | None:
    """underflow or global-max if that computation reproduces the worst element (4 ulp)."""
    w = result.worst
    if w is None or not np.isfinite(w.got):
        return None
    fmt = float_format(result_dtype(case.dtype))
    matched = []
    for shift, defect in (("none", "underflow"), ("global", "global-max")):
        sim = simulate(case, shift)[w.index]
        if np.isfinite(sim) and sim != w.expected:
            tol = 4 * float(ulp(np.array([sim]), fmt)[0])
            if abs(w.got - sim) <= tol and abs(w.expected - sim) > tol:
                matched.append(defect)
    return "|".join(matched) or None  # both: the global max is 0, resolved per adapter


def whole_rows_broken(case: Case, result: Result) -> str | None:
    """overflow, underflow or global-max when every element of the non-finite rows is broken
    and one of those computations breaks exactly those rows: a sum of exp that overflows
    (x - log(inf) is -inf) or underflows to 0 (x - log(0) is +inf) breaks a whole row."""
    rows = result.nonfinite_rows
    n = case.shape[case.axis]
    broken = (result.nan_count or 0) + (result.inf_count or 0)
    listed = len(rows) < MAX_ROWS_LISTED
    if broken == n * len(rows) if listed else broken >= n * len(rows):
        cause = row_cause(case, rows)
        if cause != "nan-output":
            return cause
    return None


def log_of_zero(case: Case, result: Result, log_p: Callable[[float], float]) -> bool:
    """Is the worst element an infinity where the exact log-probability ``log_p(expected)`` is
    finite but below the log of the dtype's smallest subnormal: the log of a probability that
    underflowed to 0? (The row's max, log of at least 1/n, stays finite.)"""
    w = result.worst
    if w is None or w.got not in (np.inf, -np.inf) or not math.isfinite(w.expected):
        return False
    fmt = float_format(result_dtype(case.dtype))
    return log_p(w.expected) < math.log(fmt.smallest_subnormal) + 1


# the words for a non-finite output's cause, where the op's own do not say more
NONFINITE_WORDS = {
    "log-of-zero": "inf where the exact value is finite: log of an underflowed 0",
    "overflow": "where exp of the unshifted row overflows",
    "underflow": "where every exp of the unshifted row underflows",
    "global-max": "where every exp underflows after a shift by the array's max",
    "nan-leak": "in rows whose own answer is defined: a NaN, inf or masked row elsewhere "
    "leaked into them",
    "denominator-overflow": "where the sum of the shifted exps passes the dtype's largest "
    "value: the denominator is kept in the input dtype",
    "wrong-shift": "where exp of the row shifted by its min or mean overflows",
}

# the computations that turn a whole row into zeros (row_cause names them)
COLLAPSES = ("denominator-overflow", "overflow", "underflow", "global-max", "wrong-shift")
OVERFLOWS = ("denominator-overflow", "overflow")

# (defect, what it computes, the values it gives for the case) for the simulations an op
# tries on an inaccurate worst element
Simulation = tuple[str, str, np.ndarray]


def numeric_findings(
    case: Case,
    result: Result,
    policy: Policy,
    *,
    factor: float,
    nonfinite_cause: Callable[[Case, Result], str],
    simulations: Callable[[Case], Sequence[Simulation]] | None = None,
) -> list[Finding]:
    """The numeric defects of a log_softmax, softmax_vjp or cross_entropy result (status,
    shape and dtype are read by conformance.contract.defects first): a non-finite output and
    its cause; flush-to-zero; an inaccurate worst element that a simulated wrong computation
    reproduces; else ``inaccurate``."""
    out: list[Finding] = []

    def add(defect: str, detail: str) -> None:
        first, _, other = defect.partition("|")
        out.append(Finding(first, case.id, f"{result.op}: {detail}", other or None, op=result.op))

    fmt = float_format(result_dtype(case.dtype))
    if result.nonfinite_rows:
        cause = nonfinite_cause(case, result)
        add(cause, f"{result.nan_count} NaN, {result.inf_count} inf "
            + NONFINITE_WORDS.get(cause.partition("|")[0], "where the exact value is finite"))
        return out
    if result.zero_rows:  # whole rows of 0: did the softmax they multiply by collapse?
        cause = row_cause(case, result.zero_rows)
        first = cause.partition("|")[0]
        # rows whose exact values are all subnormal are zeros under flush-to-zero too: only
        # a sum that overflows explains them better
        w = result.worst
        small = w is not None and abs(w.expected) < 16 * fmt.tiny
        if first in (OVERFLOWS if small else COLLAPSES):
            add(cause, f"rows of zeros {NONFINITE_WORDS[first]}")
            return out
    bound = policy.accuracy_bound(result_dtype(case.dtype), factor)
    cond = result.max_cond_error
    rse = result.row_sum_error
    n = case.shape[case.axis]
    row_bound = policy.row_sum_bound(n, result_dtype(case.dtype))
    if (cond is not None and cond > bound) or (rse is not None and rse > row_bound):
        row = "" if rse is None else f", row check {rse:.3g} (bound {row_bound:.3g})"
        detail = f"accuracy {num(cond)} (bound {bound:g}){row}"
        w = result.worst
        if flushed_to_zero(case, result, bound):  # only the VJP counts flushed elements
            add("flush-to-zero", f"{result.flushed} subnormal dx returned as 0: {detail}")
            return out
        if simulations is not None and w is not None:
            for name, words, sim in simulations(case):
                v = float(sim[w.index])
                tol = 1e-3 * max(abs(v), fmt.tiny) + 4 * fmt.eps * abs(v)
                if np.isfinite(v) and abs(w.got - v) <= tol < abs(w.expected - v):
                    add(name, f"{detail}: matches {words}")
                    return out
        add("inaccurate", detail)
    return out
