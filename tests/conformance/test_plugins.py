"""Adapter plug-ins: the ``softmax_conformance.adapters`` entry-point group.

The forms an entry point may take and the ways a plug-in can be broken are
tested on entry points made here; the sample project under
tests/data/sample_plugin is then built and installed with pip (offline, no
build isolation) and the command line is run on it in a subprocess.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from adapters import plugins, registry
from adapters.base import Adapter, Unavailable
from conformance.execute.executors import load_adapters

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample_plugin"
MODULE = "softmax_conformance_fake_plugin"


def _adapter(name: str) -> Adapter:
    return Adapter(name=name, family="plugin", source="test",
                   factory=lambda: {"softmax": lambda x, axis: x})


def _raise():
    raise RuntimeError("no licence server")


@pytest.fixture
def entry_points(monkeypatch):
    """Install a fake plug-in module and make ``plugins`` see the given entry points."""
    module = types.ModuleType(MODULE)
    module.ONE = _adapter("fake.one")
    module.MANY = [_adapter("fake.two"), _adapter("fake.three")]
    module.make = lambda: [_adapter("fake.four")]
    module.TEXT = "not an adapter"
    module.MIXED = [_adapter("fake.five"), 3]
    module.EMPTY = []
    module.explode = _raise
    monkeypatch.setitem(sys.modules, MODULE, module)

    def use(**values: str) -> None:
        eps = [importlib.metadata.EntryPoint(name=k, value=v, group=plugins.GROUP)
               for k, v in values.items()]
        monkeypatch.setattr(plugins, "_entry_points", lambda: eps)

    return use


def test_an_entry_point_may_give_an_adapter_a_list_or_a_callable(entry_points):
    entry_points(one=f"{MODULE}:ONE", many=f"{MODULE}:MANY", made=f"{MODULE}:make")
    found = plugins.plugin_adapters()
    assert [a.name for a in found] == ["fake.four", "fake.two", "fake.three", "fake.one"]
    assert all(s.available for s in load_adapters(found))


@pytest.mark.parametrize(("value", "reason"), [
    (f"{MODULE}:MISSING", "AttributeError"),
    ("softmax_conformance_no_such_module:X", "ModuleNotFoundError"),
    (f"{MODULE}:TEXT", "gave a str; expected an Adapter, a list of Adapters"),
    (f"{MODULE}:MIXED", "gave a list holding int"),
    (f"{MODULE}:EMPTY", "gave an empty list"),
    (f"{MODULE}:explode", "calling softmax_conformance_fake_plugin:explode() raised "
                          "RuntimeError: no licence server"),
])
def test_a_broken_plugin_is_an_unavailable_adapter_with_the_reason(entry_points, value, reason):
    entry_points(broken=value)
    (adapter,) = plugins.plugin_adapters()
    assert adapter.name == "broken" and adapter.family == "plugin"
    assert value in adapter.source
    (status,) = load_adapters([adapter])
    assert not status.available
    assert reason in status.reason
    with pytest.raises(Unavailable, match=reason.split(":")[0]):
        adapter.load()


def test_the_registry_takes_plugin_adapters_and_never_lets_one_replace_another(
        entry_points, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", None)
    entry_points(one=f"{MODULE}:ONE", clash=f"{MODULE}:clash", broken=f"{MODULE}:MISSING")
    sys.modules[MODULE].clash = _adapter("numpy.reference")
    with pytest.warns(RuntimeWarning, match="'numpy.reference' .* is ignored"):
        names = [a.name for a in registry.all_adapters()]
    assert names.count("numpy.reference") == 1
    assert registry.get("numpy.reference").family == "reference"
    assert registry.get("fake.one").family == "plugin"
    assert registry.get("broken").family == "plugin"


# ---- the sample plug-in, installed with pip ------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The sample project built and installed; the environment that sees it.

    It is installed into a directory of its own (``pip install --target``) that the
    subprocesses put on their path, not into the shared virtualenv: other test runs in
    the same environment never see it, and nothing is left behind if the run dies.
    """
    assert importlib.util.find_spec("setuptools"), (
        "building the sample plug-in offline (--no-build-isolation) needs setuptools in this "
        "environment: pip install 'setuptools>=64'")
    work = tmp_path_factory.mktemp("sample-plugin")
    source = work / "src"
    shutil.copytree(SAMPLE, source)  # the build writes build/ and *.egg-info next to it
    target = work / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--disable-pip-version-check", "--target", str(target),
         str(source)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), str(ROOT),
                                                    env.get("PYTHONPATH")) if p)
    return env


def _conformance(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_conformance_list_shows_the_installed_plugin(installed):
    run = _conformance(installed, "list", "--adapters", "sample*")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    stable = next(line for line in lines if line.startswith("sample.stable "))
    assert "  available " in stable and " plugin " in stable
    broken = lines.index(next(line for line in lines if line.startswith("sample-broken ")))
    assert " unavailable " in lines[broken]
    assert "reason: loading sample_softmax_plugin:no_such_attribute raised AttributeError" in (
        lines[broken + 1])
    assert "Traceback" not in run.stderr


def test_conformance_check_runs_the_installed_plugin(installed):
    run = _conformance(installed, "check", "--adapter", "sample.stable", "--dtypes", "float64",
                       "--no-cache")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "conformance check sample.stable (policy default, dtypes float64" in run.stdout
    assert "sample.stable conforms" in run.stdout


def test_checking_the_broken_plugin_is_a_usage_error_with_its_reason(installed):
    run = _conformance(installed, "check", "--adapter", "sample-broken", "--dtypes", "float64",
                       "--no-cache")
    assert run.returncode == 2
    assert "sample-broken is unavailable: loading sample_softmax_plugin:no_such_attribute" in (
        run.stderr)
    assert "Traceback" not in run.stderr
