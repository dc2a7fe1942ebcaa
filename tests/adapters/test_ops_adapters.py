"""The log_softmax, softmax_vjp and cross_entropy adapters (issue 5): what each declares,
that each runs as declared, that the conforming ones agree with a float64 computation and
with finite differences, and that each thread version shows its known defect."""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from adapters import reference
from adapters import scipy as scipy_adapters
from adapters import tensorflow as tensorflow_adapters
from adapters import torch as torch_adapters
from adapters.base import DEFECTS, Adapter, Loaded
from adapters.registry import all_adapters, get
from adapters.threads import ops_threads
from conformance.ops import OP_NAMES as OPS
from conformance.ops import get_op

SEEDS = Path(__file__).resolve().parents[2] / "adapters" / "threads" / "seeds"
NEW_OPS = ("log_softmax", "softmax_vjp", "cross_entropy")

REFERENCE = [get("numpy.reference"), get("numpy.jacobian_vjp")]
LIBRARIES = [a for m in (scipy_adapters, torch_adapters, tensorflow_adapters) for a in m.ADAPTERS
             if set(a.ops) & set(NEW_OPS)]
NEW = REFERENCE + LIBRARIES + ops_threads.ADAPTERS
PAIRS = [(a, op) for a in NEW for op in a.ops if op in NEW_OPS]
PAIR_IDS = [f"{a.name}-{op}" for a, op in PAIRS]

# Thread versions whose values are wrong on any input (their defect is shown below instead).
BROKEN = {"numpy.log_of_softmax_eps", "numpy.derivative_diag", "numpy.derivative_outer",
          "numpy.derivative_sympy"}
# Raises on every input (np.exp of a sympy.Matrix).
ALWAYS_RAISES = {"numpy.derivative_sympy"}

# The post's input (001): probabilities of 0 after the shift.
POST_INPUT = [-10000.0, -1020.0, 100.0, -70220.0]


@functools.cache
def _loaded(name: str) -> Loaded:
    return get(name).load()


def _call(adapter: Adapter, op: str, *arrays: np.ndarray, axis: int = -1) -> np.ndarray:
    """The op on copies of ``arrays``, converted as the runner converts them; prints dropped."""
    loaded = _loaded(adapter.name)
    native = [loaded.to_native(np.array(a, copy=True)) for a in arrays]
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        out = loaded.ops[op](*native, axis)
    y = loaded.to_numpy(out)
    assert isinstance(y, np.ndarray), (
        f"{adapter.name} {op}: returned {type(y).__name__}, expected numpy.ndarray")
    return y


# --- float64 NumPy computations of the ops (the contract of DESIGN.md's table) ---------

