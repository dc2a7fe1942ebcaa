"""Environments: `conformance env create` builds them from PyPI, a run takes adapters there
(two versions of one library side by side; MXNet 1.9.1, which needs numpy < 1.24), the
report records their versions, and a torch that would be CUDA's is refused.

The environments are built with pip (network to PyPI) once and kept in pytest's cache
directory (.pytest_cache/d/softmax-conformance-envs), so later sessions only check that
they are complete; `pytest --cache-clear` rebuilds them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from adapters import get
from conformance.cli import main
from conformance.execute.environments import (
    create_environment,
    cuda_problem,
    load_environments,
    read_registry,
    record_environment,
    torch_problem,
)
from conformance.execute.executors import load_adapters
from conformance.record.table import decode_table

ROOT = Path(__file__).resolve().parents[2]
OLD = ["numpy<2", "scipy<1.12"]  # numpy 1.26.4 and scipy 1.11.4 on Python 3.11
MX = ["mxnet==1.9.1", "numpy<1.24"]
# an older JAX (with the optax of its time, whose loss has no axis argument yet) and an older
# ONNX Runtime, both built against numpy 1
OLD_BACKENDS = ["jax==0.4.26", "jaxlib==0.4.26", "optax==0.2.2", "onnxruntime==1.16.3",
                "onnx==1.15.0", "numpy<2"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """XDG_CACHE_HOME for this module: the registry env create writes lives here."""
    path = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(path))
        yield path


@pytest.fixture(scope="module")
def env_root(request, tmp_path_factory) -> Path:
    cache = getattr(request.config, "cache", None)
    if cache is None:  # -p no:cacheprovider
        return tmp_path_factory.mktemp("envs")
    return Path(cache.mkdir("softmax-conformance-envs"))


def _create(name: str, packages: list[str], directory: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["env", "create", name, "--packages", *packages, "--dir", str(directory)])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def old_env(home, env_root):
    code, printed = _create("old", OLD, env_root / "old")
    assert code == 0, printed
    return env_root / "old", printed


@pytest.fixture(scope="module")
def mx_env(home, env_root):
    code, printed = _create("mx", MX, env_root / "mx")
    assert code == 0, printed
    return env_root / "mx", printed


@pytest.fixture(scope="module")
def backends_env(home, env_root):
    code, printed = _create("oldb", OLD_BACKENDS, env_root / "oldb")
    assert code == 0, printed
    return env_root / "oldb", printed


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / "report"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--no-golden", "--examples", "0", "--out", str(out),
                     "--cache-dir", str(tmp_path / "oracle"), *argv])
    assert code == 0
    return json.loads((out / "report.json").read_text())


def _adapter(report: dict, name: str) -> dict:
    return next(a for a in report["adapters"] if a["name"] == name)


def _summary(report: dict, name: str) -> dict:
    return next(s for s in report["summaries"] if s["adapter"] == name)


# -- env create -----------------------------------------------------------------------------


def test_env_create_builds_records_and_says_how_to_use_it(home, old_env):
    env, printed = old_env
    python = _python(env)
    assert f"environment old: {python}" in printed
    assert "--adapters 'PATTERN@old'" in printed and f"--env old={python}" in printed
    assert read_registry()["old"] == str(python)
    meta = json.loads((env / "conformance-env.json").read_text())
    assert meta["packages"] == OLD
    assert meta["versions"]["numpy"].startswith("1.26.")
    assert meta["versions"]["scipy"].startswith("1.11.")
    assert "ml_dtypes" in meta["versions"]  # what a worker needs, under numpy<2
    # conformance run reads the registry; pyproject and --env override it
    assert load_environments(None)["old"] == str(python)


def test_env_list_shows_the_recorded_environments(old_env, mx_env, capsys):
    assert main(["env", "list"]) == 0
    out = capsys.readouterr().out
    assert f"old  ok      {_python(old_env[0])}" in out and "(mxnet==1.9.1 numpy<1.24)" in out


def test_two_versions_of_one_library_side_by_side(old_env, tmp_path):
    python = _python(old_env[0])
    report = _run(tmp_path, "--quick", "--env", f"old={python}",
                  "--adapters", "scipy.special", "scipy.special@old")
    here, there = _adapter(report, "scipy.special"), _adapter(report, "scipy.special@old")
    assert here["available"] and there["available"], there["reason"]
    assert there["environment"] == "old" and here["environment"] is None
    assert there["versions"]["scipy"].startswith("1.11.")
    assert here["versions"]["scipy"] == report["environment"]["versions"]["scipy"] != \
        there["versions"]["scipy"]
    assert there["interpreter"]["executable"] == str(python)
    assert there["interpreter"]["packages"]["numpy"].startswith("1.26.")
    assert here["interpreter"]["packages"]["numpy"] == np.__version__
    assert report["agreement"]["softmax"]["adapters"] == ["scipy.special", "scipy.special@old"]
    # side by side on most of the quick catalogue's 33 cases (32 here: the rest have no
    # answer to agree on, or are refused by both)
    assert report["agreement"]["softmax"]["common_cases"][0][1] >= 25
    ran = [r for r in decode_table(report["results"]) if r["adapter"] == "scipy.special@old"]
    assert ran and sum(r["status"] == "ok" for r in ran) >= 25


def test_older_jax_and_onnxruntime_beside_the_current_ones(backends_env, tmp_path):
    """JAX 0.4.26 (x64 off and on, optax 0.2.2) and ONNX Runtime 1.16.3 (both opsets) in one
    report beside this environment's releases, every op."""
    python = _python(backends_env[0])
    names = ["jax.nn.softmax", "jax.nn.softmax.x64", "jax.optax.cross_entropy",
             "onnxruntime.softmax.opset11", "onnxruntime.softmax.opset13",
             "onnxruntime.cross_entropy.opset13"]
    # the quick catalogue in these two dtypes holds the cases the old releases' defects were
    # measured on: N-D/bfloat16/9b559478f5 (JAX) and huge/float64/a1623d081d (ONNX Runtime),
    # the cases of their families that lead (cases.builders.spec)
    report = _run(tmp_path, "--quick", "--dtypes", "bfloat16", "float64", "--env",
                  f"oldb={python}", "--adapters", *names, *(f"{n}@oldb" for n in names))
    ids = {c["id"] for c in report["cases"]}
    assert {"N-D/bfloat16/9b559478f5", "huge/float64/a1623d081d"} <= ids
    for name in names:
        here, there = _adapter(report, name), _adapter(report, f"{name}@oldb")
        assert here["available"] and there["available"], (here["reason"], there["reason"])
        assert there["environment"] == "oldb"
        dist = name.split(".")[0]
        old = {"jax": "0.4.26", "onnxruntime": "1.16.3"}[dist]
        assert there["versions"][dist] == old != here["versions"][dist]
        ran = [r for r in decode_table(report["results"]) if r["adapter"] == f"{name}@oldb"]
        # of the quick catalogue's 30 cases in these dtypes; ONNX Runtime has no bfloat16
        least = 8 if dist == "onnxruntime" else 20
        assert sum(r["status"] == "ok" for r in ran) > least, name
    softmax_columns = report["agreement"]["softmax"]["adapters"]
    assert "jax.nn.softmax@oldb" in softmax_columns and "jax.nn.softmax" in softmax_columns
    assert "onnxruntime.softmax.opset13@oldb" in softmax_columns
    # x64 off downcasts float64 in the old release too; x64 on keeps it
    old_off = _summary(report, "jax.nn.softmax@oldb")
    assert "dtype-changed" in old_off["detected"]
    assert "dtype-changed" not in _summary(report, "jax.nn.softmax.x64@oldb")["detected"]
    # what the old releases got wrong, and the current ones do not, is declared for them
    # (expected_when); the quick catalogue shows some of it (JAX's masked rows are in the full)
    for name, changed in (("jax.nn.softmax.x64", "wrong-axis"),
                          ("onnxruntime.softmax.opset13", "inaccurate")):
        old, new = _summary(report, f"{name}@oldb"), _summary(report, name)
        assert changed in old["detected"] and changed not in new["detected"], name
        assert set(old["detected"]) <= set(old["expected"]), (name, old["detected"])


