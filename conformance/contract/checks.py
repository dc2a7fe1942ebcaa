"""The contract a gate enforces: one plain function per property.

Two kinds. A *result check* ``check_<property>(case, result, policy)`` reads
one metric of one call and returns what is wrong, or None. A *probe check*
``check_<property>(probe, dtype, policy)`` builds its own small inputs (a
shift that is exact in the dtype, a permutation, ties ...) and calls the
implementation through ``probe``; it returns the failures. Capabilities
decide which inputs a probe may use, never the implementation's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from adapters.base import Capabilities
from cases.dtypes import FLOAT_DTYPES, float_format, np_dtype, result_dtype
from cases.model import Case
from conformance.measure.bounds import Policy
from conformance.measure.conventions import classify
from conformance.measure.records import Result
from conformance.measure.rows import as_rows, ulp
from conformance.ops import OpInfo, get_op

__all__ = [
    "CHECKS",
    "ENDED",
    "Check",
    "Failure",
    "Probe",
    "check_accepts_input",
    "check_accuracy",
    "check_axis_honoured",
    "check_completes",
    "check_dtype_preserved",
    "check_empty_input",
    "check_finite_output",
    "check_input_unmodified",
    "check_order_preserved",
    "check_output_range",
    "check_permutation_equivariance",
    "check_row_sums",
    "check_scaled_logits",
    "check_shape_preserved",
    "check_shift_invariance",
    "check_ties_equal",
    "convention_failures",
]


class Probe(Protocol):
    """What a probe check may do: call the implementation on a case it built."""

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def op(self) -> OpInfo: ...

    def run(self, case: Case) -> tuple[Result, np.ndarray | None]: ...

    def run_all(self, cases: Sequence[Case]) -> Iterator[tuple[Result, np.ndarray | None]]:
        """``run`` of each case, in order (one round trip to a worker, not one per case)."""
        ...


@dataclass(frozen=True)
class Failure:
    case: Case
    result: Result
    message: str
    code: str | None = None  # a cause code established by an experiment (another layout)


ResultCheck = Callable[[Case, Result, Policy], "str | None"]
ProbeCheck = Callable[[Probe, str, Policy], "list[Failure]"]


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    metric: str
    on_result: ResultCheck | None = None
    probe: ProbeCheck | None = None
    # also read results on cases with special values (NaN, +inf, masked rows, empty and
    # integer input): their rows with a defined answer are checked like any other row
    special_cases: bool = True
    needs: frozenset[str] = frozenset()  # the op traits (conformance.ops.base) it tests
    # also read calls that gave no output (raised, crashed, timed out); the others read
    # only outputs
    failed_calls: bool = False

    def reads(self, case: Case, result: Result) -> bool:
        """Does this result check read this call?"""
        return (self.on_result is not None and (self.special_cases or not case.is_special)
                and (result.status == "ok" or self.failed_calls))

    def applies_to(self, op: OpInfo) -> bool:
        """Does this check test a property the op has?"""
        return self.needs <= op.traits


def _where(result: Result) -> str:
    w = result.worst
    if w is None:
        return ""
    idx = ", ".join(map(str, w.index))
    return f"out[{idx}]={w.got:.6g}, expected {w.expected:.6g}"


# ---- result checks -----------------------------------------------------------

ENDED = ("crash", "timeout")  # the statuses of a call that did not return


def check_completes(case: Case, result: Result, policy: Policy) -> str | None:
    if result.status in ENDED:
        return f"the call did not return: {result.error}"
    return None


def check_accepts_input(case: Case, result: Result, policy: Policy) -> str | None:
    if result.status == "error":
        return f"raised {result.error}"
    return None


def check_finite_output(case: Case, result: Result, policy: Policy) -> str | None:
    if result.nan_on_finite_input:
        return f"{result.nan_count} NaN, {result.inf_count} inf on finite input; " + _where(result)
    if result.nonfinite_rows:
        return f"NaN or inf where the exact {result.op} is finite; {_where(result)}"
    return None


def check_output_range(case: Case, result: Result, policy: Policy) -> str | None:
    if result.out_of_range:
        return f"{result.out_of_range} outputs {get_op(result.op).range_text}"
    return None


def check_row_sums(case: Case, result: Result, policy: Policy) -> str | None:
    n = case.shape[case.axis]
    bound = policy.row_sum_bound(n, _measured(case, result))
    if result.row_sum_error is not None and not result.row_sum_error <= bound:
        what, unit = get_op(result.op).row_check_text
        return (f"{what} {result.row_sum_error:.3g} eps{unit}, expected within {bound:.3g} "
                f"for rows of {n}")
    return None


def _measured(case: Case, result: Result) -> str:
    """The dtype the result was measured in (for integer input, the float it returned)."""
    out = result.out_dtype or ""
    return out if case.dtype not in FLOAT_DTYPES and out in FLOAT_DTYPES else result_dtype(
        case.dtype)


def check_accuracy(case: Case, result: Result, policy: Policy) -> str | None:
    bound = policy.accuracy_bound(_measured(case, result), get_op(result.op).accuracy_factor)
    err = result.max_cond_error
    if err is not None and not err <= bound:
        ulps = result.worst.ulp_error if result.worst else float("nan")
        return f"condition-aware error {err:.3g} > {bound:g} ({ulps:.3g} ulp); " + _where(result)
    return None


def check_shape_preserved(case: Case, result: Result, policy: Policy) -> str | None:
    if result.shape_ok is False:
        return f"output shape differs from the input's {case.shape}"
    return None


def check_dtype_preserved(case: Case, result: Result, policy: Policy) -> str | None:
    if case.dtype not in FLOAT_DTYPES and result.out_dtype is not None:
        # integer input: any float dtype is a distribution's, unless the policy names one
        want = policy.int_output_dtype
        if result.out_dtype not in FLOAT_DTYPES or (want and result.out_dtype != want):
            return (f"returned {result.out_dtype} for {case.dtype} input, expected "
                    f"{want or 'a float dtype'}")
        return None
    if result.dtype_ok is False:
        return f"returned {result.out_dtype}, expected {result_dtype(case.dtype)}"
    return None


def check_input_unmodified(case: Case, result: Result, policy: Policy) -> str | None:
    return "the input array was modified" if result.input_mutated else None


_RESULT_CHECKS_ON_PROBES = (
    check_accepts_input,
    check_finite_output,
    check_row_sums,
    check_accuracy,
    check_shape_preserved,
)


def _first_problem(case: Case, result: Result, policy: Policy) -> str | None:
    for fn in _RESULT_CHECKS_ON_PROBES:
        msg = fn(case, result, policy)
        if msg:
            return msg
    return None


# ---- probe checks ------------------------------------------------------------


def _cast(values: np.ndarray, dtype: str) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).astype(np_dtype(dtype))


def _supported(probe: Probe, shape: tuple[int, ...], axis: int, dtype: str) -> bool:
    return probe.capabilities.unsupported_reason(shape, axis, dtype) is None


def _probe_case(family: str, x: np.ndarray, axis: int, note: str) -> Case:
    return Case(f"probe-{family}", x, axis=axis, origin="generated", note=note)


def _rng(name: str, dtype: str) -> np.random.Generator:
    import zlib

    return np.random.default_rng(zlib.crc32(f"{name}|{dtype}".encode()))


def check_axis_honoured(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """Every axis of 1-D to 4-D inputs, positive and negative, not only the last."""
    rng = _rng("axis", dtype)
    cases = []
    for shape in ((7,), (4, 6), (3, 4, 5), (2, 3, 2, 3)):
        x = _cast(rng.normal(0.0, 2.0, shape), dtype)
        cases += [_probe_case("axis", x, axis, f"{len(shape)}-D, axis={axis}")
                  for axis in range(-len(shape), len(shape))
                  if _supported(probe, shape, axis, dtype)]
    failures = []
    for case, (result, _) in zip(cases, probe.run_all(cases), strict=True):
        msg = _first_problem(case, result, policy)
        if msg:
            failures.append(Failure(case, result, f"shape {case.shape}, axis={case.axis}: {msg}"))
    return failures


def _shift(dtype: str) -> float:
    """A power of two just beyond the dtype's exp overflow threshold."""
    return float(2.0 ** np.ceil(np.log2(float_format(dtype).exp_overflow + 1)))


