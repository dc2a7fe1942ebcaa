"""The gate: it flags what it should, with the right cause, and passes what conforms."""

from __future__ import annotations

import os

import numpy as np
import pytest

from adapters import Adapter, Capabilities, all_adapters, get
from conformance.contract.diagnosis import CAUSES, INACCURATE_CAUSES
from conformance.contract.gate import run_gate
from conformance.contract.reproducer import reproducer
from conformance.measure.bounds import DEFAULT

FLOAT = ("float16", "bfloat16", "float32", "float64")


def _gate(adapter, oracle, dtypes=FLOAT, xfail=None, **kw):
    return run_gate(
        adapter,
        policy=kw.pop("policy", DEFAULT),
        dtypes=dtypes,
        oracle=oracle,
        xfail=xfail,
        reproduce=lambda c: reproducer(c, adapter.name),
        **kw,
    )


def _failed(gate):
    return {o.check for o in gate.outcomes if o.status == "FAIL"}


def _causes(gate):
    return {c for o in gate.outcomes if o.diagnosis for c, _ in o.diagnosis.causes}


THREADS = [(a.name, op) for a in all_adapters() if a.family == "thread" for op in a.ops]
# What a declared defect is called among the gate's causes: an inaccurate output is named
# by the mechanism that explains it, where one does.
CAUSE_OF = {"inaccurate": set(INACCURATE_CAUSES)}


@pytest.mark.parametrize(("name", "op"), THREADS)
def test_gate_flags_each_thread_variant_and_names_its_defects(name, op, oracle):
    adapter = get(name)
    gate = _gate(adapter, oracle, op=op)
    if adapter.expected_defects():
        assert not gate.conforms
    for defect in adapter.expected_defects():
        assert CAUSE_OF.get(defect, {defect}) & _causes(gate), (
            f"{name}: declared {defect}, the gate named {sorted(_causes(gate))}"
        )


# torch, TensorFlow, SciPy, scikit-learn and the project's own against the oracle within the
# default bounds in float32 and float64, every op: each library that conforms or whose
# defects are all declared as known failures of the gate (MXNet runs in its own environment).
# Adapters of the default run only (the opt-in ones are gated by hand), conforming with the
# releases installed here (expected_when may declare defects of others); those that ask for a
# process of their own (worker_env: Keras's backend, JAX's x64) through `conformance check`,
# each in a fresh process, as a user gates them.
LIBRARIES = [
    (a.name, op)
    for a in all_adapters()
    if a.family in ("library", "reference") and (not a.expected_defects() or a.known_failures)
    and not a.name.startswith("mxnet.") and a.default
    for op in a.ops
]


@pytest.mark.parametrize(("name", "op"), LIBRARIES)
def test_gate_passes_conforming_libraries_with_their_known_failures(name, op, oracle, tmp_path):
    adapter = get(name)
    if adapter.worker_env:
        _gate_in_a_process_of_its_own(adapter, op, tmp_path)
        return
    gate = _gate(adapter, oracle, dtypes=("float32", "float64"), xfail=adapter.known_failures,
                 op=op)
    failing = [f"{o.check}[{o.dtype}]: {o.diagnosis.message}" for o in gate.outcomes if o.failed]
    assert gate.conforms, failing
    # known failures of the 16-bit dtypes are not run here
    assert not [k for k in gate.unmatched_xfail if not k.endswith("16]")], gate.unmatched_xfail


def _gate_in_a_process_of_its_own(adapter, op, tmp_path):
    import json
    import subprocess
    import sys

    pytest.importorskip(adapter.requires[-1].removesuffix("-cpu"))
    out = subprocess.run(
        [sys.executable, "-m", "conformance", "check", "--adapter", adapter.name, "--op",
         op, "--dtypes", "float32", "float64", "--json", str(tmp_path / "gate.json"),
         "--cache-dir", str(tmp_path / "oracle")],
        capture_output=True, text=True, timeout=1200, env={**os.environ, **adapter.worker_env})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    gate = json.loads((tmp_path / "gate.json").read_text())
    assert not [k for k in gate["unmatched_xfail"] if not k.endswith("16]")]


