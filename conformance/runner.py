"""Runs every adapter on every case: results, agreement counts, conventions, timing.

The loop is case-major: the reference is computed once per case, every
adapter's output for that case is held only while the pairwise agreement is
counted, then dropped. An adapter that raises never stops the run.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from adapters.base import Adapter, Loaded, Unavailable
from cases.dtypes import result_dtype
from cases.model import Case
from conformance.bounds import agreement_tolerance
from conformance.conventions import classify
from conformance.metrics import softmax_metrics
from conformance.oracle import Oracle
from conformance.progress import Progress
from conformance.records import Result

__all__ = [
    "AdapterStatus",
    "Call",
    "RunOutcome",
    "call_adapter",
    "load_adapters",
    "result_of",
    "run",
]

MAX_STDOUT = 2000


@dataclass(frozen=True)
class AdapterStatus:
    adapter: Adapter
    loaded: Loaded | None
    reason: str | None
    versions: dict[str, str]
    import_seconds: float

    @property
    def available(self) -> bool:
        return self.loaded is not None


@dataclass
class RunOutcome:
    statuses: list[AdapterStatus]
    cases: list[Case]
    results: list[Result]
    agree: dict[tuple[str, str], int] = field(default_factory=dict)
    common: dict[tuple[str, str], int] = field(default_factory=dict)
    conventions: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)


def load_adapters(adapters: Sequence[Adapter]) -> list[AdapterStatus]:
    statuses = []
    for adapter in adapters:
        t0 = time.perf_counter()
        try:
            loaded, reason = adapter.load(), None
        except Unavailable as exc:
            loaded, reason = None, str(exc)
        statuses.append(
            AdapterStatus(adapter, loaded, reason, adapter.versions(), time.perf_counter() - t0)
        )
    return statuses


@dataclass(frozen=True)
class Call:
    """What one call produced: the output (None if it raised) and what came with it."""

    y: np.ndarray | None
    error: str | None
    seconds: float
    warnings: tuple[str, ...]
    stdout: str
    mutated: bool


def call_adapter(loaded: Loaded, op: str, case: Case) -> Call:
    """Call one op on a fresh copy of the case's input, capturing warnings and stdout."""
    x = case.input_copy()
    before = np.array(x, copy=True)
    captured = io.StringIO()
    y = error = None
    seconds = 0.0
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(captured):
        warnings.simplefilter("always")
        try:
            native = loaded.to_native(x)
            t0 = time.perf_counter()
            out = loaded.ops[op](native, case.axis)
            seconds = time.perf_counter() - t0
            y = loaded.to_numpy(out)
            if not isinstance(y, np.ndarray):
                error = f"returned {type(y).__name__}, expected numpy.ndarray"
                y = None
        except Exception as exc:  # an adapter that raises never stops the run
            error = f"{type(exc).__name__}: {exc}"
    mutated = not np.array_equal(before, x, equal_nan=True)
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return Call(y, error, seconds, messages, captured.getvalue()[:MAX_STDOUT], mutated)


def result_of(adapter: Adapter, case: Case, op: str, call: Call, ref: np.ndarray) -> Result:
    """The Result of one call: its metrics against the reference, or the error it raised."""
    common = dict(
        adapter=adapter.name,
        case=case.id,
        op=op,
        seconds=call.seconds,
        warnings=call.warnings,
        stdout=call.stdout,
        input_mutated=call.mutated,
    )
    if call.y is None:
        return Result(status="error", error=call.error, **common)
    m = softmax_metrics(case.x, call.y, ref, case.axis, result_dtype(case.dtype))
    return Result(status="ok", **common, **vars(m))


def _agrees(a: np.ndarray, b: np.ndarray, dtype: str) -> bool:
    rtol, atol = agreement_tolerance(dtype)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(b64)):
        return False
    with np.errstate(invalid="ignore"):
        close = (a64 == b64) | (np.abs(a64 - b64) <= rtol * np.maximum(np.abs(a64), np.abs(b64)))
        close |= np.maximum(np.abs(a64), np.abs(b64)) < atol
    return bool(np.all(close | np.isnan(a64)))


def run(
    adapters: Sequence[Adapter],
    cases: Sequence[Case],
    *,
    oracle: Oracle,
    op: str = "softmax",
    progress: Progress | None = None,
) -> RunOutcome:
    wall0 = time.perf_counter()
    statuses = load_adapters(adapters)
    imports = sum(s.import_seconds for s in statuses)
    outcome = RunOutcome(statuses=statuses, cases=list(cases), results=[])
    conventions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    agree: dict[tuple[str, str], int] = defaultdict(int)
    common: dict[tuple[str, str], int] = defaultdict(int)
    runnable = [s for s in statuses if s.available and op in s.adapter.ops]
    oracle_seconds = in_adapters = 0.0
    for case in cases:
        t0 = time.perf_counter()
        ref = oracle.softmax(case.id, case.x, case.axis)
        oracle_seconds += time.perf_counter() - t0
        outputs: dict[str, np.ndarray] = {}
        for status in runnable:
            adapter = status.adapter
            reason = adapter.capabilities.unsupported_reason(case.shape, case.axis, case.dtype)
            if reason is not None:
                outcome.results.append(
                    Result(
                        adapter=adapter.name,
                        case=case.id,
                        op=op,
                        status="unsupported",
                        error=reason,
                    )
                )
                for kind in classify(case.x, case.axis, case.all_tags, None):
                    conventions[adapter.name][kind].add("unsupported")
                continue
            assert status.loaded is not None
            call = call_adapter(status.loaded, op, case)
            in_adapters += call.seconds
            result = result_of(adapter, case, op, call, ref)
            outcome.results.append(result)
            for kind, label in classify(case.x, case.axis, case.all_tags, call.y).items():
                conventions[adapter.name][kind].add(label)
            if call.y is not None and result.shape_ok:
                outputs[adapter.name] = call.y
        names = sorted(outputs)
        dtype = result_dtype(case.dtype)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                common[a, b] += 1
                if _agrees(outputs[a], outputs[b], dtype):
                    agree[a, b] += 1
        if progress is not None:
            progress.advance(case.id)
    if progress is not None:
        progress.close()
    outcome.agree, outcome.common = dict(agree), dict(common)
    outcome.conventions = {a: dict(k) for a, k in conventions.items()}
    outcome.timing = {
        "wall": time.perf_counter() - wall0,
        "imports": imports,
        "in_adapters": in_adapters,
        "oracle": oracle_seconds,
    }
    return outcome