def check_shift_invariance(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """softmax(x + c) = softmax(x): shifts by ±c just past exp's overflow threshold.

    The grid of x and c are chosen so that x ± c is exact in the dtype, so the
    exact answer does not move; the shifted call is held to the accuracy bound.
    """
    step = 1.0 if float_format(dtype).precision < 11 else 0.125
    rng = _rng("shift", dtype)
    x64 = rng.integers(-32, 33, size=(3, 8)) * step
    c = _shift(dtype)
    failures = []
    for sign in (+1, -1):
        shifted = _cast(x64 + sign * c, dtype)
        assert np.array_equal(shifted.astype(np.float64) - sign * c, x64), "shift not exact"
        axis = shifted.ndim - 1
        if not _supported(probe, shifted.shape, axis, dtype):
            continue
        case = _probe_case("shift", shifted, axis, f"x {'+' if sign > 0 else '-'} {c:g}")
        result, _ = probe.run(case)
        msg = _first_problem(case, result, policy)
        if msg:
            op, pm = result.op, "+" if sign > 0 else "-"
            failures.append(Failure(case, result, f"{op}(x {pm} {c:g}) != {op}(x): {msg}"))
    return failures


def _rows_case(name: str, x64: np.ndarray, dtype: str, probe: Probe) -> Iterator[Case]:
    x = _cast(x64, dtype)
    for axis in (x.ndim - 1, 0):
        if _supported(probe, x.shape, axis, dtype):
            yield _probe_case(name, x, axis, f"axis={axis}")
            return


def _late_max_rows(rng: np.random.Generator) -> np.ndarray:
    """Rows of 1000 whose largest values come last: an online softmax that forgets to
    rescale its running sum breaks on them, and not on the same rows reversed."""
    return np.sort(rng.normal(0.0, 3.0, (2, 1000)), axis=1)


def check_permutation_equivariance(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """Permuting a row permutes its outputs (to within the accuracy bound, and for long rows
    the difference a reordered sum may make)."""
    rng = _rng("perm", dtype)
    failures = []
    inputs = (rng.normal(0.0, 3.0, (3, 9)), _late_max_rows(rng))
    for case in (c for x64 in inputs for c in _rows_case("perm", x64, dtype, probe)):
        base, y = probe.run(case)
        if y is None or y.shape != case.shape:
            continue
        n = case.shape[case.axis]
        for name, perm in (("reversed", np.arange(n)[::-1]), ("shuffled", rng.permutation(n))):
            px = np.take(case.x, perm, axis=case.axis)
            pcase = _probe_case("perm", px, case.axis, f"{name} along axis {case.axis}")
            result, py = probe.run(pcase)
            if py is None or py.shape != pcase.shape:
                failures.append(Failure(pcase, result, f"{name}: {result.error or 'bad shape'}"))
                continue
            want = np.take(y, perm, axis=case.axis).astype(np.float64)
            fmt = float_format(result_dtype(dtype))
            # in ulps of the value where the op's error is relative (softmax); else absolute,
            # in eps * (1 + |y|), as its accuracy (a y near 0 is not held to a relative bound)
            relative = probe.op.agreement == "relative"
            unit = ulp(want, fmt) if relative else fmt.eps * (1 + np.abs(want))
            with np.errstate(invalid="ignore"):
                diff = np.abs(py.astype(np.float64) - want) / unit
            limit = (
                2
                * policy.accuracy_bound(result_dtype(dtype))
                * (1 + np.abs(case.x.astype(float)).max())
                + 2 * policy.row_sum_bound(n, result_dtype(dtype))
            )
            if not np.all(diff <= limit):
                i = np.unravel_index(
                    int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape
                )
                failures.append(
                    Failure(
                        pcase,
                        result,
                        (
                            f"{name} row: out{list(i)}={py[i].item():.6g}, expected {want[i]:.6g} "
                            f"(the unpermuted output, permuted), {diff[i]:.3g} "
                            + ("ulp apart" if relative else "eps (1 + |y|) apart")
                        ),
                    )
                )
    return failures


def check_ties_equal(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """Equal inputs in a row give exactly equal outputs."""
    x64 = np.array(
        [
            [1.0, 3.0, 1.0, 2.0, 3.0, 1.0],
            [0.5, 0.5, 0.5, 0.5, -1.0, 0.5],
            [-2.0, 4.0, 4.0, -2.0, 0.0, 4.0],
        ]
    )
    failures = []
    for case in _rows_case("ties", x64, dtype, probe):
        result, y = probe.run(case)
        if y is None or y.shape != case.shape:
            continue
        for r, (xrow, yrow) in enumerate(
            zip(as_rows(case.x, case.axis), as_rows(y, case.axis), strict=True)
        ):
            for v in np.unique(xrow):
                vals = yrow[xrow == v].astype(np.float64)
                if vals.size > 1 and not np.all(vals == vals[0]):
                    failures.append(
                        Failure(
                            case,
                            result,
                            (
                                f"row {r}: inputs all {float(v):g} gave outputs "
                                f"{', '.join(f'{u:.9g}' for u in vals)}: ties broken by position"
                            ),
                        )
                    )
                    break
    return failures


def check_order_preserved(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """A larger input never gets a smaller output."""
    rng = _rng("order", dtype)
    failures = []
    for case in _rows_case("order", rng.normal(0.0, 4.0, (3, 10)), dtype, probe):
        result, y = probe.run(case)
        if y is None or y.shape != case.shape:
            continue
        for r, (xrow, yrow) in enumerate(
            zip(
                as_rows(case.x.astype(float), case.axis),
                as_rows(y.astype(float), case.axis),
                strict=True,
            )
        ):
            order = np.argsort(xrow, kind="stable")
            ys = yrow[order]
            bad = np.flatnonzero(np.diff(ys) < 0)
            if bad.size:
                i, j = order[bad[0]], order[bad[0] + 1]
                failures.append(
                    Failure(
                        case,
                        result,
                        (
                            f"row {r}: x[{i}]={xrow[i]:.6g} < x[{j}]={xrow[j]:.6g} but "
                            f"out[{i}]={yrow[i]:.6g} > out[{j}]={yrow[j]:.6g}"
                        ),
                    )
                )
    return failures


def check_scaled_logits(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """Finite, accurate output for finite logits at any scale (logits x 1e8, or as far as
    the dtype reaches)."""
    rng = _rng("scaled", dtype)
    fmt = float_format(dtype)
    factor = min(1e8, fmt.max / 64)
    failures = []
    for case in _rows_case("scaled", rng.normal(0.0, 1.0, (3, 6)) * factor, dtype, probe):
        result, _ = probe.run(case)
        msg = _first_problem(case, result, policy)
        if msg:
            failures.append(Failure(case, result, f"logits x {factor:.3g}: {msg}"))
    return failures


def check_empty_input(probe: Probe, dtype: str, policy: Policy) -> list[Failure]:
    """An empty input gives an empty output of the same shape."""
    failures = []
    cases = [_probe_case("empty", np.zeros(shape, dtype=np_dtype(dtype)), axis,
                         f"shape {shape}, axis={axis}")
             for shape, axis in (((0,), 0), ((3, 0), 1), ((0, 4), 1), ((0, 4), 0))
             if _supported(probe, shape, axis, dtype)]
    for case, (result, y) in zip(cases, probe.run_all(cases), strict=True):
        if result.status == "unsupported":  # the op has no meaning here (no classes)
            continue
        shape = case.shape
        want = probe.op.output_shape(shape, case.axis)
        if y is None:
            failures.append(Failure(case, result, f"shape {shape}: raised {result.error}"))
        elif y.shape != want:
            failures.append(Failure(case, result, f"shape {shape}: returned shape {y.shape}, "
                                    f"expected {want}"))
    return failures


def convention_failures(case: Case, y: np.ndarray | None, policy: Policy) -> list[tuple[str, str]]:
    """(kind, message) for each convention the policy requires and this output breaks."""
    out = []
    for kind, label in classify(case.x, case.axis, case.all_tags, y).items():
        want = policy.conventions.get(kind)
        if want is not None and label != want:
            out.append((kind, f"{kind}: behaves as '{label}', the policy requires '{want}'"))
    return out


CHECKS: tuple[Check, ...] = (
    Check(
        "completes",
        "every call returns: no crash, exit, hang or timeout (in a worker process)",
        "status",
        on_result=check_completes,
        failed_calls=True,
    ),
    Check(
        "accepts_input",
        "an input the capabilities accept does not raise",
        "status",
        on_result=check_accepts_input,
        # raising on NaN, inf, a masked row, empty or integer input is a convention, recorded
        # side by side; a policy may require acceptance (conventions: int-input = float64)
        special_cases=False,
        failed_calls=True,
    ),
    Check(
        "finite_output",
        "finite input gives finite output",
        "nan_on_finite_input",
        on_result=check_finite_output,
    ),
    Check(
        "output_range",
        "outputs in range: softmax in [0, 1], log_softmax <= 0, loss >= 0",
        "out_of_range",
        on_result=check_output_range,
    ),
    Check(
        "row_sums",
        "rows sum to one within a bound growing with log2(n)",
        "row_sum_error",
        on_result=check_row_sums,
    ),
    Check(
        "accuracy",
        "condition-aware error within the dtype's bound",
        "max_cond_error",
        on_result=check_accuracy,
    ),
    Check(
        "shape_preserved",
        "the output has the input's shape",
        "shape_ok",
        on_result=check_shape_preserved,
    ),
    Check(
        "dtype_preserved",
        "the output has the input's dtype",
        "dtype_ok",
        on_result=check_dtype_preserved,
    ),
    Check(
        "input_unmodified",
        "the input array is not modified",
        "input_mutated",
        on_result=check_input_unmodified,
        failed_calls=True,
    ),
    Check(
        "axis_honoured",
        "every axis is honoured, 1-D to 4-D, negative and positive",
        "row_sum_error, max_cond_error",
        probe=check_axis_honoured,
    ),
    Check(
        "shift_invariance",
        "adding a constant to a row does not change the output",
        "max_cond_error",
        probe=check_shift_invariance,
    ),
    Check(
        "permutation_equivariance",
        "permuting a row permutes the output",
        "ulp distance",
        probe=check_permutation_equivariance,
        needs=frozenset({"monotone"}),
    ),
    Check(
        "ties_equal",
        "equal inputs give equal outputs",
        "exact equality",
        probe=check_ties_equal,
        needs=frozenset({"monotone"}),
    ),
    Check(
        "order_preserved",
        "a larger input never gets a smaller output",
        "order",
        probe=check_order_preserved,
        needs=frozenset({"monotone"}),
    ),
    Check(
        "scaled_logits",
        "finite, accurate output for logits scaled by up to 1e8",
        "finite_output, max_cond_error",
        probe=check_scaled_logits,
        needs=frozenset({"log-domain"}),
    ),
    Check(
        "empty_input",
        "an empty input gives an empty output of the same shape",
        "shape",
        probe=check_empty_input,
    ),
)
