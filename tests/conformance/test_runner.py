"""The runner survives what adapters do: raising, warning, printing, unsupported cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from adapters import Adapter, Capabilities
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
