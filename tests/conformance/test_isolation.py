"""A run survives the implementations it tests: crashes, hangs, exits, memory, prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adapters import get
from adapters.external import parse_impl
from cases import Case
from conformance.execute.executors import Isolated
from conformance.execute.runner import run

FAULTS = Path(__file__).resolve().parents[1] / "data" / "faults.py"

CASES = [
    Case("2-D", np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]]), axis=1),
    Case("1-D", np.array([3.0, 1.0, 0.2]), axis=0),
    Case("huge", np.array([1000.0, 1000.0, 100.0]), axis=0),
]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    from conformance.oracle import Oracle

    specs = {name: parse_impl(f"{FAULTS}:{name}") for name in (
        "raises", "wrong_shape", "returns_list", "returns_nan", "mutates", "hangs",
        "segfaults", "allocates", "exits", "prints", "forks_then_segfaults")}
    adapters = [s.adapter() for s in specs.values()] + [get("numpy.reference")]
    executor = Isolated(timeout=3.0, memory_limit=2**31,
                        impls={s.text: (s.text, "numpy", "softmax") for s in specs.values()})
    try:
        yield run(adapters, CASES, oracle=Oracle(), executor=executor)
    finally:
        executor.close()


def _results(outcome, fault):
    name = f"{FAULTS}:{fault}" if fault != "numpy.reference" else fault
    return [r for r in outcome.results if r.adapter == name]


def test_every_fault_is_classified(outcome):
    first = {f: _results(outcome, f)[0] for f in (
        "raises", "wrong_shape", "returns_list", "returns_nan", "mutates", "hangs",
        "segfaults", "allocates", "exits", "prints")}
    assert first["raises"].status == "error" and "RuntimeError: boom" in first["raises"].error
    assert first["wrong_shape"].status == "ok" and first["wrong_shape"].shape_ok is False
    assert first["returns_list"].error == "returned list, expected numpy.ndarray"
    assert first["returns_nan"].nan_on_finite_input
    assert first["mutates"].input_mutated
    assert first["hangs"].status == "timeout" and "no answer within 3 s" in first["hangs"].error
    assert first["segfaults"].status == "crash" and "SIGSEGV" in first["segfaults"].error
    assert first["allocates"].status in ("error", "crash")
    assert "MemoryError" in first["allocates"].error or first["allocates"].status == "crash"
    assert first["exits"].status == "crash" and first["exits"].error == "called sys.exit(3)"
    assert first["prints"].status == "ok" and first["prints"].stdout == "python print\n"


def test_workers_restart_and_every_case_is_run(outcome):
    for fault in ("hangs", "segfaults", "forks_then_segfaults"):
        assert len(_results(outcome, fault)) == len(CASES)
        assert all(r.status in ("timeout", "crash") for r in _results(outcome, fault))


def test_no_result_of_another_adapter_is_lost(outcome):
    ref = _results(outcome, "numpy.reference")
    assert [r.case for r in ref] == [c.id for c in CASES]
    assert all(r.status == "ok" and r.max_ulp_error <= 1 for r in ref)
    assert outcome.timing["isolation_overhead"] >= 0


def test_a_child_holding_the_result_pipe_does_not_turn_crashes_into_timeouts(outcome):
    got = _results(outcome, "forks_then_segfaults")
    assert [r.status for r in got] == ["crash"] * len(CASES)
    assert all("SIGSEGV" in r.error for r in got)


def test_workers_let_idle_threads_sleep_unless_the_environment_says_otherwise(monkeypatch):
    """isolation.IDLE_THREADS_SLEEP: a worker's OpenMP threads do not spin between calls
    (they took CPU from the workers beside them); a user's own setting wins."""
    from conformance.oracle import Oracle

    spec = parse_impl(f"{FAULTS}:reads_wait_policy")
    cases = [Case("1-D", np.array([3.0, 1.0, 2.0]), axis=0)]
    for setting, status in ((None, "ok"), ("ACTIVE", "error")):
        if setting is None:
            monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
        else:
            monkeypatch.setenv("OMP_WAIT_POLICY", setting)
        executor = Isolated(impls={spec.text: (spec.text, "numpy", "softmax")})
        try:
            got = run([spec.adapter()], cases, oracle=Oracle(), executor=executor)
        finally:
            executor.close()
        assert [r.status for r in got.results] == [status], got.results


def test_a_worker_freezes_what_its_imports_made():
    """worker.py calls gc.freeze() after loading: a collection then skips the backends'
    module graphs (JAX's worker: 19 -> 15 s of CPU in run --quick)."""
    from conformance.oracle import Oracle

    spec = parse_impl(f"{FAULTS}:needs_frozen_imports")
    executor = Isolated(impls={spec.text: (spec.text, "numpy", "softmax")})
    try:
        got = run([spec.adapter()], [Case("1-D", np.array([3.0, 1.0]), axis=0)],
                  oracle=Oracle(), executor=executor)
    finally:
        executor.close()
    assert [r.status for r in got.results] == ["ok"], got.results


def test_a_worker_that_outgrows_its_caches_is_started_again():
    """execute.heap.Heap.RESTART: a worker still too large after trimming and dropping
    caches says so in its last reply to a case and is started again; nothing is lost."""
    from conformance.execute.heap import Heap
    from conformance.oracle import Oracle

    spec = parse_impl(f"{FAULTS}:keeps_memory")
    executor = Isolated(impls={spec.text: (spec.text, "numpy", "softmax")})
    cases = [Case("1-D", np.array([3.0, 1.0, float(i)]), axis=0) for i in range(8)]
    try:
        got = run([spec.adapter()], cases, oracle=Oracle(), executor=executor)
        restarts = executor.pool.restarts
    finally:
        executor.close()
    assert [r.status for r in got.results] == ["ok"] * len(cases)
    assert all(r.max_ulp_error is not None and r.max_ulp_error <= 2 for r in got.results)
    # 80 MB a case: past RESTART after the first ``per`` cases since its start
    per = Heap.RESTART // (80 * 2**20) + 1
    assert restarts == len(cases) // per, restarts
