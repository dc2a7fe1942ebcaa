"""The edge-case catalogue: every family present, and each family holds what it says."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import mpmath
import numpy as np
import pytest

from cases.catalog import FAMILIES, LONG_ROW, QUICK_EVERY, catalog
from cases.dtypes import FLOAT_DTYPES, float_format, np_dtype
from cases.families import EQUAL_ROW, VOCAB_LENGTHS
from cases.model import SPECIAL_TAGS, Case

ROOT = Path(__file__).resolve().parents[2]

DESIGN_FAMILIES = [
    "huge",
    "tiny",
    "mixed-scale-rows",
    "ties",
    "near-ties",
    "1-D",
    "2-D",
    "N-D",
    "axis-not-last",
    "single-element",
    "empty",
    "pos-inf",
    "neg-inf",
    "all-neg-inf-row",
    "nan",
    "subnormal",
    "long-row",
    "vocab-rows",
    "int-input",
    "non-contiguous",
    "wide-spread",
    "mixed-batch",
    "temperature",
]


@pytest.fixture(scope="module")
def full() -> list[Case]:
    return catalog()


@pytest.fixture(scope="module")
def quick() -> list[Case]:
    return catalog(quick=True)


def of(cases: list[Case], family: str, dtype: str | None = None) -> list[Case]:
    found = [c for c in cases if c.family == family and (dtype is None or c.dtype == dtype)]
    assert found, f"no {family} case in {dtype or 'any dtype'}"
    return found


def rows(case: Case) -> np.ndarray:
    """The case as float64 rows: shape (number of rows, length of the reduction axis)."""
    x = np.moveaxis(case.x.astype(np.float64), case.axis, -1)
    return x.reshape(-1, x.shape[-1])


def underflow(dtype: str) -> float:
    """exp(x) rounds to zero at or below this x."""
    return math.log(float_format(dtype).smallest_subnormal) - math.log(2)


def ulp(v: float, dtype: str) -> float:
    fmt = float_format(dtype)
    v = abs(v)
    if v < fmt.tiny:
        return fmt.smallest_subnormal
    return 2.0 ** (math.floor(math.log2(v)) - fmt.precision + 1)


def is_subnormal(x: np.ndarray, dtype: str) -> np.ndarray:
    mag = np.abs(x[np.isfinite(x)])
    return (mag > 0) & (mag < float_format(dtype).tiny)


def log_softmax(r: np.ndarray) -> np.ndarray:
    m = r.max()
    return r - (m + np.log(np.sum(np.exp(r - m))))


# --------------------------------------------------------------------------- the whole


def test_families_are_the_designed_ones() -> None:
    assert list(FAMILIES) == DESIGN_FAMILIES
    for tag, text in FAMILIES.items():
        assert text and "\n" not in text, f"FAMILIES[{tag!r}] = {text!r}: expected one line"


def test_every_family_in_every_dtype(full: list[Case]) -> None:
    seen = {(c.family, c.dtype) for c in full}
    missing = [
        (f, d) for f in FAMILIES if f != "int-input" for d in FLOAT_DTYPES if (f, d) not in seen
    ]
    assert not missing, f"families missing in a dtype: {missing}"


def test_int_input_once_per_integer_dtype(full: list[Case]) -> None:
    ints = of(full, "int-input")
    assert sorted(c.dtype for c in ints) == ["int32", "int64"]
    assert all(np.issubdtype(c.x.dtype, np.integer) for c in ints)


def test_size_is_within_budget(full: list[Case]) -> None:
    assert 150 <= len(full) <= 450, f"{len(full)} cases, expected 150 to 450"
    small = [c for c in full if c.family not in ("long-row", "vocab-rows")]
    biggest = max(small, key=lambda c: c.x.size)
    # the largest are the 2-D batches of two 2048-long rows (and their transposes)
    assert biggest.x.size <= 4096, f"{biggest.id} has {biggest.x.size} elements"
    assert sum(c.x.size > 200 for c in small) <= 2 * 4, "only the 2-D batches are large"


def test_ids_unique_and_identical_across_calls(full: list[Case]) -> None:
    ids = [c.id for c in full]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, f"duplicate ids: {dup}"
    assert [c.id for c in catalog()] == ids


def test_ids_identical_in_a_fresh_process(full: list[Case]) -> None:
    code = "from cases.catalog import catalog\nprint('\\n'.join(c.id for c in catalog()))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert out.stdout.split() == [c.id for c in full]


def test_records_are_well_formed(full: list[Case]) -> None:
    for c in full:
        assert c.origin == "catalog", c.id
        assert c.note.strip(), f"{c.id}: no note"
        assert c.family not in c.tags, f"{c.id}: family repeated in tags {c.tags}"
        unknown = set(c.tags) - set(FAMILIES)
        assert not unknown, f"{c.id}: unknown tags {unknown}"
        assert c.id.startswith(f"{c.family}/{c.dtype}/"), c.id


def test_arrays_have_the_dtype_they_claim(full: list[Case]) -> None:
    for c in full:
        if c.family == "int-input":
            assert c.x.dtype in (np.dtype(np.int64), np.dtype(np.int32)), c.id
        else:
            assert c.x.dtype == np_dtype(c.dtype), f"{c.id}: stored as {c.x.dtype}"
            assert c.dtype in FLOAT_DTYPES, c.id


def test_special_tags_exactly_where_the_content_is_special(full: list[Case]) -> None:
    for c in full:
        wide = c.x.astype(np.float64)
        has = {
            "nan": bool(np.isnan(wide).any()),
            "pos-inf": bool(np.isposinf(wide).any()),
            "all-neg-inf-row": c.x.size > 0 and bool(np.isneginf(rows(c)).all(axis=1).any()),
            "empty": c.x.size == 0,
            "int-input": bool(np.issubdtype(c.x.dtype, np.integer)),
        }
        assert set(has) == SPECIAL_TAGS
        for tag, present in has.items():
            assert (tag in c.all_tags) == present, (
                f"{c.id}: tag {tag!r} is {'missing' if present else 'present'}, "
                f"content says {present}"
            )
        assert c.is_special == any(has.values()), c.id


def test_shape_and_axis_tags(full: list[Case]) -> None:
    for c in full:
        shape_tag = {1: "1-D", 2: "2-D"}.get(c.x.ndim, "N-D")
        assert shape_tag in c.all_tags, f"{c.id}: shape {c.shape} without tag {shape_tag}"
        assert not {"1-D", "2-D", "N-D"} - {shape_tag} & set(c.all_tags), c.id
        last = c.axis % c.x.ndim == c.x.ndim - 1
        assert ("axis-not-last" in c.all_tags) == (not last), f"{c.id}: axis {c.axis}"
        assert ("non-contiguous" in c.all_tags) == (c.x.size > 0 and not c.x.flags.c_contiguous), (
            c.id
        )


def test_mostly_last_axis_but_both_signs_elsewhere(full: list[Case]) -> None:
    last = sum(c.axis % c.x.ndim == c.x.ndim - 1 for c in full)
    assert last > len(full) / 2
    other = [
        c.axis
        for c in full
        if c.family in ("N-D", "axis-not-last") and c.axis % c.x.ndim != c.x.ndim - 1
    ]
    assert any(a < 0 for a in other) and any(a >= 0 for a in other), other


# --------------------------------------------------------------------------- each family


def overflows(x: float, dtype: str) -> bool:
    """exp(x), correctly rounded to the dtype, is inf (reaches max + ulp(max)/2)."""
    fmt = float_format(dtype)
    with mpmath.workprec(200):
        limit = mpmath.mpf(fmt.max) + mpmath.mpf(2) ** (fmt.emax - fmt.precision)
        return bool(mpmath.exp(mpmath.mpf(x)) >= limit)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_huge(full: list[Case], dtype: str) -> None:
    fmt = float_format(dtype)
    cases = of(full, "huge", dtype)
    tops = [float(c.x.astype(np.float64).max()) for c in cases]
    # Just below: the largest representable x whose exp does not overflow.
    fits = [m for m in tops if not overflows(m, dtype)]
    assert len(fits) == 1, f"{dtype}: maxima whose exp fits: {fits}, expected one"
    b = fits[0]
    assert overflows(b + ulp(b, dtype), dtype), f"{dtype}: {b} is not just below the threshold"
    assert abs(b - fmt.exp_overflow) <= 2 * ulp(b, dtype), (b, fmt.exp_overflow)
    # Just above: the smallest representable x whose exp overflows.
    a = min(m for m in tops if m > b)
    assert a == b + ulp(b, dtype), f"{dtype}: nothing just above the threshold (nearest {a})"
    # Far beyond.
    assert any(9e3 <= m < fmt.max for m in tops), f"{dtype}: no case near 1e4: {tops}"
    assert fmt.max in tops, f"{dtype}: no case holds the format's max {fmt.max}"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_tiny(full: list[Case], dtype: str) -> None:
    fmt = float_format(dtype)
    kinds = set()
    for c in of(full, "tiny", dtype):
        x = c.x.astype(np.float64)
        if np.abs(x).max() <= 1e-2 * fmt.eps:
            kinds.add("eps-scale")
        elif x.max() < -fmt.exp_overflow:
            kinds.add("very-negative")
            assert (rows(c).max(axis=1) <= underflow(dtype)).any(), (
                f"{c.id}: no row where every exp underflows to zero"
            )
        else:
            pytest.fail(f"{c.id}: neither ~eps-scale nor below -log(max): max {x.max()}")
    assert kinds == {"eps-scale", "very-negative"}, kinds


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_mixed_scale_rows(full: list[Case], dtype: str) -> None:
    u = underflow(dtype)
    ratios, isolated = [], False
    for c in of(full, "mixed-scale-rows", dtype):
        r = rows(c)
        gap = r.max() - r.max(axis=1).min()
        assert gap > -u, f"{c.id}: rows only {gap} apart, a global max underflows none"
        scale = np.abs(r).max(axis=1)
        ratios.append(scale.max() / scale.min())
        isolated |= r.max() < float_format(dtype).exp_overflow
    assert max(ratios) >= 100, f"{dtype}: row scales differ by at most {max(ratios)}x"
    assert isolated, f"{dtype}: every mixed-scale case also overflows exp"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_ties(full: list[Case], dtype: str) -> None:
    tied_max = False
    for c in of(full, "ties", dtype):
        for r in rows(c):
            assert len(set(r.tolist())) < len(r), f"{c.id}: row {r} has no tie"
            tied_max |= int((r == r.max()).sum()) > 1 and len(set(r.tolist())) > 1
    assert tied_max, f"{dtype}: no row with a tied maximum above other values"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_near_ties(full: list[Case], dtype: str) -> None:
    for c in of(full, "near-ties", dtype):
        for r in rows(c):
            spread = (r.max() - r.min()) / ulp(np.abs(r).max(), dtype)
            assert 0 < spread <= 8, f"{c.id}: row {r} spans {spread} ulps, expected 1 to 8"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_shape_families(full: list[Case], dtype: str) -> None:
    assert all(c.x.ndim == 1 for c in of(full, "1-D", dtype))
    assert all(c.x.ndim == 2 for c in of(full, "2-D", dtype))
    assert {c.x.ndim for c in of(full, "N-D", dtype)} == {3, 4}
    for c in of(full, "axis-not-last", dtype):
        assert c.axis % c.x.ndim != c.x.ndim - 1, c.id
    for c in of(full, "single-element", dtype):
        assert c.x.shape[c.axis] == 1, c.id
    assert any(c.x.size == 1 for c in of(full, "single-element", dtype))
    for c in of(full, "empty", dtype):
        assert c.x.size == 0, c.id


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_special_value_families(full: list[Case], dtype: str) -> None:
    for c in of(full, "pos-inf", dtype):
        assert np.isposinf(c.x.astype(np.float64)).any(), c.id
    for c in of(full, "nan", dtype):
        assert np.isnan(c.x.astype(np.float64)).any(), c.id
    for c in of(full, "neg-inf", dtype):
        r = rows(c)
        assert np.isneginf(r).any(), c.id
        assert not np.isneginf(r).all(axis=1).any(), f"{c.id}: a fully masked row"
    beside = False
    for c in of(full, "all-neg-inf-row", dtype):
        masked = np.isneginf(rows(c)).all(axis=1)
        assert masked.any(), c.id
        beside |= bool((~masked).any())
    assert beside, f"{dtype}: no fully masked row beside ordinary rows"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_subnormal(full: list[Case], dtype: str) -> None:
    fmt = float_format(dtype)
    lo, hi = math.log(fmt.smallest_subnormal), math.log(fmt.tiny)
    kinds: Counter[str] = Counter()
    for c in of(full, "subnormal", dtype):
        found = set()
        if is_subnormal(c.x.astype(np.float64), dtype).any():
            found.add("input")
        logs = np.concatenate([log_softmax(r) for r in rows(c)])
        if ((logs > lo + 0.1) & (logs < hi - 0.1)).any():
            found.add("output")
        assert found, f"{c.id}: no subnormal input and no subnormal output"
        kinds.update(found)
    assert kinds["input"] >= 2 and kinds["output"] >= 2, f"{dtype}: {dict(kinds)}"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_long_row(full: list[Case], dtype: str) -> None:
    long = of(full, "long-row", dtype)
    assert len(long) == 2
    assert long[0].x.shape[long[0].axis] >= LONG_ROW >= 10**5
    equal = long[1].x.astype(np.float64)
    # a denominator above float16's largest value, 65504: every output is 1/70000
    assert equal.shape == (EQUAL_ROW,) and EQUAL_ROW > 65504 and np.all(equal == 0)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_vocab_rows(full: list[Case], dtype: str) -> None:
    vocab = of(full, "vocab-rows", dtype)
    lengths = {c.shape[c.axis] for c in vocab}
    assert lengths == set(VOCAB_LENGTHS) == {32000, 128256, 151936, 262144}
    assert any(c.x.ndim == 2 and c.shape[1 - c.axis % 2] > 1 for c in vocab), "no batch"
    for c in vocab:
        r = rows(c)
        # logits as a language model makes them: N(0, 3) with a few spikes at +20 to +40
        assert np.all(r.max(axis=1) >= 19.5), f"{c.id}: no spike"
        # the median |x| of N(0, 3) is 0.6745 * 3 = 2.02
        assert 1.9 < float(np.median(np.abs(r))) < 2.15, f"{c.id}: not N(0, 3)"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_mixed_batch(full: list[Case], dtype: str) -> None:
    kinds = set()
    for c in of(full, "mixed-batch", dtype):
        r = rows(c)
        special = np.any(np.isnan(r) | np.isposinf(r), axis=1) | np.all(np.isneginf(r), axis=1)
        assert special.sum() == 1 and (~special).sum() >= 7, f"{c.id}: {special}"
        assert np.all(np.isfinite(r[~special])), f"{c.id}: the ordinary rows are not finite"
        kinds |= {t for t in c.tags if t in ("nan", "pos-inf", "all-neg-inf-row")}
    assert kinds == {"nan", "pos-inf", "all-neg-inf-row"}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_non_contiguous(full: list[Case], dtype: str) -> None:
    layouts = set()
    for c in of(full, "non-contiguous", dtype):
        assert not c.x.flags.c_contiguous, f"{c.id}: C-contiguous"
        copy = c.input_copy()
        # delivered as declared: the same strides over a fresh buffer
        assert copy.strides == c.x.strides, f"{c.id}: {copy.strides} != {c.x.strides}"
        assert not np.shares_memory(copy, c.x)
        np.testing.assert_array_equal(copy, c.x)
        assert copy.flags.writeable == (c.layout != "broadcast"), c.id
        layouts.add(c.layout)
    assert layouts == {"Fortran", "transposed", "reversed", "gaps", "broadcast"}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_wide_spread(full: list[Case], dtype: str) -> None:
    u = underflow(dtype)
    spans = []
    for c in of(full, "wide-spread", dtype):
        for r in rows(c):
            span = r.max() - r.min()
            assert span > -u, f"{c.id}: row spans {span}, less than the exp range {-u}"
            spans.append(span)
    assert max(spans) >= 9e3, f"{dtype}: no row spans about [-1e4 .. 0]"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_temperature(full: list[Case], dtype: str) -> None:
    spans = [float(np.ptp(rows(c), axis=1).max()) for c in of(full, "temperature", dtype)]
    assert max(spans) > 100 and min(spans) < 0.5, f"{dtype}: row spans {spans}"


# --------------------------------------------------------------------------- arguments


def test_quick_is_a_smaller_subset_with_every_family(full: list[Case], quick: list[Case]) -> None:
    """Issue 15's floor: every family, dtype and layout at least once, each vocabulary length
    once, and no case in every dtype (JAX and XLA compile per shape and dtype)."""
    full_ids = {c.id for c in full}
    assert {c.id for c in quick} <= full_ids
    assert len(quick) < 0.2 * len(full)
    assert {c.family for c in quick} == set(FAMILIES)
    assert {c.dtype for c in quick} >= set(FLOAT_DTYPES)
    # each core case once: a note (what the case is) is never kept in two dtypes
    notes = Counter((c.family, c.note) for c in quick)
    assert max(notes.values()) == 1, notes.most_common(3)
    # every layout the catalogue builds is there
    assert {c.layout for c in quick} == {c.layout for c in full}
    # the 70,000 equal float16 logits, and the 10^5 row in one dtype of the two it is core in
    long = sorted((c.dtype, c.shape[c.axis]) for c in quick if c.family == "long-row")
    assert long[0] == ("bfloat16", LONG_ROW) or long[0] == ("float16", EQUAL_ROW)
    assert ("float16", EQUAL_ROW) in long and len(long) == 2
    # one row of each vocabulary size, each in its own dtype
    vocab = [(c.dtype, c.shape) for c in quick if c.family == "vocab-rows"]
    assert sorted(n for _, (_, n) in vocab) == sorted(VOCAB_LENGTHS)
    assert sorted(d for d, _ in vocab) == sorted(FLOAT_DTYPES)


def test_quick_keeps_one_case_per_family_but_each_layout_and_length(quick: list[Case]) -> None:
    """--quick runs each family's first core case; the families of QUICK_EVERY keep every
    core case (each is a layout or a length of its own): a subset of core=True."""
    per_family = Counter(c.family for c in quick if c.family not in ("int-input",))
    assert {f for f, n in per_family.items() if n > 1} == set(QUICK_EVERY)
    assert {c.id for c in quick} < {c.id for c in catalog(core=True)}
    # a spec that leads is its family's case: tiny's rows whose exps underflow, whose
    # subnormal outputs XLA flushes to zero (the near-zero row is core, and first)
    (tiny,) = [c for c in quick if c.family == "tiny"]
    assert tiny.note.startswith("every value below -log(max)")


def test_core_keeps_every_core_case_once(full: list[Case]) -> None:
    core = catalog(core=True)
    assert {c.id for c in core} <= {c.id for c in full}
    notes = Counter((c.family, c.note) for c in core)
    assert max(notes.values()) == 1, notes.most_common(3)
    assert len([c for c in core if c.family == "2-D"]) == 4  # each of the family's core cases
    with pytest.raises(ValueError, match="choose one"):
        catalog(quick=True, core=True)


def test_quick_keeps_a_family_whose_core_cases_are_in_other_dtypes() -> None:
    cases = catalog(dtypes=["float64"], quick=True)
    assert {c.family for c in cases} == set(FAMILIES)


def test_dtype_subset_is_a_subset_of_the_full_catalogue(full: list[Case]) -> None:
    cases = catalog(dtypes=["bfloat16", "float64"])
    assert {c.dtype for c in cases} == {"bfloat16", "float64", "int64", "int32"}
    assert {c.id for c in cases} <= {c.id for c in full}
    assert {c.family for c in cases} == set(FAMILIES)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"dtypes": ["float8"]}, "dtypes=['float8']"),
        ({"dtypes": ["float32", "int64"]}, "dtypes=['float32', 'int64']"),
        ({"dtypes": []}, "dtypes=[]"),
        ({"dtypes": "float32"}, "dtypes='float32'"),
        ({"dtypes": None}, "dtypes=None"),
        ({"quick": "yes"}, "quick='yes'"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        catalog(**kwargs)
    assert fragment in str(info.value)
    if "dtypes" in kwargs:
        assert "float16, bfloat16, float32, float64" in str(info.value)
