"""What the backends rely on: a worker with its own environment, devices, compiling outside
the timer, a documented output dtype, ONNX's coerce-2d axis, opt-in adapters."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from adapters import Adapter, Capabilities, Unavailable, get, select
from adapters.base import Loaded
from adapters.calling import call_op
from adapters.external import parse_impl
from adapters.registry import split_label
from cases import Case
from conformance.execute.case_run import result_of
from conformance.execute.executors import InProcess, Isolated, Target
from conformance.execute.isolation import worker_key
from conformance.ops import get_op

ROOT = Path(__file__).resolve().parents[2]
FAULTS = ROOT / "tests" / "data" / "faults.py"


def _stable(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _adapter(**kw):
    return Adapter(name="t.softmax", family="test", source="tests",
                   factory=lambda: {"softmax": _stable}, **kw)


def test_a_family_shares_a_worker_unless_its_environments_clash():
    spec = parse_impl(f"{FAULTS}:reads_environment")
    plain = spec.adapter()
    first = replace(plain, name="first", worker_env={"SC_PROBE": "1"})
    clash = replace(plain, name="clash", worker_env={"SC_PROBE": "2"})
    assert worker_key(first) == worker_key(clash) == worker_key(plain) == "numpy"
    assert worker_key(plain, "old") == "numpy@old"
    impl = (spec.text, "numpy", "softmax")
    executor = Isolated(impls={"first": impl, "clash": impl, spec.text: impl})
    case = Case("1-D", np.ones(3), 0)
    try:
        got = {a.name: executor.load(Target(a)) for a in (first, plain, clash)}
        assert all(s.available for s in got.values()), [s.reason for s in got.values()]
        assert executor.keys["first"] == executor.keys[plain.name] == "numpy"
        assert executor.keys["clash"] == "numpy[SC_PROBE=2]"
        calls = {n: executor.call(s, get_op("softmax").prepare(case)) for n, s in got.items()}
    finally:
        executor.close()
    assert float(calls["first"].y[0]) == 1.0 and float(calls["clash"].y[0]) == 2.0


def test_the_worker_starts_with_the_adapters_environment():
    spec = parse_impl(f"{FAULTS}:reads_environment")
    adapter = replace(spec.adapter(), worker_env={"SC_PROBE": "42"})
    executor = Isolated(impls={spec.text: (spec.text, "numpy", "softmax")})
    try:
        status = executor.load(Target(adapter))
        assert status.available, status.reason
        call = executor.call(status, get_op("softmax").prepare(Case("1-D", np.ones(3), 0)))
    finally:
        executor.close()
    assert call.y is not None and np.all(call.y == 42.0)


def test_keras_in_process_names_why_a_second_backend_cannot_load():
    pytest.importorskip("keras")
    pytest.importorskip("torch")
    code = ("from adapters import get, Unavailable\n"
            "get('keras.torch.softmax').load()\n"
            "try:\n    get('keras.tensorflow.softmax').load()\n"
            "except Unavailable as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert "imported in this process on the torch backend" in out.stdout, out.stderr[-2000:]
    assert "--isolation process" in out.stdout


@pytest.mark.parametrize(("adapter", "backend", "needs"), [
    ("keras.torch.softmax", "torch", "torch"),
    ("keras.tensorflow.softmax", "tensorflow", "tensorflow"),
    ("tensorflow.nn", "tensorflow", "tensorflow"),  # `import tensorflow` imports Keras
])
def test_keras_is_imported_without_its_optional_jax_and_sklearn(adapter, backend, needs):
    """adapters.base.KERAS_OPTIONAL_IMPORTS: not loaded into torch's or TensorFlow's worker
    by Keras (171 MB in torch's), importable afterwards, and the softmax works."""
    for name in ("keras", needs, "jax", "sklearn"):
        pytest.importorskip(name)
    code = ("import sys, numpy as np\n"
            "from adapters import get\n"
            f"loaded = get({adapter!r}).load()\n"
            "print(sorted(m for m in ('jax', 'sklearn') if sys.modules.get(m)))\n"
            "x = loaded.to_native(np.array([0.0, np.log(3.0)]))\n"
            "print(loaded.to_numpy(loaded.ops['softmax'](x, -1)).round(6).tolist())\n"
            "import jax, sklearn\n"
            "print('importable')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "KERAS_BACKEND": backend})
    assert out.stdout.splitlines() == ["[]", "[0.25, 0.75]", "importable"], out.stderr[-2000:]


def test_device_in_the_column_name_and_absent_devices_are_unavailable():
    numpy_only = _adapter()
    assert Target(numpy_only, None, "cuda:1").name == "t.softmax@cuda:1"
    assert Target(numpy_only, "old", "cpu").name == "t.softmax@cpu@old"
    status = InProcess().load(Target(numpy_only, None, "cuda"))
    assert not status.available and status.reason == "runs on cpu only, not cuda"
    with pytest.raises(Unavailable, match="expected a name like cpu"):
        numpy_only.load(device="CUDA!")


def test_devices_reach_the_factory():
    seen = []

    def factory(device="cpu"):
        seen.append(device)
        return {"softmax": _stable}

    adapter = Adapter(name="t.dev", family="test", source="tests", factory=factory,
                      capabilities=Capabilities(devices=("cpu", "cuda")))
    adapter.load(device="cuda:1")
    adapter.load()
    assert seen == ["cuda:1", "cpu"]


def test_torch_on_cpu_and_an_absent_cuda():
    pytest.importorskip("torch")
    loaded = get("torch.softmax").load(device="cpu")
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(loaded.to_numpy(loaded.ops["softmax"](loaded.to_native(x), 1)),
                               _stable(x, 1))
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(Unavailable, match=r"no cuda device here \(torch.cuda.is_available"):
            get("torch.softmax").load(device="cuda")


def test_split_label_tells_the_device_from_the_environment():
    assert split_label("torch.softmax@cuda:1") == ("torch.softmax", "cuda:1", None)
    assert split_label("torch.softmax@cpu@old") == ("torch.softmax", "cpu", "old")
    assert split_label("jax.nn.softmax@jax0426") == ("jax.nn.softmax", None, "jax0426")
    assert split_label("numpy.reference") == ("numpy.reference", None, None)


def test_warm_up_calls_once_untimed_before_the_timed_call():
    calls = []

    def softmax(x, axis):
        calls.append(x.shape)
        return _stable(x, axis)

    call = call_op(Loaded(ops={"softmax": softmax}, warm_up=True), "softmax",
                   [np.ones((2, 3))], 1)
    assert call.status == "ok" and len(calls) == 2


def test_an_array_of_no_numbers_is_an_error():
    void = np.zeros(3, dtype=[("float0", "V")])
    call = call_op(Loaded(ops={"softmax": lambda x, axis: void}), "softmax", [np.ones(3)], 0)
    assert call.status == "error" and "not numbers" in call.error


def test_a_declared_output_dtype_is_no_changed_dtype(oracle):
    case = Case("1-D", np.array([1.0, 2.0, 3.0], np.float16), axis=0)
    prepared = get_op("softmax").prepare(case)
    refs = get_op("softmax").references(oracle, prepared)
    upcast = Loaded(ops={"softmax": lambda x, axis: _stable(x.astype(np.float32), axis)})
    call = call_op(upcast, "softmax", prepared.arrays(), 0)
    caps = Capabilities(out_dtypes={"float16": "float32"})
    declared = result_of(_adapter(capabilities=caps), prepared, call, refs)
    undeclared = result_of(_adapter(), prepared, call, refs)
    assert declared.dtype_ok and declared.out_dtype == "float32"
    assert not undeclared.dtype_ok
    assert declared.max_ulp_error == undeclared.max_ulp_error <= 1


def test_coerce_2d_differs_only_where_an_axis_after_is_longer_than_one():
    caps = Capabilities(axis="coerce-2d")
    assert caps.unsupported_reason((3, 4), 1, "float32") is None
    assert caps.unsupported_reason((3, 4, 1), 1, "float32") is None
    assert "a different definition: coerces the input to 2-D at axis 0" in (
        caps.unsupported_reason((3, 4), 0, "float32"))


def test_opt_in_adapters_stay_out_of_the_default_run():
    from adapters import all_adapters

    opt_in = {a.name for a in all_adapters() if not a.default}
    assert "torch.compile.softmax" in opt_in
    assert not opt_in & {a.name for a in select(None)}
    assert not opt_in & {a.name for a in select(["*"])}  # a broad pattern leaves them out
    assert [a.name for a in select(["torch.compile.*"])] == ["torch.compile.softmax"]
    assert "torch.softmax" in {a.name for a in select(["torch.*"])}
