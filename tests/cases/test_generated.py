"""The generated corpus: every family in every dtype, deterministic by seed, small enough to run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cases import catalog, strategies
from cases.dtypes import FLOAT_DTYPES
from cases.generated import DEFAULT_EXAMPLES, GENERATED_FAMILIES, generated_cases
from cases.model import Case

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def timed_default() -> tuple[list[Case], float]:
    t0 = time.perf_counter()
    corpus = generated_cases()
    return corpus, time.perf_counter() - t0


@pytest.fixture(scope="module")
def default(timed_default) -> list[Case]:
    return timed_default[0]


def digest(corpus: list[Case]) -> str:
    """Everything a run reads from a case, hashed: ids, arrays, axes, tags, families."""
    h = hashlib.sha256()
    for c in corpus:
        h.update(f"{c.id}|{c.family}|{c.dtype}|{c.shape}|{c.axis}|{c.tags}|{c.origin}".encode())
        h.update(np.ascontiguousarray(c.x).tobytes())
    return h.hexdigest()


DIGEST_SCRIPT = """
import sys
from hypothesis import settings
settings.register_profile("odd", max_examples=7, derandomize=True, deadline=50)
settings.load_profile("odd")
import adapters, conformance.execute.runner, conformance.oracle  # other local modules first
sys.path.insert(0, {tests!r})
from test_generated import digest
from cases.generated import generated_cases
print(digest(generated_cases(seed={seed})))
"""


def digest_in_fresh_process(seed: int, hashseed: str, cwd: Path) -> str:
    script = DIGEST_SCRIPT.format(tests=str(Path(__file__).parent), seed=seed)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hashseed},
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_every_family_appears_in_every_dtype(default):
    counts = Counter((c.family, c.dtype) for c in default)
    for family in GENERATED_FAMILIES:
        for dtype in FLOAT_DTYPES:
            n = counts[family, dtype]
            assert 1 <= n <= DEFAULT_EXAMPLES, f"{family} {dtype}: {n} cases"
    assert sum(counts.values()) >= 0.9 * DEFAULT_EXAMPLES * len(GENERATED_FAMILIES) * 4


def test_cases_are_generated_with_unique_ids_and_a_note_to_draw_them_again(default):
    assert all(isinstance(c, Case) and c.origin == "generated" for c in default)
    ids = [c.id for c in default]
    assert len(set(ids)) == len(ids)
    for c in default:
        assert c.id.startswith(f"{c.family}/{c.dtype}/")
        assert "generated_cases(seed=0" in c.note and c.family in c.note


def test_no_generated_case_shares_an_id_with_the_catalogue(default):
    assert not {c.id for c in default} & {c.id for c in catalog()}


@pytest.mark.parametrize("family", GENERATED_FAMILIES)
def test_every_family_can_be_drawn_by_name(family):
    corpus = generated_cases(examples=1, dtypes=["float32"], families=[family])
    assert [c.family for c in corpus] == [family]


def test_the_default_corpus_is_small(timed_default):
    corpus, seconds = timed_default
    sizes = [c.x.size for c in corpus if c.family != "long-rows"]
    assert max(sizes) <= 256
    assert np.median(sizes) <= 100
    long = [c for c in corpus if c.family == "long-rows"]
    assert all(c.x.size <= 2 * strategies.LONG_MAX for c in long)
    assert sum(c.x.size for c in corpus) <= 100_000
    assert seconds < 15, f"generating the default corpus took {seconds:.1f}s"


def test_special_values_only_in_the_cases_tagged_with_them(default):
    for c in default:
        x = c.x.astype(np.float64)
        if np.isnan(x).any():
            assert "nan" in c.tags, c.id
        if np.isposinf(x).any():
            assert "pos-inf" in c.tags, c.id
        if c.family != "specials":
            assert not np.isnan(x).any() and not np.isposinf(x).any(), c.id


def test_the_same_seed_gives_the_same_cases(default):
    again = generated_cases()
    assert [c.id for c in again] == [c.id for c in default]
    for a, b in zip(again, default, strict=True):
        assert a.x.dtype == b.x.dtype and a.axis == b.axis and a.tags == b.tags
        assert a.x.tobytes() == b.x.tobytes(), f"{a.id}: the same seed drew other bits"
    assert digest(again) == digest(default)


def test_the_same_seed_gives_the_same_cases_in_a_fresh_process(default, tmp_path):
    """Another PYTHONHASHSEED, another Hypothesis profile, other local modules imported
    first (Hypothesis mines local modules for constants), another working directory."""
    assert digest_in_fresh_process(0, "12345", tmp_path) == digest(default)
    assert list(tmp_path.iterdir()) == [], "generation wrote files in the working directory"


def test_a_different_seed_gives_different_cases(default):
    other = generated_cases(seed=1)
    assert len(other) == len(default)
    overlap = {c.id for c in other} & {c.id for c in default}
    assert len(overlap) <= len(default) // 20, f"{len(overlap)} cases shared by seeds 0 and 1"


def test_fewer_dtypes_or_families_keep_the_other_cases(default):
    subset = generated_cases(dtypes=["float32"], families=["ties", "masks"])
    expected = [c.id for c in default if c.dtype == "float32" and c.family in ("ties", "masks")]
    assert [c.id for c in subset] == expected


def test_examples_sets_the_count_per_family_and_dtype():
    corpus = generated_cases(examples=2, dtypes=["float16"], families=["logits", "huge"])
    assert Counter(c.family for c in corpus) == {"logits": 2, "huge": 2}
    assert generated_cases(examples=0) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed=-1 must be an integer >= 0"),
        ({"seed": 1.5}, "seed=1.5 must be an integer"),
        ({"examples": -2}, "examples=-2 must be an integer >= 0"),
        ({"examples": True}, "examples=True must be an integer"),
        ({"dtypes": ["int8"]}, "dtypes=['int8'] has unknown 'int8'"),
        ({"dtypes": "float32"}, "dtypes='float32' must be a non-empty sequence"),
        ({"dtypes": []}, "dtypes=[] must be a non-empty sequence"),
        ({"families": ["nope"]}, "families=['nope'] has unknown 'nope'"),
        ({"families": "ties"}, "families='ties' must be a sequence"),
    ],
)
def test_a_bad_argument_is_named(kwargs, message):
    with pytest.raises(ValueError) as info:
        generated_cases(**kwargs)
    assert message in str(info.value)
