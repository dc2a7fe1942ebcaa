"""Every declared defect is detected, no conforming adapter is flagged, and each
deliberately broken implementation is caught by the metric meant to catch it."""

from __future__ import annotations

import numpy as np
import pytest

from adapters import Adapter, Capabilities, all_adapters, select
from conformance.contract.defects import detect
from conformance.execute.runner import run


def _installed(adapter) -> bool:
    import importlib.metadata

    try:
        for dist in adapter.requires:
            importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# Adapters whose backend lives in an environment of its own (MXNet) are checked in
# tests/conformance/test_environments.py, in that environment.
# Every op of every adapter of the default run: the findings of all its ops together are its
# declared defects (the opt-in ones, default=False, are measured by hand: see their notes).
ADAPTER_NAMES = [a.name for a in select(None) if _installed(a)]


@pytest.fixture(scope="module")
def detected(full_run):
    findings = detect(full_run.cases, full_run.results)
    return {name: {f.defect for f in fs} for name, fs in findings.items()}




@pytest.mark.parametrize("name", ADAPTER_NAMES)
def test_declared_defects_are_exactly_the_detected_ones(name, full_run, detected):
    adapter = next(a for a in all_adapters() if a.name == name)
    status = next(s for s in full_run.statuses if s.adapter.name == name)
    assert status.available, f"{name} unavailable: {status.reason}"
    found = detected.get(name, set())
    expected = adapter.expected_defects(status.versions)
    declared = sorted(expected) or "conforming"
    assert found == set(expected), (
        f"{name}: detected {sorted(found) or 'nothing'}, declared {declared}"
    )