def test_mxnet_runs_in_its_own_environment(mx_env, tmp_path):
    """The full catalogue, every op: each MXNet adapter (softmax twice, log_softmax, gluon's
    cross-entropy loss) shows exactly its declared defects, and MXNET_SAFE_ACCUMULATION=1
    fixes float16 (a 10^5 row's sum stalls in float16 without)."""
    report = _run(tmp_path, "--adapters", "mxnet.*@mx")
    for name in ("mxnet.nd.softmax@mx", "mxnet.nd.softmax.safe_accumulation@mx",
                 "mxnet.nd.log_softmax@mx", "mxnet.gluon.SoftmaxCrossEntropyLoss@mx"):
        a = _adapter(report, name)
        assert a["available"], a["reason"]
        assert a["environment"] == "mx" and a["interpreter"]["executable"] == str(
            _python(mx_env[0]))
        assert a["versions"]["mxnet"] == "1.9.1" and a["versions"]["numpy"].startswith("1.23")
        s = _summary(report, name)
        assert s["verdict"] == "defects as expected", (s["detected"], s["expected"])
    plain = _summary(report, "mxnet.nd.softmax@mx")["per_op"]["softmax"]["float16"]
    safe = _summary(report, "mxnet.nd.softmax.safe_accumulation@mx")["per_op"]["softmax"][
        "float16"]
    assert plain["worst_cond_error"] > 100 and plain["worst_row_sum_error"] > 100
    assert safe["worst_cond_error"] < 4 and safe["worst_row_sum_error"] < 4
    assert "bfloat16" not in plain and "bfloat16" not in safe  # not accepted: unsupported