def _softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    x = x.astype(np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    x = x.astype(np.float64)
    d = x - np.max(x, axis=axis, keepdims=True)
    return d - np.log(np.sum(np.exp(d), axis=axis, keepdims=True))


def _vjp64(x: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    s = _softmax64(x, axis)
    g = g.astype(np.float64)
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def _cross_entropy64(x: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    picked = np.take_along_axis(_log_softmax64(x, axis), np.expand_dims(labels, axis), axis)
    return -np.squeeze(picked, axis=axis)


def _inputs(adapter: Adapter, op: str, dtype: type, seed: int = 0
            ) -> tuple[list[np.ndarray], int]:
    """Well-conditioned arrays for the op, 2-D rows if the adapter takes them, else 1-D."""
    rng = np.random.default_rng(seed)
    for shape, axis in (((3, 5), -1), ((5,), 0)):
        if adapter.capabilities.unsupported_reason(shape, axis, np.dtype(dtype).name) is None:
            break
    else:
        raise AssertionError(f"{adapter.name} accepts neither a (3, 5) nor a (5,) {dtype}")
    x: np.ndarray = (2 * rng.standard_normal(shape)).astype(dtype)
    if op == "softmax_vjp":
        return [x, rng.standard_normal(shape).astype(dtype)], axis
    if op == "cross_entropy":
        return [x, rng.integers(0, shape[axis], size=shape[:-1], dtype=np.int64)], axis
    return [x], axis


def _expected(op: str, arrays: list[np.ndarray], axis: int) -> np.ndarray:
    if op == "log_softmax":
        return _log_softmax64(arrays[0], axis)
    if op == "softmax_vjp":
        return _vjp64(arrays[0], arrays[1], axis)
    return _cross_entropy64(arrays[0], arrays[1], axis)


# --- declarations ----------------------------------------------------------------------

def test_every_new_adapter_is_registered_once() -> None:
    registered = {a.name: a for a in all_adapters()}
    missing = [a.name for a in NEW if registered.get(a.name) is not a]
    assert not missing, f"not in the registry (or another object under the name): {missing}"
    names = [a.name for a in NEW]
    assert len(names) == len(set(names)), f"repeated names in {names}"


@pytest.mark.parametrize("adapter", NEW, ids=lambda a: a.name)
def test_declares_ops_and_defects_from_the_vocabulary(adapter: Adapter) -> None:
    assert set(adapter.ops) <= set(OPS) and set(adapter.ops) & set(NEW_OPS), (
        f"{adapter.name} declares ops {adapter.ops}, expected some of {NEW_OPS}")
    unknown = set(adapter.expected) - set(DEFECTS)
    assert not unknown, f"{adapter.name} declares unknown defects {sorted(unknown)}"
    assert len(set(adapter.expected)) == len(adapter.expected), adapter.expected
    assert adapter.name.count(".") >= 1, f"{adapter.name} is not a dotted name"


@pytest.mark.parametrize("adapter", ops_threads.ADAPTERS, ids=lambda a: a.name)
def test_thread_source_names_its_seed_file(adapter: Adapter) -> None:
    assert adapter.family == "thread" and adapter.name.startswith("numpy.")
    seed = adapter.source.split()[0]
    assert (SEEDS / seed).is_file(), f"{adapter.name}: source {adapter.source!r} does not " \
        f"start with a seed file in {SEEDS}"


@pytest.mark.parametrize("adapter", [a for a, op in PAIRS if op == "cross_entropy"],
                         ids=lambda a: a.name)
def test_cross_entropy_source_says_per_row(adapter: Adapter) -> None:
    assert "per-row" in adapter.source or "reduction='none'" in adapter.source, (
        f"{adapter.name}: source {adapter.source!r} does not say the loss is per row")


# --- shape, dtype, values ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("adapter", "op"), PAIRS, ids=PAIR_IDS)
def test_shape_and_dtype(adapter: Adapter, op: str, dtype: type) -> None:
    arrays, axis = _inputs(adapter, op, dtype)
    if adapter.name in ALWAYS_RAISES:
        with pytest.raises(TypeError, match="exp"):
            _call(adapter, op, *arrays, axis=axis)
        return
    y = _call(adapter, op, *arrays, axis=axis)
    shape = arrays[1].shape if op == "cross_entropy" else arrays[0].shape
    assert y.shape == shape and y.dtype == np.dtype(dtype), (
        f"{adapter.name} {op} on {np.dtype(dtype)} {arrays[0].shape}: returned {y.dtype} "
        f"{y.shape}, expected {np.dtype(dtype)} {shape}")


# (rtol, atol) by dtype name
TOLERANCE = {"float32": (2e-6, 2e-6), "float64": (1e-13, 1e-14)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("adapter", "op"), [p for p in PAIRS if p[0].name not in BROKEN],
                         ids=[i for i, p in zip(PAIR_IDS, PAIRS, strict=True)
                              if p[0].name not in BROKEN])
def test_agrees_with_float64_on_well_conditioned_input(adapter: Adapter, op: str,
                                                       dtype: type) -> None:
    arrays, axis = _inputs(adapter, op, dtype, seed=1)
    want = _expected(op, arrays, axis)
    got = _call(adapter, op, *arrays, axis=axis).astype(np.float64)
    rtol, atol = TOLERANCE[np.dtype(dtype).name]
    err = np.max(np.abs(got - want) - rtol * np.abs(want))
    assert np.allclose(got, want, rtol=rtol, atol=atol), (
        f"{adapter.name} {op} on {np.dtype(dtype)} {arrays[0].shape}: off by up to "
        f"{err:.3g} beyond rtol {rtol}, atol {atol} of the float64 value")


@pytest.mark.parametrize("op", NEW_OPS)
def test_reference_rounds_once_in_float32(op: str) -> None:
    adapter = get("numpy.reference")
    arrays, axis = _inputs(adapter, op, np.float32, seed=2)
    want = _expected(op, arrays, axis)  # float64, far more precise than float32
    got = _call(adapter, op, *arrays, axis=axis)
    ulps = np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want).astype(np.float32))
    assert np.max(ulps) <= 0.51, f"numpy.reference {op} float32: {np.max(ulps):.3g} ulp off"


@pytest.mark.parametrize(("adapter", "op"), [p for p in PAIRS if p[0].name not in ALWAYS_RAISES],
                         ids=[i for i, p in zip(PAIR_IDS, PAIRS, strict=True)
                              if p[0].name not in ALWAYS_RAISES])
def test_mutates_the_input_only_when_declared(adapter: Adapter, op: str) -> None:
    arrays, axis = _inputs(adapter, op, np.float64, seed=3)
    loaded = _loaded(adapter.name)
    owned = [np.array(a, copy=True) for a in arrays]
    with contextlib.redirect_stdout(io.StringIO()):
        loaded.ops[op](*[loaded.to_native(a) for a in owned], axis)
    mutated = any(not np.array_equal(a, b) for a, b in zip(arrays, owned, strict=True))
    declared = "mutates-input" in adapter.expected
    assert mutated == declared, (
        f"{adapter.name} {op}: input {'changed' if mutated else 'unchanged'} by the call, "
        f"but mutates-input is {'declared' if declared else 'not declared'}")


@pytest.mark.parametrize("name", ["torch.cross_entropy", "tensorflow.nn.softmax_cross_entropy",
                                  "tensorflow.nn.sparse_softmax_cross_entropy",
                                  "numpy.reference"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_cross_entropy_along_any_declared_axis(name: str, axis: int) -> None:
    adapter = get(name)
    shape = (2, 3, 4)
    if adapter.capabilities.unsupported_reason(shape, axis, "float64") is not None:
        assert adapter.capabilities.axis == "last" and axis != 2
        return
    rng = np.random.default_rng(axis)
    x = 3 * rng.standard_normal(shape)
    labels = rng.integers(0, shape[axis], size=shape[:axis] + shape[axis + 1:])
    got = _call(adapter, "cross_entropy", x, labels, axis=axis)
    want = _cross_entropy64(x, labels, axis)
    assert got.shape == want.shape and np.allclose(got, want, rtol=1e-13, atol=1e-14), (
        f"{name} cross_entropy along axis {axis} of {shape}: {got} (shape {got.shape}), "
        f"expected {want}")


@pytest.mark.parametrize("name", ["torch.log_softmax", "tensorflow.nn.log_softmax",
                                  "scipy.special.log_softmax", "torch.autograd",
                                  "tensorflow.gradient_tape", "numpy.jacobian_vjp"])
def test_other_axes(name: str) -> None:
    adapter = get(name)
    op = adapter.ops[0]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4))
    for axis in (0, 1, -1):
        arrays = [x, rng.standard_normal(x.shape)] if op == "softmax_vjp" else [x]
        got = _call(adapter, op, *arrays, axis=axis)
        want = _expected(op, arrays, axis)
        assert np.allclose(got, want, rtol=1e-13, atol=1e-15), f"{name} {op} axis {axis}"


# --- gradients against central finite differences (float64, random inputs) --------------

def _finite_difference_vjp(x: np.ndarray, g: np.ndarray, axis: int, h: float = 1e-5
                           ) -> np.ndarray:
    """d/dx_i of sum(g * softmax(x)), by central differences in float64."""
    out = np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        out[i] = (np.sum(g * _softmax64(up, axis)) - np.sum(g * _softmax64(down, axis))) / (2 * h)
    return out


@pytest.mark.parametrize("name", ["torch.autograd", "tensorflow.gradient_tape",
                                  "numpy.reference", "numpy.jacobian_vjp"])
@pytest.mark.parametrize(("shape", "axis"), [((7,), 0), ((4, 6), -1), ((4, 6), 0)])
def test_gradient_matches_finite_differences(name: str, shape: tuple[int, ...],
                                             axis: int) -> None:
    rng = np.random.default_rng(sum(shape) + axis)
    x = 2 * rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    got = _call(get(name), "softmax_vjp", x, g, axis=axis)
    fd = _finite_difference_vjp(x, g, axis)
    assert np.allclose(got, fd, rtol=1e-7, atol=1e-9), (
        f"{name} softmax_vjp {shape} axis {axis}: off the finite difference by "
        f"{np.max(np.abs(got - fd)):.3g}")
    assert np.allclose(np.sum(got, axis=axis), 0.0, atol=1e-14), (
        f"{name}: the gradient's rows sum to {np.sum(got, axis=axis)}, expected 0")
    # the oracle agrees with the finite differences, and the backend with the oracle
    # within the default bound, measured as the run measures it
    from conformance.measure.bounds import DEFAULT
    from conformance.measure.op_metrics import vjp_metrics
    from conformance.oracle import reference_softmax_vjp, softmax_vjp_scale

    ref = reference_softmax_vjp(x, g, axis)
    assert np.allclose(ref, fd, rtol=1e-7, atol=1e-9)
    m = vjp_metrics(x, got, ref, softmax_vjp_scale(x, g, axis), axis, "float64")
    bound = DEFAULT.accuracy_bound("float64", get_op("softmax_vjp").accuracy_factor)
    assert m.max_cond_error <= bound, (
        f"{name}: {m.max_cond_error:.3g} eps of the scale from the oracle")


# --- the thread versions' known defects ----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_log_of_softmax_is_minus_inf_at_tiny_probabilities(dtype: type) -> None:
    x: np.ndarray = np.array(POST_INPUT, dtype=dtype)
    got = _call(get("numpy.log_of_softmax"), "log_softmax", x)
    exact = _log_softmax64(x, -1)
    assert np.all(np.isfinite(exact))
    assert np.isneginf(got[[0, 1, 3]]).all() and got[2] == 0, (
        f"np.log(softmax({POST_INPUT})): {got}, expected -inf where the probability "
        f"underflowed (the exact values are {exact})")


def test_log_of_softmax_eps_is_biased() -> None:
    eps_version = get("numpy.log_of_softmax_eps")
    tiny = _call(eps_version, "log_softmax", np.array(POST_INPUT))
    exact = _log_softmax64(np.array(POST_INPUT), -1)
    assert np.allclose(tiny[[0, 1, 3]], np.log(1e-7)), (
        f"np.log(softmax(x) + 1e-7) at tiny probabilities: {tiny}, expected the clamp "
        f"log(1e-7) = {np.log(1e-7):.6g} (the exact values are {exact})")
    near_one = np.array([0.0, -30.0])
    got = _call(eps_version, "log_softmax", near_one)
    exact = _log_softmax64(near_one, -1)
    assert got[0] > 0 and abs(got[0] - exact[0]) > 9e-8, (
        f"np.log(softmax([0, -30]) + 1e-7)[0] = {got[0]!r}, expected a value biased by about "
        f"+1e-7 above the exact {exact[0]!r} (and above 0)")


def test_naive_log_softmax_overflows_and_underflows() -> None:
    naive = get("numpy.log_softmax_naive")
    for x in (np.array([1000.0, 999.0]), np.array([-1000.0, -1001.0])):
        got = _call(naive, "log_softmax", x)
        assert not np.isfinite(got).any(), (
            f"x - log(sum(exp(x))) on {x}: {got}, expected non-finite values "
            f"(the exact values are {_log_softmax64(x, -1)})")


def test_logsumexp_log_softmax_on_bfloat16_does_what_is_declared_for_this_release() -> None:
    # float64 out before ml_dtypes 0.7, TypeError from 0.7 on (expected_when)
    adapter = get("numpy.log_softmax_logsumexp")
    x = np.array([[1.0, 2.0, 3.0]], dtype=ml_dtypes.bfloat16)
    if "raises" in adapter.expected_defects():
        with pytest.raises(TypeError):
            _call(adapter, "log_softmax", x)
        return
    got = _call(adapter, "log_softmax", x)
    assert "dtype-changed" in adapter.expected_defects()
    assert got.dtype == np.float64, f"bfloat16 input: returned {got.dtype}, declared float64"


@pytest.mark.parametrize(("logits", "label", "exact"), [
    ([[0.0, -1000.0]], 1, 1000.0),
    ([[1e8, 2e8, 3e8]], 0, 2e8),  # the logits x 1e8 case
])
def test_composed_cross_entropy_is_inf_where_the_loss_is_finite(logits, label, exact) -> None:
    x = np.array(logits)
    got = _call(get("numpy.cross_entropy_composed"), "cross_entropy", x, np.array([label]))
    want = _cross_entropy64(x, np.array([label]), -1)
    assert want[0] == pytest.approx(exact)
    assert np.isposinf(got[0]), f"-log(softmax({logits}))[{label}] = {got}, expected inf"


def test_log_of_softmax_eps_changes_bfloat16_as_declared_for_this_release() -> None:
    # float32 out before ml_dtypes 0.7, bfloat16 from 0.7 on (expected_when)
    adapter = get("numpy.log_of_softmax_eps")
    x = np.array([1.0, 2.0, 3.0], dtype=ml_dtypes.bfloat16)
    got = _call(adapter, "log_softmax", x)
    want = np.float32 if "dtype-changed" in adapter.expected_defects() else ml_dtypes.bfloat16
    assert got.dtype == want, f"bfloat16 input: returned {got.dtype}, declared {want}"


def test_logsumexp_log_softmax_rounds_at_the_ulp_of_x() -> None:
    x = np.array([1e4, 1e4 - 1], dtype=np.float32)
    got = _call(get("numpy.log_softmax_logsumexp"), "log_softmax", x).astype(np.float64)
    exact = _log_softmax64(x, -1)
    ulps = np.abs(got - exact) / np.spacing(np.abs(exact).astype(np.float32))
    assert np.max(ulps) > 100, (
        f"x - logsumexp(x) on {x}: {got}, within {np.max(ulps):.3g} ulp of {exact}: "
        "the rounding at ulp(1e4) is not shown")


@pytest.mark.parametrize("name", ["numpy.derivative_diag", "numpy.derivative_outer"])
def test_unshifted_derivatives_are_nan_when_every_exp_underflows(name: str) -> None:
    got = _call(get(name), "softmax_vjp", np.array([-1000.0, -1001.0]), np.array([1.0, -1.0]),
                axis=0)
    assert np.isnan(got).all(), f"{name} on [-1000, -1001]: {got}, expected 0/0 = nan"


@pytest.mark.parametrize("name", ["numpy.derivative_diag", "numpy.derivative_outer"])
def test_unshifted_derivatives_are_zero_when_the_sum_overflows(name: str) -> None:
    x = np.array([11.086, 10.086, 9.086, 0.0], dtype=np.float16)  # each exp < 65504, not the sum
    g = np.array([1.0, -1.0, 0.5, 0.25], dtype=np.float16)
    got = _call(get(name), "softmax_vjp", x, g, axis=0)
    exact = _vjp64(x, g, 0)
    assert np.all(got == 0) and np.all(exact[:3] != 0), (
        f"{name} on float16 {x}: {got}, expected zeros (s = exp / inf); exact {exact}")


# --- the libraries' declared defects, and the reference that avoids them ---------------

ROW_MAX = np.array([0.0, -50.0])  # y of the max: -log1p(exp(-50)) = -1.93e-22
LIBRARY_LOG = ["scipy.special.log_softmax", "torch.log_softmax", "tensorflow.nn.log_softmax"]
LIBRARY_CE = ["torch.cross_entropy", "tensorflow.nn.softmax_cross_entropy",
              "tensorflow.nn.sparse_softmax_cross_entropy"]


def test_reference_keeps_the_row_max_to_the_ulp() -> None:
    # log(sum) rounds 1 + 1.9e-22 to 1 in any type; the reference takes log1p(others).
    exact = np.log1p(np.exp(-50.0))
    ref = get("numpy.reference")
    y = _call(ref, "log_softmax", ROW_MAX)[0]
    loss = _call(ref, "cross_entropy", ROW_MAX, np.array(0), axis=0)
    assert abs(y + exact) <= np.spacing(exact) and abs(loss - exact) <= np.spacing(exact), (
        f"numpy.reference at [0, -50]: log_softmax {y!r}, loss of label 0 {loss!r}; "
        f"exact {-exact!r} and {exact!r}")


@pytest.mark.parametrize(("name", "op"), [(n, "log_softmax") for n in LIBRARY_LOG]
                         + [(n, "cross_entropy") for n in LIBRARY_CE])
def test_libraries_hold_the_row_max_to_an_absolute_epsilon(name: str, op: str) -> None:
    # They compute log(sum): y of the row max, -1.9e-22, comes back as 0 (an error of
    # 1.9e-22, well within eps * (1 + |x| ...), the absolute bound the run applies).
    exact = np.log1p(np.exp(-50.0))
    args = [ROW_MAX] if op == "log_softmax" else [ROW_MAX, np.array(0)]
    got = float(np.ravel(_call(get(name), op, *args, axis=0))[0])
    want = -exact if op == "log_softmax" else exact
    assert abs(got - want) <= np.finfo(np.float64).eps, f"{name} {op} at [0, -50]: {got!r}"


@pytest.mark.parametrize("name", ["tensorflow.gradient_tape", "torch.autograd",
                                  "numpy.reference"])
def test_gradient_tape_flushes_a_subnormal_gradient(name: str) -> None:
    x = np.array([0.0, -100.0], dtype=np.float32)
    g = np.array([1.0, 0.0], dtype=np.float32)
    s1 = np.exp(-100.0) / (1 + np.exp(-100.0))
    exact = np.array([s1 * (1 - s1), -s1 * (1 - s1)])  # +-3.7e-44, float32 subnormals
    got = _call(get(name), "softmax_vjp", x, g).astype(np.float64)
    subnormal_ulp = float(np.finfo(np.float32).smallest_subnormal)
    flushed = bool(got[1] == 0)
    assert flushed == ("flush-to-zero" in get(name).expected), (
        f"{name} softmax_vjp([0, -100], g=[1, 0]) = {got}, exact {exact}")
    if not flushed:
        assert abs(got[1] - exact[1]) <= subnormal_ulp, f"{name}: {got}, exact {exact}"


def test_reference_vjp_keeps_the_dominant_element() -> None:
    # dx_0 = s_0 (g_0 - sum(g s)) with s_0 = 1 - 3.7e-44: g_0 - sum(g s) cancels to 0 in
    # any working type; the reference evaluates it as sum_{j != 0} s_j (g_0 - g_j).
    x = np.array([0.0, -100.0], dtype=np.float32)
    g = np.array([1.0, 0.0], dtype=np.float32)
    s1 = np.exp(-100.0) / (1 + np.exp(-100.0))
    got = _call(get("numpy.reference"), "softmax_vjp", x, g).astype(np.float64)
    want = (1 - s1) * s1
    assert abs(got[0] - want) <= float(np.finfo(np.float32).smallest_subnormal), (
        f"numpy.reference softmax_vjp([0, -100], g=[1, 0])[0] = {got[0]!r}, exact {want!r}")


def test_one_hot_cross_entropy_is_nan_on_a_masked_logit() -> None:
    x = np.array([1.0, 2.0, -np.inf])
    want = _cross_entropy64(x, np.array(0), 0)
    for name in ("tensorflow.nn.softmax_cross_entropy", "torch.cross_entropy",
                 "tensorflow.nn.sparse_softmax_cross_entropy", "numpy.reference"):
        got = _call(get(name), "cross_entropy", x, np.array(0), axis=0)
        nan = bool(np.isnan(got))
        assert nan == ("nan-output" in get(name).expected), (
            f"{name} cross_entropy([1, 2, -inf], label 0) = {got!r}, exact {want!r}")
        if not nan:
            assert got == pytest.approx(want, rel=1e-14)


def _vector_case(seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(6)
    g = rng.standard_normal(6)
    return x, g, _softmax64(x, 0)


def test_diagonal_derivative_misses_the_off_diagonal_terms() -> None:
    x, g, s = _vector_case()
    got = _call(get("numpy.derivative_diag"), "softmax_vjp", x, g, axis=0)
    true = _vjp64(x, g, 0)
    assert np.allclose(got, s * (1 - s) * g, rtol=1e-12), "not s * (1-s) * g"
    # the difference is exactly the off-diagonal part: -s_i * sum_{j != i} s_j g_j
    off = -s * (np.sum(s * g) - s * g)
    assert np.allclose(true - got, off, rtol=1e-10, atol=1e-15)
    assert np.max(np.abs(got - true)) > 1e-2 * np.max(np.abs(true)), (
        f"s*(1-s)*g = {got} is within 1% of the true VJP {true}: the defect is not shown")


def test_outer_derivative_is_not_the_jacobian() -> None:
    x, g, s = _vector_case()
    got = _call(get("numpy.derivative_outer"), "softmax_vjp", x, g, axis=0)
    true = _vjp64(x, g, 0)
    # s*(1-s) (shape (n,)) broadcasts along the rows of np.outer(s, s) (shape (n, n)):
    # J[i, j] = s_j (1 - s_j) + s_i s_j, so J^T g = s (1-s) sum(g) + s (s . g).
    assert np.allclose(got, s * (1 - s) * np.sum(g) + s * np.sum(s * g), rtol=1e-12)
    assert np.max(np.abs(got - true)) > 1e-2 * np.max(np.abs(true)), (
        f"the outer-product version {got} is within 1% of the true VJP {true}")
    jac = ops_threads._derivative_outer(x)
    assert not np.allclose(jac, np.diag(s * (1 - s)) + np.outer(s, s)), (
        "the article's s*(1-s) + np.outer(s, s) equals diag(s(1-s)) + s s^T")


def test_sympy_route_raises_at_np_exp_and_refuses_long_rows() -> None:
    sympy_route = get("numpy.derivative_sympy")
    with pytest.raises(TypeError, match="exp"):
        _call(sympy_route, "softmax_vjp", np.array([1.0, 2.0, 3.0]), np.ones(3), axis=0)
    n = ops_threads.SYMPY_MAX_N + 1
    with pytest.raises(ValueError, match="refuses"):
        _call(sympy_route, "softmax_vjp", np.zeros(n), np.ones(n), axis=0)


def test_jacobian_sizes_are_limited_before_allocating() -> None:
    n = reference.JACOBIAN_MAX_N + 1
    with pytest.raises(ValueError, match="limit"):
        _call(get("numpy.jacobian_vjp"), "softmax_vjp", np.zeros(n), np.ones(n), axis=0)
    n = 20_000  # n^2 float64 is 3.2 GB
    with pytest.raises(MemoryError, match="refuses"):
        _call(get("numpy.derivative_outer"), "softmax_vjp", np.zeros(n), np.ones(n), axis=0)


@pytest.mark.parametrize("adapter", [a for a, op in PAIRS if op == "cross_entropy"],
                         ids=lambda a: a.name)
def test_cross_entropy_of_one_row_is_a_0d_array(adapter: Adapter) -> None:
    x = np.array([1.0, 2.0, 3.0])
    got = _call(adapter, "cross_entropy", x, np.array(0), axis=0)
    assert got.shape == () and got == pytest.approx(_cross_entropy64(x, np.array(0), 0)), (
        f"{adapter.name} on the 1-D row [1, 2, 3], label 0: {got!r}")


def test_framework_conversions_take_integer_labels() -> None:
    labels = np.array([[0, 2], [1, 1]], dtype=np.int64)
    for name in ("torch.cross_entropy", "tensorflow.nn.sparse_softmax_cross_entropy"):
        loaded = _loaded(name)
        back = np.asarray(loaded.to_numpy(loaded.to_native(labels)))
        assert back.dtype == np.int64 and np.array_equal(back, labels), (
            f"{name}: int64 labels came back as {back.dtype} {back}")


def test_onnxruntime_sessions_do_not_spin_while_idle():
    """Their thread pools sleep between runs: spinning took CPU from the other workers."""
    pytest.importorskip("onnxruntime")
    from adapters.onnxruntime import session_cache

    options = session_cache("CPUExecutionProvider")("Softmax", 13, "float32", 2, 1) \
        .get_session_options()
    for pool in ("intra_op", "inter_op"):
        assert options.get_session_config_entry(f"session.{pool}.allow_spinning") == "0"
