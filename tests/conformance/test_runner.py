"""The runner survives what adapters do: raising, warning, printing, unsupported cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from adapters import Adapter, Capabilities
from adapters.registry import get
from cases import Case
from conformance.execute.runner import run
from conformance.measure.conventions import classify


def _adapter(name, fn, **caps):
    return Adapter(
        name=name,
        family="test",
        source="tests",
        factory=lambda: {"softmax": fn},
        capabilities=Capabilities(**caps),
    )


def _stable(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _noisy(x, axis):
    print("hello from the adapter")
    warnings.warn("careful", RuntimeWarning, stacklevel=1)
    return _stable(x, axis)


def _boom(x, axis):
    raise ZeroDivisionError("nope")


def _list(x, axis):
    return _stable(x, axis).tolist()


CASES = [
    Case("2-D", np.array([[1.0, 2.0], [3.0, 5.0]]), axis=1),
    Case("1-D", np.array([1.0, 2.0, 3.0]), axis=0),
]


def test_errors_warnings_stdout_and_unsupported_are_recorded(oracle, capsys):
    adapters = [
        _adapter("t.noisy", _noisy),
        _adapter("t.boom", _boom),
        _adapter("t.list", _list),
        _adapter("t.rows", _stable, axis="rows-2d", ndims=frozenset({2})),
        _adapter("t.ok", _stable),
    ]
    out = run(adapters, CASES, oracle=oracle)
    by = {(r.adapter, r.case): r for r in out.results}
    noisy = by["t.noisy", CASES[0].id]
    assert noisy.status == "ok" and noisy.stdout == "hello from the adapter\n"
    assert noisy.warnings == ("RuntimeWarning: careful",)
    assert capsys.readouterr().out == ""  # captured, not printed
    boom = by["t.boom", CASES[0].id]
    assert boom.status == "error" and boom.error == "ZeroDivisionError: nope"
    assert by["t.list", CASES[0].id].error == "returned list, expected numpy.ndarray"
    assert by["t.rows", CASES[1].id].status == "unsupported"
    assert "1-D input not accepted" in by["t.rows", CASES[1].id].error
    assert by["t.ok", CASES[1].id].max_ulp_error <= 1  # the run went on after the error
    assert out.common["softmax"]["t.noisy", "t.ok"] == 2
    assert out.agree["softmax"]["t.noisy", "t.ok"] == 2
    assert ("t.boom", "t.ok") not in out.common["softmax"]


def test_agreement_counts_disagreement(oracle):
    def off(x, axis):
        return _stable(x, axis) * 1.01

    out = run([_adapter("a.ok", _stable), _adapter("b.off", off)], CASES, oracle=oracle)
    assert out.common["softmax"]["a.ok", "b.off"] == 2
    assert out.agree.get("softmax", {}).get(("a.ok", "b.off"), 0) == 0


def test_conventions_name_the_behaviour():
    inf = np.inf
    masked = np.array([[-inf, -inf], [0.0, 1.0]])
    tags = ("all-neg-inf-row",)
    assert classify(masked, 1, tags, np.array([[np.nan, np.nan], [0.3, 0.7]])) == {
        "all-neg-inf-row": "nan"
    }
    assert classify(masked, 1, tags, np.array([[0.0, 0.0], [0.3, 0.7]])) == {
        "all-neg-inf-row": "zeros"
    }
    assert classify(masked, 1, tags, np.array([[0.5, 0.5], [0.3, 0.7]])) == {
        "all-neg-inf-row": "uniform"
    }
    pos = np.array([1.0, inf, 2.0])
    assert classify(pos, 0, ("pos-inf",), np.array([0.0, 1.0, 0.0])) == {"pos-inf": "one-hot"}
    nan = np.array([1.0, np.nan])
    assert classify(nan, 0, ("nan",), np.array([0.5, np.nan])) == {"nan": "nan-at-nan"}
    assert classify(np.zeros((0, 3)), 1, ("empty",), np.zeros((0, 3))) == {"empty": "empty"}
    assert classify(np.array([1, 2]), 0, ("int-input",), np.array([0.3, 0.7])) == {
        "int-input": "float64"
    }
    assert classify(np.array([1, 2]), 0, ("int-input",), None) == {"int-input": "error"}


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmax_vjp", "cross_entropy"])
def test_agreement_per_op(op):
    """Each op's agreement rule: relative for softmax, absolute in 1 + |y| for the log ops,
    in the row's largest |dx| for the gradient; empty outputs agree."""
    from conformance.measure.agreement import agrees
    from conformance.ops import get_op

    eps = float(np.finfo(np.float32).eps)
    near_zero = np.array([[-1e-30, -2.0], [1.0, -1.0]], dtype=np.float32)
    moved = near_zero + np.array([[4 * eps, 0], [0, 0]], dtype=np.float32)
    # a 4 eps absolute move of a value near 0: fine where the error is absolute
    assert agrees(near_zero, moved, "float32", get_op(op).agreement, 1) == (op != "softmax")
    far = near_zero + np.array([[0, 0], [0.5, 0]], dtype=np.float32)
    assert not agrees(near_zero, far, "float32", get_op(op).agreement, 1)
    empty = np.zeros((2, 0), dtype=np.float32)
    assert agrees(empty, empty, "float32", get_op(op).agreement, 1)


