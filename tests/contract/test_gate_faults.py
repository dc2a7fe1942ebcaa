"""The gate survives the code it tests: every fault of the corpus is a FAIL of the check it
happened in, with its cause, and the JSON and JUnit files are written.

Call-time faults (tests/data/faults.py, ``big_*``) strike on inputs of 1000 elements or
more and answer right below; import-time faults are modules in tests/data/import_faults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from adapters.external import parse_impl
from cases import Case
from conformance.contract.gate import run_gate
from conformance.contract.reproducer import impl_reproducer
from conformance.execute.executors import Isolated
from conformance.measure.bounds import DEFAULT
from conformance.oracle import Oracle

DATA = Path(__file__).resolve().parents[1] / "data"
FAULTS = DATA / "faults.py"
ROOT = Path(__file__).resolve().parents[2]

SMALL = Case("2-D", np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], dtype=np.float32), axis=1)
BIG = Case("long-rows", np.linspace(-5, 5, 1200).astype(np.float32), axis=0)

# fault -> (cause code, words the message must hold)
CALL_FAULTS = {
    "big_segfaults": ("crash", "SIGSEGV"),
    "big_aborts": ("crash", "SIGABRT"),
    "big_os_exit_0": ("crash", "exited with status 0"),
    "big_sys_exit_0": ("crash", "sys.exit(0)"),
    "big_kills_itself": ("crash", "SIGKILL"),
    "big_kills_parent": ("crash", "killed the worker's parent"),
    "big_spins": ("timeout", "no answer within 2 s"),
    "big_forks_then_segfaults": ("crash", "SIGSEGV"),
}


def _gate(fault: str, checks: list[str], cases: list[Case], **kw):
    spec = parse_impl(f"{FAULTS}:{fault}")
    adapter = spec.adapter()
    executor = Isolated(timeout=2.0, memory_limit=2**31,
                        impls={adapter.name: (spec.text, "numpy", "softmax")})
    try:
        return run_gate(adapter, policy=DEFAULT, dtypes=["float32"],
                        oracle=Oracle(), cases=cases, checks=checks, executor=executor,
                        reproduce=lambda c: impl_reproducer(c, spec.import_lines(),
                                                            spec.call_lines(c.axis)), **kw)
    finally:
        executor.close()


@pytest.mark.parametrize("fault", sorted(CALL_FAULTS))
def test_a_call_that_does_not_return_fails_completes_on_its_case(fault):
    code, words = CALL_FAULTS[fault]
    gate = _gate(fault, ["completes", "accuracy"], [SMALL, BIG, SMALL])
    status = {o.check: o for o in gate.outcomes}
    assert status["accuracy"].status == "pass"  # the calls that returned were right
    done = status["completes"]
    assert done.status == "FAIL" and done.diagnosis is not None
    assert done.diagnosis.case.id == BIG.id  # the case in flight, not the next one
    assert done.diagnosis.failures == 1
    assert done.diagnosis.code == code, done.diagnosis.message
    assert words in done.diagnosis.message
    assert fault in done.reproducer


def test_memory_beyond_the_limit_is_a_raise_not_a_dead_gate():
    gate = _gate("big_allocates", ["completes", "accepts_input"], [SMALL, BIG])
    status = {o.check: o for o in gate.outcomes}
    assert status["completes"].status == "pass"
    assert status["accepts_input"].status == "FAIL"
    assert "MemoryError" in status["accepts_input"].diagnosis.message


def test_a_crash_inside_a_probe_check_fails_that_check():
    # the permutation probe's rows are 2 x 1000 elements: the only input that crashes
    gate = _gate("big_segfaults", ["completes", "permutation_equivariance"], [SMALL])
    status = {o.check: o for o in gate.outcomes}
    assert status["completes"].status == "pass"
    perm = status["permutation_equivariance"]
    assert perm.status == "FAIL" and perm.diagnosis.code == "crash"


def test_children_a_call_leaves_behind_are_ended(tmp_path, monkeypatch):
    log = tmp_path / "forks.log"
    monkeypatch.setenv("FORKS_LOG", str(log))
    gate = _gate("forks", ["completes", "accuracy"], [SMALL, SMALL])
    assert gate.conforms
    pids = [int(p) for p in log.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10  # SIGKILL is sent; the kernel ends them soon after
    while [p for p in pids if _alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if _alive(p)]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", "check", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


IMPORT_FAULTS = {"exits": "crash", "os_exits": "crash", "segfaults": "crash",
                 "kills_parent": "crash", "spins": "timeout"}


@pytest.mark.parametrize("module", sorted(IMPORT_FAULTS))
def test_an_import_that_ends_or_hangs_is_a_fail_with_files_written(module, tmp_path):
    out = _check("--impl", f"{DATA / 'import_faults' / module}.py:softmax", "--dtypes",
                 "float32", "--timeout", "3", "--json", "gate.json", "--junit", "gate.xml",
                 cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    report = json.loads((tmp_path / "gate.json").read_text())
    assert not report["conforms"]
    [loads] = report["outcomes"]
    assert loads["check"] == "loads" and loads["status"] == "FAIL"
    assert loads["diagnosis"]["code"] == IMPORT_FAULTS[module]
    assert "<failure" in (tmp_path / "gate.xml").read_text()
    assert "does NOT conform" in out.stdout
