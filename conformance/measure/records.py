"""The results model: frozen records, and the one function that turns them into JSON."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "STATUSES",
    "Finding",
    "Metrics",
    "Result",
    "Worst",
    "result_from_json",
    "to_jsonable",
]

STATUSES = ("ok", "error", "unsupported", "crash", "timeout")


@dataclass(frozen=True)
class Worst:
    """The worst element of one output: where it is, what came back, what was expected."""

    index: tuple[int, ...]
    got: float
    expected: float
    x: float  # the input at that index
    ulp_error: float


@dataclass(frozen=True)
class Metrics:
    """What the metrics of one op measured on one output (conformance.measure defines
    each op's): the numbers a Result carries."""

    nan_count: int
    inf_count: int
    nan_on_finite_input: bool
    row_sum_error: float | None
    max_ulp_error: float | None
    max_cond_error: float | None
    sums_to_one_along: tuple[str, ...] | None
    nonfinite_rows: tuple[int, ...]
    zero_rows: tuple[int, ...]
    out_of_range: int | None
    row_ratio_spread: float | None  # within rows off in sum: max y_i e_j / (y_j e_i) - 1
    flushed: int | None  # outputs returned as 0 where the reference is below 16 * tiny
    max_cond_error_normal: float | None  # max_cond_error over the other elements
    shape_ok: bool
    dtype_ok: bool
    out_dtype: str
    worst: Worst | None


@dataclass(frozen=True, slots=True)  # a default run holds 51,000 of them: no __dict__ each
class Result:
    """One (adapter, case, op). Metrics are None where they could not be measured."""

    adapter: str
    case: str
    op: str
    status: str
    error: str | None = None
    nan_count: int | None = None
    inf_count: int | None = None
    nan_on_finite_input: bool | None = None
    row_sum_error: float | None = None  # in units of the expected dtype's epsilon
    max_ulp_error: float | None = None
    max_cond_error: float | None = None
    sums_to_one_along: tuple[str, ...] | None = None  # other axes (or "all") that sum to one
    nonfinite_rows: tuple[int, ...] = ()  # rows (as_rows order) with NaN/inf where defined
    zero_rows: tuple[int, ...] = ()  # rows whose outputs are all zero
    out_of_range: int | None = None  # outputs outside [0, 1] where the answer is defined
    row_ratio_spread: float | None = None  # see conformance.measure.softmax_metrics._ratio_spread
    flushed: int | None = None  # outputs returned as 0 where the reference is subnormal
    max_cond_error_normal: float | None = None  # max_cond_error over the other elements
    shape_ok: bool | None = None
    dtype_ok: bool | None = None
    out_dtype: str | None = None
    input_mutated: bool | None = None
    seconds: float | None = None
    warnings: tuple[str, ...] = ()
    stdout: str = ""
    worst: Worst | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} must be one of {STATUSES}")


@dataclass(frozen=True)
class Finding:
    """A known defect (adapters.base.DEFECTS) one result shows, and on which case."""

    defect: str
    case: str
    detail: str
    # another defect that explains this case equally well (resolved across an adapter's cases)
    alternative: str | None = None
    op: str = "softmax"


def _float(value: float) -> Any:
    # JSON has no inf or nan: they become the strings "inf", "-inf", "nan".
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}  # a record type's field names, looked up once


def to_jsonable(obj: Any) -> Any:
    """Records, tuples, NumPy scalars and non-finite floats to plain JSON values."""
    kind = type(obj)
    if kind is str or obj is None or kind is bool or kind is int:  # the common ones first
        return obj
    if kind is float:
        return _float(obj)
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS.setdefault(kind, tuple(f.name for f in dataclasses.fields(obj)))
    if names is not None:
        out: dict[str, Any] = {}
        for name in names:  # most fields are plain: no call for them
            value = getattr(obj, name)
            kind = type(value)
            out[name] = (value if kind is str or value is None or kind is bool or kind is int
                         else _float(value) if kind is float else to_jsonable(value))
        return out
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _float(float(obj))
    return obj


def _number(value: Any) -> Any:
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def result_from_json(data: dict[str, Any]) -> Result:
    """The inverse of to_jsonable for a Result (a resumed run reads its partial report)."""
    fields = {f.name for f in dataclasses.fields(Result)}
    d = {k: _number(v) for k, v in data.items() if k in fields}
    for key in ("sums_to_one_along", "nonfinite_rows", "zero_rows", "warnings"):
        if d.get(key) is not None:
            d[key] = tuple(d[key])
    if d.get("worst"):
        w = {k: _number(v) for k, v in d["worst"].items()}
        w["index"] = tuple(w["index"])
        d["worst"] = Worst(**w)
    return Result(**d)