def test_a_case_for_some_adapters_runs_on_those_only(oracle):
    from dataclasses import replace

    adapters = [_adapter("a", _stable), _adapter("b", _stable), _adapter("c", _stable)]
    cases = [replace(CASES[0], only=("b",)), CASES[1]]
    outcome = run(adapters, cases, oracle=oracle)
    ran = {(r.adapter, r.case) for r in outcome.results}
    assert ran == {("b", cases[0].id)} | {(a, cases[1].id) for a in "abc"}
    assert outcome.common["softmax"]["a", "b"] == 1  # compared on the case both ran


@pytest.mark.parametrize("rule", ["relative", "absolute", "row-scale"])
def test_agreeing_pairs_matches_comparing_every_pair(rule):
    """Outputs with the same values are compared once; every pair's verdict is still what
    comparing the two gives, with NaN, infinities, -0.0 and other dtypes among them."""
    from conformance.measure.agreement import agreeing_pairs, agrees

    rng = np.random.default_rng(5)
    base = rng.random((3, 6))
    near = base * (1 + 1e-17)  # the same float64 values
    nan = base.copy()
    nan[1, 2] = np.nan
    inf = base.copy()
    inf[0, 0] = np.inf
    zeros = base.copy()
    zeros[2, 3] = 0.0
    signed = zeros.copy()
    signed[2, 3] = -0.0
    outputs = {"a": base, "b": near, "c": base * 1.5, "d": nan, "e": nan.copy(), "f": inf,
               "g": inf.copy(), "h": base.astype(np.float32), "i": zeros, "j": signed,
               "k": base.astype(np.float32).astype(np.float64)}
    got = agreeing_pairs(outputs, "float64", rule, 1)
    from conformance.measure.agreement import output_key

    keyed = {n: output_key(y) for n, y in outputs.items()}  # the runner's finer grouping
    assert agreeing_pairs(outputs, "float64", rule, 1, keyed) == got
    names = sorted(outputs)
    assert [(a, b) for a, b, _ in got] == [(a, b) for i, a in enumerate(names)
                                           for b in names[i + 1:]]
    for a, b, agreed in got:
        assert agreed == agrees(outputs[a], outputs[b], "float64", rule, 1), (a, b)
    verdicts = {(a, b): v for a, b, v in got}
    assert verdicts["d", "e"] and verdicts["f", "g"] and verdicts["h", "k"]
    assert not verdicts["a", "c"] and not verdicts["a", "d"]


def test_cases_start_while_workers_load_and_an_adapter_that_fails_is_left_out(oracle):
    """With process isolation the first cases go to each worker's queue before every worker
    has loaded; an adapter whose import fails has no result of any case, only its status."""
    from conformance.execute.executors import Isolated

    missing = Adapter(name="t.missing", family="test", source="tests",
                      factory=lambda: {"softmax": _stable}, requires=("no-such-dist-xyz",))
    executor = Isolated(timeout=60)
    order: list[str] = []
    load_all, call_all = executor.load_all, executor.call_all

    def spy_load_all(targets):
        wait = load_all(targets)

        def waited():
            got = wait()
            order.append("loaded")
            return got
        return waited

    def spy_call_all(calls):
        order.append("call")
        return call_all(calls)

    executor.load_all, executor.call_all = spy_load_all, spy_call_all
    try:
        out = run([get("numpy.reference"), missing], CASES, oracle=oracle, executor=executor)
    finally:
        executor.close()
    assert order[:3] == ["call", "call", "loaded"]
    assert {r.adapter for r in out.results} == {"numpy.reference"}
    assert out.completed == [c.id for c in CASES]
    status = {s.label: s for s in out.statuses}
    assert not status["t.missing"].available and status["numpy.reference"].available
    assert all(r.status == "ok" for r in out.results)


def test_an_output_is_measured_once_by_its_dtype_and_bits(oracle):
    """finish_case measures equal outputs once: the same metrics as measuring each, and an
    output with the same values in another dtype is measured on its own."""
    from adapters.calling import Call
    from conformance.execute.case_run import result_of
    from conformance.measure.records import to_jsonable
    from conformance.ops import get_op

    case = CASES[0]
    op = get_op("softmax")
    prepared = op.prepare(case)
    refs = op.references(oracle, prepared)
    y = _stable(case.x, case.axis)
    outputs = [y, np.asfortranarray(y), y.astype(np.float32), y * 1.01]
    calls = [Call(o, None, 0.0, (), "", False) for o in outputs]
    measured: dict = {}
    once = [result_of("a", prepared, c, refs, measured=measured) for c in calls]
    assert len(measured) == 3
    each = [result_of("a", prepared, c, refs) for c in calls]
    assert [to_jsonable(r) for r in once] == [to_jsonable(r) for r in each]
    assert once[2].out_dtype == "float32" and once[0].out_dtype == "float64"
