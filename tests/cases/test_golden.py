"""The seed-golden cases: each reproduces, through the adapter it names, what its thread printed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adapters.registry import all_adapters, get
from cases.golden import golden_cases
from cases.model import Case

SEEDS = Path(__file__).resolve().parents[2] / "adapters" / "threads" / "seeds"

ALL_PRINTED = golden_cases()
ADAPTER_NAMES = {a.name for a in all_adapters()}


def _id(case: Case) -> str:
    assert case.golden is not None
    return f"{case.golden.adapter}|{case.golden.where}"


def _softmax(case: Case) -> np.ndarray:
    assert case.golden is not None
    loaded = get(case.golden.adapter).load()
    x = case.input_copy()
    with np.errstate(all="ignore"):
        out = loaded.ops["softmax"](loaded.to_native(x), case.axis)
    return np.asarray(loaded.to_numpy(out))


@pytest.mark.parametrize("case", ALL_PRINTED, ids=_id)
def test_golden_reproduces_what_the_thread_printed(case: Case) -> None:
    g = case.golden
    assert g is not None
    y = _softmax(case).astype(np.float64)
    printed = np.array(g.printed, dtype=np.float64)
    assert y.shape == printed.shape, (
        f"{g.adapter}(x, axis={case.axis}) for {g.where}: shape {y.shape}, printed {printed.shape}"
    )
    nan_printed = np.isnan(printed)
    assert np.array_equal(np.isnan(y), nan_printed), (
        f"{g.adapter}(x, axis={case.axis}) for {g.where}: NaN at "
        f"{np.argwhere(np.isnan(y)).tolist()}, printed NaN at {np.argwhere(nan_printed).tolist()}"
    )
    diff = np.where(nan_printed, 0.0, np.abs(y - printed))
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    assert diff[worst] <= g.atol, (
        f"{g.adapter}(x, axis={case.axis}) for {g.where}: out{list(worst)}={y[worst]!r}, "
        f"printed {printed[worst]!r} (to +-{g.atol:g})"
    )


@pytest.mark.parametrize("case", ALL_PRINTED, ids=_id)
def test_golden_names_an_adapter_that_accepts_it(case: Case) -> None:
    g = case.golden
    assert g is not None
    assert g.adapter in ADAPTER_NAMES, f"{g.where}: no adapter named {g.adapter!r}"
    reason = get(g.adapter).capabilities.unsupported_reason(case.shape, case.axis, case.dtype)
    assert reason is None, (
        f"{g.adapter} would mark {g.where} (shape {case.shape}, axis {case.axis}, "
        f"{case.dtype}) unsupported: {reason}"
    )


@pytest.mark.parametrize("case", ALL_PRINTED, ids=_id)
def test_golden_case_is_well_formed(case: Case) -> None:
    g = case.golden
    assert g is not None
    assert (case.origin, case.family) == ("seed-golden", "seed-golden")
    shape_tag = {1: "1-D", 2: "2-D"}.get(case.x.ndim, "N-D")
    assert shape_tag in case.tags, f"{g.where}: tags {case.tags} lack {shape_tag!r}"
    assert np.array(g.printed, dtype=np.float64).shape == case.shape, (
        f"{g.where}: printed shape {np.array(g.printed).shape}, input shape {case.shape}"
    )
    assert 0 < g.atol <= 5e-3, f"{g.where}: atol {g.atol}"
    seed = g.where.split()[0]
    assert (SEEDS / seed).is_file(), f"{g.where}: no seed file {SEEDS / seed}"


def test_golden_cases_have_unique_ids_and_drop_only_repeats() -> None:
    unique = golden_cases()
    ids = [c.id for c in unique]
    assert len(ids) == len(set(ids)), f"repeated ids: {sorted(i for i in ids if ids.count(i) > 1)}"

    def key(c: Case) -> tuple[str, str, str]:
        assert c.golden is not None
        return c.id, c.golden.adapter, c.golden.where

    kept = {key(c) for c in unique}
    assert kept <= {key(c) for c in ALL_PRINTED}
    dropped = [key(c) for c in ALL_PRINTED if key(c) not in kept]
    assert all(case_id in set(ids) for case_id, _, _ in dropped), (
        f"dropped without a kept case of the same id: {dropped}"
    )
    assert len(unique) + len(dropped) == len(ALL_PRINTED)


def test_every_seed_file_has_a_golden() -> None:
    seeds = {c.golden.where.split()[0] for c in ALL_PRINTED if c.golden is not None}
    assert seeds == {p.name for p in SEEDS.glob("*.txt")}


def test_quick_keeps_each_variants_first_print():
    """--quick checks each thread variant that printed an output once: its first print."""
    from cases.golden import golden_cases

    full, quick = golden_cases(), golden_cases(quick=True)
    adapters = [c.golden.adapter for c in full]
    assert [c.golden.adapter for c in quick] == list(dict.fromkeys(adapters))
    assert [c.id for c in quick] == [next(f.id for f in full if f.golden.adapter == a)
                                     for a in dict.fromkeys(adapters)]
    assert len(quick) < len(full)
    # run by the variant that printed it only; the full run gives it to every adapter
    assert all(c.only == (c.golden.adapter,) for c in quick) and not any(c.only for c in full)