def _stable(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _wrong_axis(x, axis):
    return _stable(x, -1)


def _upcast(x, axis):
    return _stable(x.astype(np.float64), axis)


def _inplace(x, axis):
    x -= np.max(x, axis=axis, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=axis, keepdims=True)
    return x


def _eps_denominator(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / (np.sum(e, axis=axis, keepdims=True) + np.finfo(np.float32).eps * 8)


def _approx_exp(x, axis):
    d = x - np.max(x, axis=axis, keepdims=True)
    e = np.maximum(1 + d / 256, 0) ** 256
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(x.dtype)


def _float16_accumulation(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    total = np.take(np.cumsum(e.astype(np.float16), axis=axis), [-1], axis=axis)
    return (e / total.astype(e.dtype)).astype(x.dtype)


def _empty_raises(x, axis):
    if x.size == 0:
        raise ValueError("empty")
    return _stable(x, axis)


def _ties_by_position(x, axis):
    pos = np.arange(x.shape[axis]).reshape([-1 if i == axis % x.ndim else 1 for i in range(x.ndim)])
    y = _stable(x, axis)
    return (y * (1 + pos * np.finfo(y.dtype).eps)).astype(y.dtype)


def _global_max(x, axis):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)


BROKEN = [
    # (implementation, dtypes, the check meant to catch it, the cause it should name)
    (_wrong_axis, ("float32",), "axis_honoured", "wrong-axis"),
    (_upcast, ("float32",), "dtype_preserved", "dtype-changed"),
    (_inplace, ("float64",), "input_unmodified", "mutates-input"),
    (_eps_denominator, ("float32",), "row_sums", "denominator-offset"),
    (_approx_exp, ("float32",), "accuracy", "inaccurate"),
    (_float16_accumulation, ("float16",), "accuracy", "low-precision-accumulation"),
    (_empty_raises, ("float64",), "empty_input", "empty_input"),
    (_ties_by_position, ("float64",), "ties_equal", "ties-by-position"),
    (_global_max, ("float64",), "finite_output", "global-max"),
]


@pytest.mark.parametrize(
    ("fn", "dtypes", "check", "cause"), BROKEN, ids=[b[0].__name__.strip("_") for b in BROKEN]
)
def test_each_broken_implementation_is_caught_by_its_check(fn, dtypes, check, cause, oracle):
    adapter = Adapter(
        name=f"broken.{fn.__name__}", family="test", source="tests", factory=lambda: {"softmax": fn}
    )
    gate = _gate(adapter, oracle, dtypes=dtypes)
    assert check in _failed(gate), sorted(_failed(gate))
    outcome = next(o for o in gate.outcomes if o.check == check and o.status == "FAIL")
    assert cause in {c for c, _ in outcome.diagnosis.causes}
    assert outcome.diagnosis.cause == CAUSES[cause][0] or len(outcome.diagnosis.causes) > 1


def test_control_implementation_conforms(oracle):
    adapter = Adapter(
        name="control",
        family="test",
        source="tests",
        factory=lambda: {
            "softmax": lambda x, axis: _stable(x, axis) if x.size else np.empty_like(x)
        },
    )
    gate = _gate(adapter, oracle, dtypes=("float32", "float64"))
    assert gate.conforms, [
        (o.check, o.dtype, o.diagnosis.message) for o in gate.outcomes if o.failed
    ]


def test_the_gate_sends_a_dtype_s_cases_to_the_implementation_in_few_requests(oracle):
    """One request per batch of cases, not one per case: each request is a round trip to
    the worker (issue 15's gate time)."""
    from conformance.execute.executors import InProcess

    class Counting(InProcess):
        requests = 0
        calls = 0

        def call_all(self, calls):
            Counting.requests += 1
            Counting.calls += len(calls)
            return super().call_all(calls)

    adapter = Adapter(name="control", family="test", source="tests",
                      factory=lambda: {"softmax": lambda x, axis: _stable(x, axis)
                                       if x.size else np.empty_like(x)})
    gate = _gate(adapter, oracle, dtypes=("float32", "float64"), executor=Counting())
    assert gate.conforms
    assert Counting.calls >= gate.calls - 10  # the few the op has no meaning for are not sent
    assert Counting.calls > 10 * Counting.requests, (Counting.calls, Counting.requests)


def test_xfail_and_strict_xfail(oracle):
    adapter = Adapter(
        name="empty",
        family="test",
        source="tests",
        factory=lambda: {"softmax": _empty_raises},
        capabilities=Capabilities(dtypes=frozenset({"float64"})),
    )
    xfail = {"empty_input": "known", "ties_equal": "not really", "no_such_check": "typo"}
    gate = _gate(adapter, oracle, dtypes=("float64",), xfail=xfail)
    status = {o.check: o.status for o in gate.outcomes if o.dtype == "float64"}
    assert status["empty_input"] == "xfail" and status["ties_equal"] == "pass"
    assert gate.conforms and gate.unmatched_xfail == ["no_such_check"]
    strict = _gate(adapter, oracle, dtypes=("float64",), xfail=xfail, strict_xfail=True)
    assert not strict.conforms
    assert {o.check for o in strict.outcomes if o.status == "XPASS"} == {"ties_equal"}


def test_policy_convention_is_enforced(oracle):
    from dataclasses import replace

    zeros = replace(DEFAULT, conventions={"all-neg-inf-row": "zeros"})
    gate = _gate(get("numpy.reference"), oracle, dtypes=("float64",), policy=zeros)
    failed = {o.check for o in gate.outcomes if o.status == "FAIL"}
    assert failed == {"convention_all-neg-inf-row"}
