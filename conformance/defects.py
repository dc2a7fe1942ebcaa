"""Which known defects a run's metrics show, and on which case.

Every name in adapters.base.DEFECTS is detected here from the metrics and the
input alone (never from an adapter's name). The cause of a non-finite or
all-zero row is told apart by asking which computation would have broken on
exactly that row: exp of the row itself (overflow, underflow) or exp after
subtracting the whole array's max (global-max). Cases whose behaviour is a
convention (NaN, +inf, fully masked rows, empty and integer input) count only
for ``mutates-input``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from cases.dtypes import float_format, np_dtype, result_dtype
from cases.model import Case
from conformance.bounds import DEFAULT, Policy
from conformance.metrics import MAX_ROWS_LISTED, as_rows, ulp
from conformance.records import Result

__all__ = ["Finding", "detect", "findings_for"]


@dataclass(frozen=True)
class Finding:
    defect: str
    case: str
    detail: str
    # another defect that explains this case equally well (resolved across an adapter's cases)
    alternative: str | None = None
    op: str = "softmax"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.3g}"


def _row_cause(case: Case, rows_seen: tuple[int, ...], any_inf: bool = False) -> str:
    """overflow, underflow, global-max or nan-output: which computation breaks these rows.

    Each hypothesis predicts the rows it breaks: exp of the row itself (or its
    sum) overflows; every exp of the row underflows; every exp of the row
    underflows after subtracting the whole array's max. The one that explains
    every broken row, predicting the fewest rows that did not break, wins.
    None of them makes an infinite output (they give inf/inf, 0/0 or x/inf).
    """
    if any_inf or not np.all(np.isfinite(case.x.astype(np.float64))):
        return "nan-output"
    fmt = float_format(result_dtype(case.dtype))
    rows = as_rows(case.x.astype(np.float64), case.axis)
    n = rows.shape[1]
    row_max = rows.max(axis=1)
    log_max, log_sub = np.log(fmt.max), np.log(fmt.smallest_subnormal)
    seen = np.zeros(len(rows), dtype=bool)
    seen[list(rows_seen)] = True
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
    return "nan-output"


def _flushed_to_zero(case: Case, result: Result, bound: float) -> bool:
    """Subnormal outputs returned as 0, and every other element within the bound."""
    normal = result.max_cond_error_normal
    return bool(result.flushed) and normal is not None and normal <= bound


def _simulate(case: Case, shift: str) -> np.ndarray:
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


def _worst_cause(case: Case, result: Result) -> str | None:
    """underflow or global-max if that computation reproduces the worst element (4 ulp)."""
    w = result.worst
    if w is None or not np.isfinite(w.got):
        return None
    fmt = float_format(result_dtype(case.dtype))
    matched = []
    for shift, defect in (("none", "underflow"), ("global", "global-max")):
        sim = _simulate(case, shift)[w.index]
        if np.isfinite(sim) and sim != w.expected:
            tol = 4 * float(ulp(np.array([sim]), fmt)[0])
            if abs(w.got - sim) <= tol and abs(w.expected - sim) > tol:
                matched.append(defect)
    return "|".join(matched) or None  # both: the global max is 0, resolved per adapter


def _worst_from_global_max(case: Case, result: Result) -> bool:
    """Was the worst element pushed below the normal range by a shift by the global max?"""
    if result.worst is None:
        return False
    fmt = float_format(result_dtype(case.dtype))
    x64 = case.x.astype(np.float64)
    row_max = np.max(x64, axis=case.axis, keepdims=True)
    idx = result.worst.index
    xi = x64[idx]
    rmax = np.broadcast_to(row_max, x64.shape)[idx]
    log_tiny = np.log(fmt.tiny)
    return bool(xi - np.max(x64) < log_tiny <= xi - rmax)


def findings_for(case: Case, result: Result, policy: Policy = DEFAULT) -> list[Finding]:
    """The defects one result shows."""
    found: list[Finding] = []

    def add(defect: str, detail: str) -> None:
        first, _, other = defect.partition("|")
        found.append(Finding(first, case.id, detail, other or None, op=result.op))

    if result.status == "unsupported":
        return found
    if result.input_mutated:
        add("mutates-input", "the input array was modified")
    if case.is_special:
        return found
    if result.status != "ok":
        add("raises", result.error or result.status)
        return found
    if result.shape_ok is False:
        add("shape-changed", f"output shape differs from the expected one ({case.shape} input)")
        return found
    if result.dtype_ok is False:
        add("dtype-changed", f"returned {result.out_dtype} for {case.dtype} input")
    if result.op != "softmax":
        return found + _other_op_findings(case, result, policy)
    if result.nonfinite_rows:
        cause = _row_cause(case, result.nonfinite_rows, bool(result.inf_count))
        add(cause, f"{result.nan_count} NaN, {result.inf_count} inf where the answer is finite")
        return found
    n = case.shape[case.axis]
    rse = result.row_sum_error
    cond = result.max_cond_error
    fmt = float_format(result_dtype(case.dtype))
    if rse is not None and rse > policy.row_sum_bound(n):
        multi_row = case.x.ndim > 1 and case.x.size > n
        along_other = result.sums_to_one_along or ()
        if along_other and (multi_row or "each-element" in along_other):
            along = ", ".join(along_other)
            add("wrong-axis", f"rows off by {rse:.3g} eps; sums to one along: {along}")
            return found
        if result.zero_rows:
            cause = _row_cause(case, result.zero_rows)
            add(cause, f"rows of zeros; row sums off by {rse:.3g} eps")
            return found
        # a row off by 90% or more whose ratios exp(x_i - x_j) are broken too: its
        # elements were divided by different sums (another row's, another column's)
        broken = result.row_ratio_spread is not None and result.row_ratio_spread > 0.5
        if multi_row and rse * fmt.eps > 0.9 and broken:
            add("wrong-axis", f"rows off by {rse:.3g} eps, ratios within rows broken too")
            return found
    bound = policy.accuracy_bound(result_dtype(case.dtype))
    if (cond is not None and cond > bound) or (rse is not None and rse > policy.row_sum_bound(n)):
        detail = (f"condition-aware error {_num(cond)} (bound {bound}), row sum off by "
                  f"{_num(rse)} eps")
        if _flushed_to_zero(case, result, bound):
            add("flush-to-zero", f"{result.flushed} subnormal outputs returned as 0: {detail}")
        elif shifted := _worst_cause(case, result):
            add(shifted, f"{detail}; reproduced by an unshifted or globally shifted exp")
        else:
            add("inaccurate", detail)
    return found


_VJP_ERRORS = {
    "diagonal-only-jacobian": "s * (1 - s) * g, the diagonal of the Jacobian only: the "
    "off-diagonal terms -s_i s_j are missing",
    "wrong-jacobian": "004's s*(1-s) + np.outer(s, s) as the Jacobian (J[i, j] = s_j (1 - s_j) "
    "+ s_i s_j): off-diagonal terms of the wrong sign, the diagonal broadcast along every row; "
    "the Jacobian is diag(s) - s s^T",
    "overflow": "the right Jacobian of an unshifted softmax, whose sum of exp overflows",
    "underflow": "the right Jacobian of an unshifted softmax, whose exps underflow",
}


def _vjp_simulations(case: Case) -> list[tuple[str, np.ndarray]]:
    """The wrong gradients of 004 and where each defect's values come from, tried in this order:
    s (g - s.g) with s from an unshifted exp rounded into the dtype (overflow or underflow,
    named per row), then 004's s(1-s) g and J^T g with J = s*(1-s) + np.outer(s, s), over the
    exact s and over the unshifted one (004's softmax is unshifted)."""
    from conformance.op_inputs import cotangent

    x64 = case.x.astype(np.float64)
    g = cotangent(case).astype(np.float64)
    axis = case.axis
    fmt = float_format(result_dtype(case.dtype))
    dt = np_dtype(result_dtype(case.dtype))
    with np.errstate(all="ignore"):
        e = np.exp(x64 - np.max(x64, axis=axis, keepdims=True))
        stable = e / np.sum(e, axis=axis, keepdims=True)
        e = np.exp(x64).astype(dt).astype(np.float64)
        naive = e / np.sum(e, axis=axis, keepdims=True)
        over = np.max(x64, axis=axis, keepdims=True) + np.log(case.shape[axis]) > np.log(fmt.max)
        exact_naive = naive * (g - np.sum(g * naive, axis=axis, keepdims=True))
        out = [("overflow", np.where(over, exact_naive, np.nan)),
               ("underflow", np.where(over, np.nan, exact_naive))]
        for s in (stable, naive):
            # 004's J = s*(1-s) + np.outer(s, s): the vector broadcasts along rows, so
            # J[i, j] = s_j (1 - s_j) + s_i s_j and (J^T g)_j = s_j (1 - s_j) sum(g) + s_j (s . g)
            outer = (s * (1 - s) * np.sum(g, axis=axis, keepdims=True)
                     + s * np.sum(s * g, axis=axis, keepdims=True))
            out += [("diagonal-only-jacobian", s * (1 - s) * g), ("wrong-jacobian", outer)]
    return out


def _nonfinite_cause(case: Case, result: Result) -> str:
    """Why a log_softmax, softmax_vjp or cross_entropy result is NaN or inf where the exact
    value is finite.

    softmax_vjp inherits the broken rows of the softmax it multiplies by (see _row_cause).
    log_softmax and cross_entropy: an overflowing sum of exp (x - log(inf) is -inf) or one
    that underflows to 0 (x - log(0) is +inf) breaks every element of the row; log of a
    probability that underflowed to 0 breaks only the small ones (the row's max, log of at
    least 1/n, stays finite), and only where the exact probability is below the dtype's
    smallest subnormal. Cross-entropy has one value per row: the label's exact probability
    tells the log of zero from a broken sum.
    """
    rows = result.nonfinite_rows
    w = result.worst
    if result.op == "softmax_vjp":
        return _row_cause(case, rows, bool(result.inf_count))
    fmt = float_format(result_dtype(case.dtype))
    if result.op == "log_softmax":
        n = case.shape[case.axis]
        broken = (result.nan_count or 0) + (result.inf_count or 0)
        listed = len(rows) < MAX_ROWS_LISTED
        if broken == n * len(rows) if listed else broken >= n * len(rows):
            cause = _row_cause(case, rows)
            if cause != "nan-output":
                return cause
    # log(0): the worst element's exact probability is below what the dtype holds
    if w is not None and w.got in (np.inf, -np.inf) and math.isfinite(w.expected):
        log_p = w.expected if result.op == "log_softmax" else -w.expected
        if log_p < math.log(fmt.smallest_subnormal) + 1:
            return "log-of-zero"
    return _row_cause(case, rows)


def _other_op_findings(case: Case, result: Result, policy: Policy) -> list[Finding]:
    """The numeric defects of a log_softmax, softmax_vjp or cross_entropy result (status,
    shape and dtype are read by findings_for, as for softmax)."""
    out: list[Finding] = []

    def add(defect: str, detail: str) -> None:
        first, _, other = defect.partition("|")
        out.append(Finding(first, case.id, f"{result.op}: {detail}", other or None, op=result.op))

    fmt = float_format(result_dtype(case.dtype))
    if result.nonfinite_rows:
        cause = _nonfinite_cause(case, result)
        what = {"log-of-zero": "inf where the exact value is finite: log of an underflowed 0",
                "overflow": "where exp of the unshifted row overflows",
                "underflow": "where every exp of the unshifted row underflows",
                "global-max": "where every exp underflows after a shift by the array's max"}
        add(cause, f"{result.nan_count} NaN, {result.inf_count} inf "
            + what.get(cause.partition("|")[0], "where the exact value is finite"))
        return out
    bound = policy.accuracy_bound(result_dtype(case.dtype), result.op)
    cond = result.max_cond_error
    rse = result.row_sum_error
    n = case.shape[case.axis]
    if (cond is not None and cond > bound) or (rse is not None and rse > policy.row_sum_bound(n)):
        row = "" if rse is None else f", row check {rse:.3g} (bound {policy.row_sum_bound(n):.3g})"
        detail = f"accuracy {_num(cond)} (bound {bound:g}){row}"
        w = result.worst
        if _flushed_to_zero(case, result, bound):  # only the VJP counts flushed elements
            add("flush-to-zero", f"{result.flushed} subnormal dx returned as 0: {detail}")
            return out
        if result.op == "softmax_vjp" and w is not None:
            for name, sim in _vjp_simulations(case):
                v = float(sim[w.index])
                tol = 1e-3 * max(abs(v), fmt.tiny) + 4 * fmt.eps * abs(v)
                if np.isfinite(v) and abs(w.got - v) <= tol < abs(w.expected - v):
                    add(name, f"{detail}: matches {_VJP_ERRORS[name]}")
                    return out
        add("inaccurate", detail)
    return out


def _resolve(findings: list[Finding]) -> list[Finding]:
    """A case two defects explain equally goes to the one this adapter shows elsewhere."""
    certain = {f.defect for f in findings if f.alternative is None}
    out = []
    for f in findings:
        if f.alternative and f.alternative in certain and f.defect not in certain:
            f = Finding(f.alternative, f.case, f.detail, op=f.op)
        out.append(f)
    return out


def detect(cases: Iterable[Case], results: Iterable[Result]) -> dict[str, list[Finding]]:
    """adapter name -> findings, over a run's softmax results."""
    by_id: Mapping[str, Case] = {c.id: c for c in cases}
    out: dict[str, list[Finding]] = {}
    for r in results:
        if r.case not in by_id:
            continue
        out.setdefault(r.adapter, []).extend(findings_for(by_id[r.case], r))
    return {name: _resolve(fs) for name, fs in out.items()}