def test_mxnet_ops_and_the_variable_in_its_environment(mx_env):
    """log_softmax and the cross-entropy compute what they should, and
    MXNET_SAFE_ACCUMULATION is restored after each call."""
    script = textwrap.dedent(f"""
        import json, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from adapters import get
        from adapters.mxnet import cross_entropy_ops, log_softmax_ops
        x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
        ls = log_softmax_ops()
        y = ls.to_numpy(ls.ops["log_softmax"](ls.to_native(x), 1))
        ce = cross_entropy_ops()
        labels = np.array([2, 0])
        loss = ce.to_numpy(ce.ops["cross_entropy"](ce.to_native(x), ce.to_native(labels), 1))
        seen = []
        for name in ("mxnet.nd.softmax.safe_accumulation", "mxnet.nd.softmax"):
            loaded = get(name).load()
            loaded.ops["softmax"](loaded.to_native(x), 1)
            seen.append(os.environ.get("MXNET_SAFE_ACCUMULATION"))
        print(json.dumps({{"log_softmax": y.tolist(), "loss": loss.tolist(), "seen": seen}}))
    """)
    env = {**os.environ, "MXNET_SAFE_ACCUMULATION": "0"}
    proc = subprocess.run([str(_python(mx_env[0])), "-c", script], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    expected = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))
    np.testing.assert_allclose(got["log_softmax"], expected, rtol=1e-6)
    np.testing.assert_allclose(got["loss"], -expected[[0, 1], [2, 0]], rtol=1e-6)
    assert got["seen"] == ["0", "0"]


def test_mxnet_is_unavailable_here_with_the_command_that_makes_its_environment():
    for status in load_adapters([get("mxnet.nd.softmax"),
                                 get("mxnet.nd.softmax.safe_accumulation")]):
        assert not status.available
        assert "conformance env create mx --packages 'mxnet==1.9.1' 'numpy<1.24'" in \
            status.reason
        assert "--adapters 'mxnet.*@mx'" in status.reason


# -- what env create refuses --------------------------------------------------------------


