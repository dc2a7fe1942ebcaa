"""report.json's parts as TypedDicts, field by field (report.schema.json checks the same
shape when a report is read back). Non-finite numbers are the strings "inf", "-inf", "nan"."""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "AdapterEntry",
    "CaseEntry",
    "Example",
    "Figures",
    "Matrix",
    "OpStats",
    "Report",
    "ResultEntry",
    "Speed",
    "Summary",
    "Table",
    "Verdict",
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


class Table(TypedDict, total=False):
    """Records as rows (conformance.record.table): ``decode_table`` gives them back."""

    columns: list[str]
    categories: dict[str, list[Any]]  # column -> its distinct values; rows hold indices
    defaults: dict[str, Any]  # column -> the value of a row that stops before it
    booleans: list[str]  # columns whose 1 and 0 are True and False
    rows: list[list[Any]]


class ResultEntry(TypedDict, total=False):
    """One row of report.json's ``results`` table, decoded; ``worst``, ``nonfinite_rows``
    and ``zero_rows`` live in outputs.npz (conformance.record.results)."""

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
    seconds: Number | None  # three significant digits
    warnings: list[str]
    stdout: str


class OpStats(TypedDict, total=False):
    """One adapter's statistics on one op and dtype, over cases with a defined answer."""

    cases: int
    worst_row_sum_error: Number | None
    worst_ulp_error: Number | None
    worst_cond_error: Number | None
    bound: Number  # the default policy's accuracy bound for this op and dtype
    ratio: Number | None  # worst_cond_error / bound: 1 is the bound
    worst_case: str | None  # the case of worst_cond_error
    findings: dict[str, int]  # defect -> cases it shows on, in this op and dtype
    reason: str  # why the cell is what it is, in words
    seconds: Number


class Example(TypedDict, total=False):
    case: str
    op: str
    defect: str
    detail: str
    dtype: str  # the output dtype
    family: str
    expected: bool  # declared for this adapter
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
    per_op: dict[str, dict[str, OpStats]]  # op -> dtype -> statistics, every op alike
    expected: list[str]  # the defects declared for the installed releases
    version_notes: list[str]
    detected: list[str]
    verdict: str  # conforming, defects as expected, unexpected defects, ...
    plain: str  # the verdict in plain words: "conforms", "bfloat16 long-row inaccurate"
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


class Verdict(TypedDict, total=False):
    status: str  # pass: every adapter shows exactly its declared defects; fail otherwise
    text: str  # the verdict line
    counts: dict[str, int]  # summary verdict -> adapters


Series = dict[str, dict[str, dict[str, list[list[Number]]]]]  # op -> dtype -> adapter -> points


class Figures(TypedDict, total=False):
    """The charts' data (conformance.record.figures): error / bound per point."""

    adapters: list[str]  # the adapters charted
    long_row: int  # error_vs_length covers rows of at least this many elements
    error_vs_length: Series  # [row length, ratio]
    error_vs_magnitude: Series  # [decade of max |x|, ratio]
    by_family: dict[str, dict[str, dict[str, Number]]]  # op -> adapter -> family -> ratio


class Speed(TypedDict, total=False):
    """conformance bench's results in the report (conformance.record.speed)."""

    shapes: list[dict[str, Any]]  # label, shape, dtype, axis, bytes, copy seconds
    rows: list[dict[str, Any]]  # adapter, op, shape (label), seconds, ratio, peak_bytes ...
    by_adapter: dict[str, dict[str, Number]]  # adapter -> op -> geometric mean ratio
    copy: dict[str, Any]
    budget: Number
    environment: dict[str, Any]


class Report(TypedDict, total=False):
    schema: str  # softmax-conformance/report/2
    generated: str
    config: dict[str, Any]
    environment: dict[str, Any]
    verdict: Verdict
    defect_definitions: dict[str, str]
    cause_definitions: dict[str, str]  # cause code -> its meaning in one line
    terms: dict[str, str]  # the reports' words, defined
    ops: dict[str, dict[str, Any]]  # each op's contract, traits and report notes
    dtype_order: list[str]
    convention_kinds: list[str]
    adapters: list[AdapterEntry]
    cases: list[CaseEntry]
    case_families: list[dict[str, Any]]
    results: Table  # of ResultEntry
    agreement: dict[str, Matrix]  # op -> matrix
    conventions: dict[str, dict[str, str]]  # adapter -> kind -> behaviour
    summaries: list[Summary]
    choices: dict[str, dict[str, list[dict[str, Any]]]]  # op -> dtype -> conforming, best first
    figures: Figures
    speed: Speed
    violations: Table  # of Violation
    golden: list[dict[str, Any]]
    timing: dict[str, Any]
    interrupted: bool
    counterexamples: list[dict[str, Any]]