def _stable(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _naive(x, axis):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _wrong_axis(x, axis):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _inplace(x, axis):
    x -= np.max(x, axis=axis, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=axis, keepdims=True)
    return x


def _upcast(x, axis):
    return _stable(x.astype(np.float64), axis)


def _flatten(x, axis):
    return _stable(x, axis).ravel()


def _eps_denominator(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / (np.sum(e, axis=axis, keepdims=True) + 1e-3)


def _approx_exp(x, axis):
    d = x - np.max(x, axis=axis, keepdims=True)
    e = np.maximum(1 + d / 64, 0) ** 64  # (1 + d/n)^n: a cheap, inaccurate exp
    return e / np.sum(e, axis=axis, keepdims=True)


def _global_max(x, axis):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def _downcast(x, axis):
    """Correct, but computed and returned in float32 (JAX with x64 off does this)."""
    return _stable(x.astype(np.float32), axis)


def _downcast_naive(x, axis):
    with np.errstate(over="ignore", invalid="ignore"):
        return _naive(x.astype(np.float32), axis)


def _raises_on_3d(x, axis):
    if x.ndim > 2:
        raise RuntimeError("only 1-D and 2-D")
    return _stable(x, axis)


BROKEN = {
    "overflow": _naive,
    "wrong-axis": _wrong_axis,
    "mutates-input": _inplace,
    "dtype-changed": _upcast,
    "shape-changed": _flatten,
    "inaccurate": _eps_denominator,
    "global-max": _global_max,
    "raises": _raises_on_3d,
}


def _adapter(name, fn):
    return Adapter(
        name=f"broken.{name}",
        family="test",
        source="tests",
        factory=lambda: {"softmax": fn},
        capabilities=Capabilities(dtypes=frozenset({"float32", "float64"})),
    )


@pytest.fixture(scope="module")
def broken_run(oracle, core_cases):
    adapters = [_adapter(k, f) for k, f in BROKEN.items()]
    adapters += [_adapter("approx-exp", _approx_exp), _adapter("control", _stable),
                 _adapter("downcast", _downcast), _adapter("downcast-naive", _downcast_naive)]
    outcome = run(adapters, core_cases, oracle=oracle)
    findings = detect(outcome.cases, outcome.results)
    return {name: {f.defect for f in fs} for name, fs in findings.items()}


@pytest.mark.parametrize("defect", sorted(BROKEN))
def test_each_broken_implementation_is_caught(defect, broken_run):
    assert defect in broken_run.get(f"broken.{defect}", set())


def test_approximate_exp_is_inaccurate(broken_run):
    assert "inaccurate" in broken_run.get("broken.approx-exp", set())


def test_control_is_clean(broken_run):
    assert broken_run.get("broken.control", set()) == set()


def test_a_downcast_explains_the_numbers_of_the_cases_it_narrows(broken_run):
    # float64 input computed in float32: [1e300, 0] becomes [inf, 0], yet the cause is the
    # downcast, not overflow; the naive formula's own overflow and underflow on the float32
    # cases (temperature/float32, tiny/float32: NaN where the answer is finite) are still found
    assert broken_run.get("broken.downcast", set()) == {"dtype-changed"}
    assert broken_run.get("broken.downcast-naive", set()) == {"dtype-changed", "overflow",
                                                              "underflow"}


# -- the other ops: deliberately broken log_softmax, gradient and cross-entropy ------------


def _lse(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _log_softmax(x, axis):
    return x - _lse(x, axis)


def _log_of_softmax(x, axis):
    with np.errstate(divide="ignore"):
        return np.log(_stable(x, axis))


def _log_softmax_plus_eps(x, axis):
    return np.log(_stable(x, axis) + 1e-7).astype(x.dtype)


def _log_softmax_naive(x, axis):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def _vjp(x, g, axis):
    s = _stable(x, axis)
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def _vjp_diagonal(x, g, axis):
    s = _stable(x, axis)
    return s * (1 - s) * g


def _vjp_flushed(x, g, axis):
    dx = _vjp(x, g, axis)
    return np.where(np.abs(dx) < np.finfo(dx.dtype).tiny, np.zeros_like(dx), dx)


def _vjp_float16_s(x, g, axis):
    s = _stable(x, axis).astype(np.float16).astype(x.dtype)  # s kept in half precision
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def _loss(y, labels, axis):
    """-y[label] per row, as an array (0-d for a 1-D row: negating a 0-d array gives a
    NumPy scalar, which the harness refuses)."""
    return np.asarray(-np.take_along_axis(y, np.expand_dims(labels, axis), axis=axis)
                      .squeeze(axis))


def _cross_entropy(x, labels, axis):
    return _loss(_log_softmax(x, axis), labels, axis)


def _cross_entropy_composed(x, labels, axis):
    return _loss(_log_of_softmax(x, axis), labels, axis)


def _cross_entropy_naive(x, labels, axis):
    return _loss(_log_softmax_naive(x, axis), labels, axis)


BROKEN_OPS = {
    # op: {defect it must show: implementation}; "control" must show nothing
    "log_softmax": {"log-of-zero": _log_of_softmax, "inaccurate": _log_softmax_plus_eps,
                    "overflow": _log_softmax_naive, "control": _log_softmax},
    "softmax_vjp": {"diagonal-only-jacobian": _vjp_diagonal, "flush-to-zero": _vjp_flushed,
                    "inaccurate": _vjp_float16_s, "control": _vjp},
    "cross_entropy": {"log-of-zero": _cross_entropy_composed, "overflow": _cross_entropy_naive,
                      "control": _cross_entropy},
}


def _op_adapter(op, name, fn):
    return Adapter(name=f"broken.{op}.{name}", family="test", source="tests",
                   factory=lambda: {op: fn}, ops=(op,),
                   capabilities=Capabilities(dtypes=frozenset({"float32", "float64"})))


@pytest.fixture(scope="module")
def broken_ops_run(oracle, core_cases):
    found = {}
    for op, impls in BROKEN_OPS.items():
        adapters = [_op_adapter(op, name, fn) for name, fn in impls.items()]
        outcome = run(adapters, core_cases, oracle=oracle, ops=(op,))
        for name, fs in detect(outcome.cases, outcome.results).items():
            found[name] = {f.defect for f in fs}
    return found


@pytest.mark.parametrize(("op", "defect"), [(op, d) for op, impls in BROKEN_OPS.items()
                                            for d in impls if d != "control"])
def test_each_broken_op_implementation_is_caught(op, defect, broken_ops_run):
    assert defect in broken_ops_run.get(f"broken.{op}.{defect}", set()), broken_ops_run


@pytest.mark.parametrize("op", sorted(BROKEN_OPS))
def test_op_control_is_clean(op, broken_ops_run):
    assert broken_ops_run.get(f"broken.{op}.control", set()) == set()