@pytest.mark.parametrize("package", ["torch", "torch>=2.1", "torch==2.3.1", "torchvision"])
def test_a_torch_that_would_be_cuda_is_refused_before_anything_is_built(
        package, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code = main(["env", "create", "t", "--packages", "numpy", package,
                 "--dir", str(tmp_path / "t")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"refusing {package!r}" in err and "+cpu" in err and "CUDA" in err
    assert not (tmp_path / "t").exists() and not (tmp_path / "xdg").exists()


def test_the_torch_rule():
    assert torch_problem(["torch==2.13.0+cpu", "scipy"], platform="linux") is None
    assert torch_problem(["torch @ https://wheels.example/whl/cpu/torch-2.3.1%2Bcpu"
                          "-cp311-cp311-linux_x86_64.whl"], platform="linux") is None
    assert torch_problem(["torch==2.3.1"], platform="darwin") is None  # PyPI's is CPU there
    assert "not a pinned CPU build" in torch_problem(["torch==2.3.1"], platform="linux")
    assert "unpinned" in torch_problem(["Torch"], platform="darwin")
    assert "no '+cpu'" in torch_problem(["/w/torch-2.3.1-cp311-linux_x86_64.whl"],
                                        platform="linux")


def test_cuda_pulled_in_by_another_package_is_found_in_pips_resolution():
    def item(name, version):
        return {"metadata": {"name": name, "version": version}}

    cuda = {"install": [item("torchmetrics", "1.4.0"), item("torch", "2.14.1"),
                        item("nvidia-cublas", "13.1.1.3"), item("numpy", "2.4.0")]}
    problem = cuda_problem(cuda, platform="linux")
    assert "torch 2.14.1" in problem and "nvidia-cublas 13.1.1.3" in problem
    assert "numpy" not in problem
    cpu = {"install": [item("torch", "2.13.0+cpu"), item("numpy", "2.4.0")]}
    assert cuda_problem(cpu, platform="linux") is None


def test_a_cuda_resolution_is_refused_and_leaves_nothing_behind(tmp_path):
    """pip's dry run (faked here) resolves to CUDA wheels: no environment, no record."""
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        if "venv" in argv:
            target = Path(argv[-1])
            (target / "bin").mkdir(parents=True)
            (target / "pyvenv.cfg").write_text("")
        elif "--dry-run" in argv:
            report = Path(argv[argv.index("--report") + 1])
            report.write_text(json.dumps({"install": [
                {"metadata": {"name": "nvidia-cudnn-cu13", "version": "9.24"}}]}))
        return subprocess.CompletedProcess(argv, 0, "", "")

    with pytest.raises(ValueError, match="pip would install a CUDA build"):
        create_environment("t", ["torchmetrics"], directory=tmp_path / "t",
                           registry=tmp_path / "envs.toml", run=fake_run, log=lambda s: None)
    assert not (tmp_path / "t").exists() and not (tmp_path / "envs.toml").exists()
    assert len(calls) == 2 and not any("--dry-run" not in c and "pip" in c for c in calls)


@pytest.mark.parametrize("name", ["a@b", "", ".x", "a b"])
def test_a_bad_environment_name_exits_2(name, tmp_path, capsys):
    code = main(["env", "create", name, "--packages", "numpy", "--dir", str(tmp_path / "e")])
    assert code == 2 and "environment name" in capsys.readouterr().err


# -- where environments come from ---------------------------------------------------------


def test_registry_then_pyproject_then_env_option(tmp_path, capsys):
    python = Path(sys.executable)
    registry = tmp_path / "environments.toml"
    record_environment("a", str(python), ["numpy"], registry)
    record_environment("gone", str(tmp_path / "no" / "python"), ["numpy"], registry)
    record_environment("b", str(python), ["scipy"], registry)
    assert set(read_registry(registry)) == {"a", "b", "gone"}
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[tool.conformance.environments]\nb = "{tmp_path / "other"}"\n')
    envs = load_environments(pyproject, registry)
    assert envs == {"a": str(python), "b": str(tmp_path / "other")}  # "gone" is left out
    assert load_environments(pyproject, None) == {"b": str(tmp_path / "other")}
    # --env wins over both (the interpreter is checked only once it is the one chosen)
    code = main(["run", "--pyproject", str(pyproject), "--env", f"b={python}",
                 "--adapters", "numpy.reference@nope", "--out", str(tmp_path / "r")])
    assert code == 2 and "no environment named 'nope'" in capsys.readouterr().err
