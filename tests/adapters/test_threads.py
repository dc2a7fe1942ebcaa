"""The thread adapters: where each comes from, what it declares, and that it runs as declared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from adapters.base import DEFECTS, Adapter
from adapters.registry import all_adapters
from adapters.threads import seed_000, seed_001, seed_002, seed_003, seed_004

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "adapters" / "threads" / "seeds"

MODULES: dict[str, ModuleType] = {
    "000": seed_000,
    "001": seed_001,
    "002": seed_002,
    "003": seed_003,
    "004": seed_004,
}
THREAD = [(prefix, a) for prefix, module in MODULES.items() for a in module.ADAPTERS]
ADAPTERS = [a for _, a in THREAD]

# Raises on a non-square batch (declared): its shape is checked on a square one.
SQUARE_ONLY = {"numpy.global_max_sum_last_no_keepdims"}


def _simple_input(adapter: Adapter) -> tuple[np.ndarray, int]:
    """A small float64 input and axis the adapter's capabilities accept: 2-D if possible."""
    rng = np.random.default_rng(7)
    rows = (4, 4) if adapter.name in SQUARE_ONLY else (3, 5)
    for shape, axis in ((rows, 1), (rows, 0), ((5,), 0)):
        if adapter.capabilities.unsupported_reason(shape, axis, "float64") is None:
            return rng.standard_normal(shape), axis
    raise AssertionError(f"{adapter.name} accepts none of the simple float64 inputs")


def _call(adapter: Adapter, x: np.ndarray, axis: int) -> np.ndarray:
    loaded = adapter.load()
    return np.asarray(loaded.to_numpy(loaded.ops["softmax"](loaded.to_native(x), axis)))


def test_every_listed_softmax_is_wrapped_once() -> None:
    names = [a.name for a in ADAPTERS]
    assert len(names) == len(set(names)), f"repeated names in {names}"
    # issue 2's list: 15 from 002 (nolanbconaway's twice), 4 from 000, 2 from 001 and
    # 003, 1 from 004.
    counts = {prefix: len(module.ADAPTERS) for prefix, module in MODULES.items()}
    assert counts == {"000": 4, "001": 2, "002": 15, "003": 2, "004": 1}


@pytest.mark.parametrize(("prefix", "adapter"), THREAD, ids=[a.name for a in ADAPTERS])
def test_source_names_its_seed_file(prefix: str, adapter: Adapter) -> None:
    seed = adapter.source.split()[0]
    assert seed.startswith(f"{prefix}_") and seed.endswith(".txt"), (
        f"{adapter.name} (in seed_{prefix}.py): source {adapter.source!r} does not start "
        f"with a {prefix}_*.txt seed file"
    )
    assert (SEEDS / seed).is_file(), f"{adapter.name}: no seed file {SEEDS / seed}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_declares_itself_as_a_thread_variant(adapter: Adapter) -> None:
    assert adapter.family == "thread"
    assert adapter.name.startswith("numpy."), adapter.name
    assert adapter.ops == ("softmax",)
    unknown = set(adapter.expected) - set(DEFECTS)
    assert not unknown, f"{adapter.name} declares unknown defects {sorted(unknown)}"
    assert len(set(adapter.expected)) == len(adapter.expected), adapter.expected


def test_every_thread_adapter_is_registered() -> None:
    registered = {a.name: a for a in all_adapters()}
    missing = [a.name for a in ADAPTERS if registered.get(a.name) is not a]
    assert not missing, f"not in the registry: {missing}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_loads_and_keeps_the_shape(adapter: Adapter) -> None:
    loaded = adapter.load()
    assert set(loaded.ops) == {"softmax"}, f"{adapter.name} loads ops {sorted(loaded.ops)}"
    x, axis = _simple_input(adapter)
    y = _call(adapter, x.copy(), axis)
    assert isinstance(y, np.ndarray)
    assert y.shape == x.shape, f"{adapter.name}(shape {x.shape}, axis={axis}): shape {y.shape}"
    assert np.all(np.isfinite(y)), f"{adapter.name}(shape {x.shape}, axis={axis}): {y}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_mutates_a_float_input_only_if_declared(adapter: Adapter) -> None:
    x, axis = _simple_input(adapter)
    original = x.copy()
    _call(adapter, x, axis)
    mutated = not np.array_equal(x, original)
    declared = "mutates-input" in adapter.expected
    assert mutated == declared, (
        f"{adapter.name}(float64 shape {x.shape}, axis={axis}): input "
        f"{'modified' if mutated else 'left intact'}, but it declares "
        f"{'mutates-input' if declared else 'no mutation'}"
    )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_importing_a_seed_module_imports_no_optional_backend(name: str) -> None:
    code = (
        "import sys\n"
        f"import adapters.threads.seed_{name}\n"
        "print(sorted(m for m in ('scipy', 'sklearn', 'torch', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", f"importing seed_{name} imported {out.stdout.strip()}"
