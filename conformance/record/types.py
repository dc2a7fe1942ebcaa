"""report.json's parts as TypedDicts, field by field (report.schema.json checks the same
shape when a report is read back). Non-finite numbers are the strings "inf", "-inf", "nan"."""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "AdapterEntry",
    "CaseEntry",
    "Example",
    "Matrix",
    "OpStats",
    "Report",
    "ResultEntry",
    "Summary",
    "Violation",
]

Number = float | int | str  # str: "inf", "-inf" or "nan"


class Element(TypedDict):
    index: list[int]  # where in the output
    got: Number  # what came back
    expected: Number  # the correctly rounded value
    x: Number  # the input there
    ulp_error: Number


class AdapterEntry(TypedDict, total=False):
    name: str  # "adapter" or "adapter@environment"
    family: str  # reference, library, thread, external, plugin
    source: str  # where the implementation comes from
    ops: list[str]
    capabilities: dict[str, Any]  # dtypes, axis, ndims, accepts_int, devices
    expected: list[str] | str  # declared defects, or "conforming"
    expected_when: dict[str, str]  # defect -> the releases it holds for ("ml_dtypes<0.7")
    known_failures: dict[str, str]  # check or check[dtype] -> reason
    notes: str
    environment: str | None  # the named environment it ran in (None: this one)
    interpreter: dict[str, Any] | None
    available: bool
    reason: str | None  # why it is unavailable
    versions: dict[str, str]


class CaseEntry(TypedDict):
    id: str  # family/dtype/hash of the content: stable across runs
    family: str
    tags: list[str]
    dtype: str
    shape: list[int]
    axis: int
    origin: str  # catalog, generated, seed-golden
    note: str


class ResultEntry(TypedDict, total=False):
    adapter: str
    case: str
    op: str
    status: str  # ok, error, unsupported, crash, timeout
    error: str | None
    nan_count: int | None
    inf_count: int | None
    nan_on_finite_input: bool | None
    row_sum_error: Number | None  # in epsilons (the op's row check)
    max_ulp_error: Number | None
    max_cond_error: Number | None  # the condition-aware error the accuracy bound reads
    shape_ok: bool | None
    dtype_ok: bool | None
    out_dtype: str | None
    input_mutated: bool | None
    seconds: Number | None
    warnings: list[str]
    stdout: str
    worst: Element | None


class OpStats(TypedDict, total=False):
    cases: int
    worst_row_sum_error: Number | None
    worst_ulp_error: Number | None
    worst_cond_error: Number | None
    seconds: Number


class Example(TypedDict, total=False):
    case: str
    op: str
    defect: str
    detail: str
    element: Element | None
    reproducer: str  # lines of Python that rebuild the input and call the adapter


class Summary(TypedDict, total=False):
    adapter: str
    cases_run: int
    ok: int
    errors: int
    unsupported: int
    nan_on_finite_input: int
    input_mutated: int
    warnings: int
    per_dtype: dict[str, OpStats]  # softmax, by dtype
    per_op: dict[str, dict[str, OpStats]]  # the other ops, by dtype
    expected: list[str]  # the defects declared for the installed releases
    version_notes: list[str]
    detected: list[str]
    verdict: str  # conforming, defects as expected, unexpected defects, ...
    families_broken: dict[str, list[str]]  # defect -> case families it shows on
    worst_case: Example | None
    examples: list[Example]  # one per detected defect, on its smallest case


class Violation(TypedDict, total=False):
    adapter: str
    defect: str
    case: str
    detail: str
    alternative: str | None
    op: str


class Matrix(TypedDict, total=False):
    adapters: list[str]
    matrix: list[list[Number | None]]  # share of common cases on which a row and column agree
    common_cases: list[list[int | None]]
    basis: str


class Report(TypedDict, total=False):
    schema: str  # softmax-conformance/report/N
    generated: str
    config: dict[str, Any]
    environment: dict[str, Any]
    defect_definitions: dict[str, str]
    ops: dict[str, dict[str, Any]]  # each op's contract, traits and report notes
    dtype_order: list[str]
    convention_kinds: list[str]
    adapters: list[AdapterEntry]
    cases: list[CaseEntry]
    case_families: list[dict[str, Any]]
    results: list[ResultEntry]
    agreement: Matrix  # softmax
    agreement_by_op: dict[str, Matrix]
    conventions: dict[str, dict[str, str]]  # adapter -> kind -> behaviour
    summaries: list[Summary]
    violations: list[Violation]
    golden: list[dict[str, Any]]
    timing: dict[str, Any]
    interrupted: bool
    state: dict[str, Any]  # what `run --resume` needs
    counterexamples: list[dict[str, Any]]
