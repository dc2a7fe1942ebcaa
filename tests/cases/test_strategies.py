"""The Hypothesis strategies: argument validation, and draws that hold what they promise."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

from cases import strategies as S
from cases.dtypes import FLOAT_DTYPES, float_format, np_dtype
from cases.generated import GENERATED_FAMILIES
from cases.model import SPECIAL_TAGS, Case

ROOT = Path(__file__).resolve().parents[2]

QUICK = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
FIND = settings(max_examples=2000, derandomize=True, database=None, phases=[Phase.generate])

dtype_names = st.sampled_from(FLOAT_DTYPES)


def draw_one(strategy: st.SearchStrategy) -> object:
    """One draw, inside Hypothesis (errors raised by the draw propagate)."""
    out = []

    @settings(max_examples=1, derandomize=True, database=None, phases=[Phase.generate])
    @given(strategy)
    def take(value: object) -> None:
        out.append(value)

    take()
    return out[0]


def exact_in(dtype: str, values: object) -> bool:
    """Every value survives a round trip through the dtype unchanged (NaN aside)."""
    a = np.asarray(values, dtype=np.float64)
    back = a.astype(np_dtype(dtype)).astype(np.float64)
    return bool(np.all((back == a) | (np.isnan(a) & np.isnan(back))))


def rows(x: np.ndarray, axis: int) -> np.ndarray:
    """x as float64 rows along axis: shape (number of rows, row length)."""
    r = np.moveaxis(x.astype(np.float64), axis, -1)
    return r.reshape(math.prod(r.shape[:-1]), r.shape[-1])


def ordered(dtype: str, x: np.ndarray) -> np.ndarray:
    """Integers counting representable values: consecutive values differ by 1 (ulp steps)."""
    dt = np_dtype(dtype)
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    bits = np.asarray(x, dtype=dt).view(u).astype(object)  # python ints, no overflow
    sign = 1 << (8 * dt.itemsize - 1)
    return np.array([b if b < sign else -(b - sign) for b in bits.ravel()], dtype=object)


def exp_overflows(dtype: str, v: float) -> bool:
    """exp(v), computed exactly, rounds to inf in dtype (it reaches max + ulp(max) / 2)."""
    fmt = float_format(dtype)
    with mpmath.workdps(60):
        limit = mpmath.mpf(2) ** fmt.emax * (2 - mpmath.mpf(2) ** -fmt.precision)
        return mpmath.exp(mpmath.mpf(v)) >= limit


def exp_underflows(dtype: str, v: float) -> bool:
    """exp(v), computed exactly, rounds to zero in dtype (it is at most half a subnormal)."""
    with mpmath.workdps(60):
        return mpmath.exp(mpmath.mpf(v)) <= mpmath.mpf(float_format(dtype).smallest_subnormal) / 2


# --------------------------------------------------------------------------- arguments

BAD_ARGUMENTS = [
    (lambda: S.shapes(min_dims=3, max_dims=2), "min_dims=3 must be <= max_dims=2"),
    (lambda: S.shapes(min_dims=0), "min_dims=0 must be >= 1"),
    (lambda: S.shapes(min_dims=1.5), "min_dims=1.5 must be an integer"),
    (lambda: S.shapes(max_dims=33), "max_dims=33 must be <= 32"),
    (lambda: S.shapes(min_side=-1), "min_side=-1 must be >= 0"),
    (lambda: S.shapes(min_side=5, max_side=2), "min_side=5 must be <= max_side=2"),
    (lambda: S.shapes(min_side=4, min_dims=5, max_size=100), "min_side=4 with min_dims=5"),
    (lambda: S.shapes_and_axes(min_axis_len=9, max_side=8), "min_axis_len=9 must be <= max_side=8"),
    (lambda: S.axes(()), "shape=() must have at least one dimension"),
    (lambda: S.dtypes(allowed=[]), "allowed=[] must name at least one"),
    (lambda: S.dtypes(allowed=["int8"]), "allowed='int8' is not a float dtype"),
    (lambda: S.dtypes(allowed="float32"), "allowed='float32' must be a sequence"),
    (lambda: S.logits(min_value=5, max_value=1), "min_value=5.0 must be <= max_value=1.0"),
    (lambda: S.logits(min_value=math.nan), "min_value=nan must be finite"),
    (lambda: S.logits("int32"), "dtype='int32' is not a float dtype"),
    (lambda: S.logits("float16", min_value=1e6, max_value=2e6), "beyond the float16 range"),
    (lambda: S.near_overflow(below=False, above=False), "below=False and above=False"),
    (lambda: S.near_overflow(below="yes"), "below='yes' must be True or False"),
    (lambda: S.large_negative(max_value=1.0), "max_value=1.0 must be < 0"),
    (lambda: S.large_negative(min_value=-1, max_value=-5), "min_value=-1.0 must be <= max_value"),
    (lambda: S.subnormals(signed=1), "signed=1 must be True or False"),
    (lambda: S.specials(nan=False, pos_inf=False), "nan=False, pos_inf=False and neg_inf=False"),
    (lambda: S.wide_spread(max_magnitude=0.01), "max_magnitude=0.01 must be >= 0.1"),
    (lambda: S.wide_spread("float16", max_magnitude=1e5), "max_magnitude=100000.0 must be <="),
    (lambda: S.near_ties(ulps=0), "ulps=0 must be >= 1"),
    (lambda: S.masks(fully_masked="no"), "fully_masked='no' must be True, False or None"),
    (
        lambda: S.masks(fully_masked=False, shape=(3, 1)),
        "shape=(3, 1) with axis=-1 has rows of length 1; family='masks' needs rows of at least 2",
    ),
    (
        lambda: S.ties(shape=(4, 1)),
        "shape=(4, 1) with axis=-1 has rows of length 1; family='ties' needs rows of at least 2",
    ),
    (lambda: S.ties(shape=(3, 4), axis=2), "axis=2 must be in [-2, 1] for shape=(3, 4)"),
    (
        lambda: S.mixed_scale_rows(shape=(5,)),
        "has 1 row(s); family='mixed-scale-rows' needs at least 2",
    ),
    (lambda: S.long_rows(min_len=10, max_len=5), "min_len=10 must be <= max_len=5"),
    (lambda: S.long_rows(axis=3), "axis=3: family='long-rows' draws 1-D and 2-D arrays only"),
    (lambda: S.arrays(family="nope"), "family='nope' is not a generated family"),
    (lambda: S.arrays(family="specials"), "family='specials' draws +inf and NaN: it needs allow"),
    (lambda: S.arrays(elements=[1.0]), "elements=[1.0] must be a strategy"),
    (lambda: S.arrays(shape=(2, -1)), "shape=(2, -1) must not have negative sides"),
    (lambda: S.arrays(dtype="int64"), "dtype='int64' is not a float dtype"),
    (lambda: S.arrays(family="ties", shape=(2, 3), axis=st.just(1)), None),  # valid: a control
    (lambda: S.cases(family="specials"), "family='specials' draws +inf and NaN"),
    (lambda: S.cases(shape=(2, 3), axis=5), "axis=5 must be in [-2, 1] for shape=(2, 3)"),
    (lambda: S.cases(family="ties", shape=(3, 1), axis=-1), "family='ties' needs rows of at"),
    (lambda: S.cases(family="ties", shape=(1, 1)), "family='ties' needs rows of at least 2"),
    (lambda: S.cases(allow_special="yes"), "allow_special='yes' must be True or False"),
]


@pytest.mark.parametrize(("make", "message"), BAD_ARGUMENTS)
def test_a_bad_argument_is_named_with_its_value(make, message):
    if message is None:
        assert isinstance(make(), st.SearchStrategy)
        return
    with pytest.raises(InvalidArgument) as info:
        make()
    assert message in str(info.value), f"expected {message!r} in {str(info.value)!r}"


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (lambda: S.arrays(dtype=st.just("int8")), "dtype='int8' is not a float dtype"),
        (lambda: S.arrays(shape=st.just((2, 3)), axis=st.just(4)), "axis=4 must be in [-2, 1]"),
        (lambda: S.cases(family=st.just("nope")), "family='nope' is not a generated family"),
        (lambda: S.axes(st.just(())), "shape=() must have at least one dimension"),
        (lambda: S.logits(st.just("uint8")), "dtype='uint8' is not a float dtype"),
    ],
)
def test_a_bad_value_drawn_from_a_strategy_is_named_at_the_draw(strategy, message):
    with pytest.raises(InvalidArgument) as info:
        draw_one(strategy())
    assert message in str(info.value)


def test_importing_without_hypothesis_says_what_to_install():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import cases, cases.generated\n"
        "assert 'logits' in cases.generated.GENERATED_FAMILIES\n"
        "for what in ('import cases.strategies', 'cases.generated.generated_cases()'):\n"
        "    try:\n"
        "        exec(what)\n"
        "    except ImportError as exc:\n"
        "        print(what, '->', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    for line in lines:
        assert "pip install 'softmax-conformance[test]'" in line, line


# --------------------------------------------------------------------------- shapes, axes, dtypes


@QUICK
@given(st.data())
def test_shapes_respect_their_bounds(data):
    lo_d = data.draw(st.integers(1, 3))
    hi_d = data.draw(st.integers(lo_d, 5))
    lo_s = data.draw(st.integers(0, 2))
    hi_s = data.draw(st.integers(max(lo_s, 1), 6))
    size = data.draw(st.integers(max(lo_s, 1) ** lo_d, 300))
    shape = data.draw(
        S.shapes(min_dims=lo_d, max_dims=hi_d, min_side=lo_s, max_side=hi_s, max_size=size)
    )
    assert lo_d <= len(shape) <= hi_d
    assert all(lo_s <= s <= hi_s for s in shape)
    assert math.prod(shape) <= size


def test_shapes_reach_zero_size_axes_and_five_dimensions():
    assert 0 in find(S.shapes(), lambda s: 0 in s and len(s) >= 2, settings=FIND)
    assert len(find(S.shapes(), lambda s: len(s) == 5, settings=FIND)) == 5


@QUICK
@given(S.shapes_and_axes(min_axis_len=3, max_size=200))
def test_shapes_and_axes_give_a_valid_axis_of_the_asked_length(pair):
    shape, axis = pair
    assert -len(shape) <= axis < len(shape)
    assert shape[axis] >= 3
    assert math.prod(shape) <= 200


def test_axes_are_drawn_negative_and_positive_and_shrink_to_the_last():
    shape = (2, 3, 4, 5)
    assert find(S.axes(shape), lambda a: True, settings=FIND) == -1
    assert find(S.axes(shape), lambda a: a < -1, settings=FIND) in (-2, -3, -4)
    assert find(S.axes(shape), lambda a: a >= 0, settings=FIND) in range(4)
    seen = {find(S.axes(shape), lambda a, k=k: a == k, settings=FIND) for k in range(-4, 4)}
    assert seen == set(range(-4, 4))


def test_dtypes_reach_every_float_dtype_and_only_the_allowed():
    for name in FLOAT_DTYPES:
        assert find(S.dtypes(), lambda d, n=name: d == n, settings=FIND) == name
    with pytest.raises(NoSuchExample):
        find(S.dtypes(allowed=["float32", "float64"]), lambda d: d == "float16", settings=FIND)


# --------------------------------------------------------------------------- element strategies


@QUICK
@given(dtype_names, st.data())
def test_logits_are_exact_finite_and_within_bounds(dtype, data):
    values = data.draw(st.lists(S.logits(dtype, min_value=-3.5, max_value=7.25), min_size=5))
    assert exact_in(dtype, values)
    assert all(-3.5 <= v <= 7.25 for v in values)


@QUICK
@given(dtype_names, st.data())
def test_near_overflow_above_always_crosses_the_threshold(dtype, data):
    values = data.draw(st.lists(S.near_overflow(dtype, below=False), min_size=3))
    assert exact_in(dtype, values)
    for v in values:
        assert v > float_format(dtype).exp_overflow
        assert exp_overflows(dtype, v), f"exp({v!r}) does not overflow {dtype}"


@QUICK
@given(dtype_names, st.data())
def test_near_overflow_below_stays_just_below_the_threshold(dtype, data):
    t = float_format(dtype).exp_overflow
    values = data.draw(st.lists(S.near_overflow(dtype, above=False), min_size=3))
    assert exact_in(dtype, values)
    for v in values:
        assert t - max(4.0, t / 16) <= v < t
        assert not exp_overflows(dtype, v), f"exp({v!r}) overflows {dtype}"


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_overflow_bounds_straddle_the_exact_threshold(dtype):
    b, a = S.overflow_bounds(dtype)
    assert exact_in(dtype, [b, a])
    assert not exp_overflows(dtype, b)
    assert exp_overflows(dtype, a)
    assert ordered(dtype, np.array([a]))[0] - ordered(dtype, np.array([b]))[0] == 1
    t = float_format(dtype).exp_overflow  # log(max): just below the exact threshold
    assert t - (a - b) <= b < a and t < a


def test_near_overflow_draws_both_sides_and_far_beyond():
    t = float_format("float32").exp_overflow
    s = S.near_overflow("float32")
    assert find(s, lambda v: v < t, settings=FIND) < t
    assert t < find(s, lambda v: t < v < 4 * t, settings=FIND) < 4 * t
    assert find(s, lambda v: v > 8 * t, settings=FIND) > 8 * t


@QUICK
@given(dtype_names, st.data())
def test_large_negative_values_are_negative_and_below_u_underflow(dtype, data):
    u = S.underflow_threshold(dtype)
    values = data.draw(st.lists(S.large_negative(dtype), min_size=3))
    assert exact_in(dtype, values)
    assert all(3 * u <= v <= -float_format(dtype).exp_overflow / 2 for v in values)
    under = data.draw(st.lists(S.large_negative(dtype, max_value=u), min_size=3))
    for v in under:
        assert exp_underflows(dtype, v), f"exp({v!r}) does not underflow {dtype}"


@QUICK
@given(dtype_names, st.data())
def test_subnormals_are_subnormal(dtype, data):
    fmt = float_format(dtype)
    values = data.draw(st.lists(S.subnormals(dtype), min_size=5))
    assert exact_in(dtype, values)
    assert all(0 < abs(v) < fmt.tiny for v in values)
    positive = data.draw(st.lists(S.subnormals(dtype, signed=False), min_size=5))
    assert all(0 < v < fmt.tiny for v in positive)


def test_subnormals_reach_both_ends_of_the_subnormal_range():
    fmt = float_format("float16")
    assert find(S.subnormals("float16"), lambda v: True, settings=FIND) == fmt.smallest_subnormal
    top = fmt.tiny - fmt.smallest_subnormal
    assert find(S.subnormals("float16"), lambda v: abs(v) > top / 2, settings=FIND) > top / 2


@QUICK
@given(dtype_names, st.data())
def test_specials_draw_only_what_is_asked(dtype, data):
    values = data.draw(st.lists(S.specials(dtype), min_size=5))
    assert all(v == math.inf or math.isnan(v) for v in values)
    masks_only = data.draw(st.lists(S.specials(dtype, nan=False, pos_inf=False, neg_inf=True)))
    assert all(v == -math.inf for v in masks_only)


@QUICK
@given(dtype_names, st.data())
def test_wide_spread_values_span_zero_down_to_the_magnitude(dtype, data):
    values = data.draw(st.lists(S.wide_spread(dtype, max_magnitude=5e3), min_size=5))
    assert exact_in(dtype, values)
    assert all(-5e3 <= v <= 0 for v in values)


def test_wide_spread_reaches_past_every_underflow_threshold():
    found = find(
        S.wide_spread("float64"), lambda v: v < 2 * S.underflow_threshold("float64"), settings=FIND
    )
    assert found < -1490


# --------------------------------------------------------------------------- row strategies


@QUICK
@given(dtype_names, st.data())
def test_ties_hold_a_row_with_two_equal_values(dtype, data):
    x = data.draw(S.ties(dtype))
    assert x.dtype == np_dtype(dtype)
    r = rows(x, -1)
    assert any(len(np.unique(row)) < row.size for row in r), f"no tie in {r}"


@QUICK
@given(dtype_names, st.data())
def test_ties_compose_with_any_elements(dtype, data):
    x = data.draw(S.ties(dtype, shape=(3, 4), axis=0, elements=S.near_overflow(dtype)))
    assert x.shape == (3, 4)
    r = rows(x, 0)
    assert any(len(np.unique(row)) < row.size for row in r)
    assert np.all(x.astype(np.float64) > float_format(dtype).exp_overflow - 50)


@QUICK
@given(dtype_names, st.integers(1, 6), st.data())
def test_near_ties_are_a_few_ulps_apart_and_not_all_equal(dtype, ulps, data):
    axis = data.draw(st.sampled_from([0, -1]))
    x = data.draw(S.near_ties(dtype, ulps=ulps, shape=(3, 5), axis=axis))
    assert x.shape == (3, 5) and x.dtype == np_dtype(dtype)
    spans = []
    for row in rows(x, axis):
        o = ordered(dtype, row)
        spans.append(max(o) - min(o))
    assert max(spans) <= 2 * ulps, f"a row spans {max(spans)} ulps, more than 2 * {ulps}"
    assert max(spans) >= 1, "every row is an exact tie: no near tie"


@QUICK
@given(dtype_names, st.data())
def test_masks_hold_neg_inf_and_a_fully_masked_row_when_asked(dtype, data):
    x = data.draw(S.masks(dtype, fully_masked=True))
    r = rows(x, -1)
    assert np.isneginf(r).all(axis=1).any(), "no fully masked row"
    assert not np.isnan(r).any() and not np.isposinf(r).any()


@QUICK
@given(dtype_names, st.data())
def test_masks_keep_every_row_alive_when_asked(dtype, data):
    axis = data.draw(st.sampled_from([0, 1, -1]))
    x = data.draw(S.masks(dtype, fully_masked=False, shape=(3, 4, 2), axis=axis))
    r = rows(x, axis)
    assert np.isneginf(r).any(), "no -inf at all"
    assert not np.isneginf(r).all(axis=1).any(), "a fully masked row"


def test_masks_draw_fully_masked_rows_by_default_sometimes():
    fully = find(S.masks(), lambda x: np.isneginf(rows(x, -1)).all(axis=1).any(), settings=FIND)
    assert np.isneginf(fully).any()
    partial = find(
        S.masks(), lambda x: not np.isneginf(rows(x, -1)).all(axis=1).any(), settings=FIND
    )
    assert np.isneginf(partial).any()


@QUICK
@given(dtype_names, st.data())
def test_mixed_scale_rows_differ_in_scale_by_orders_of_magnitude(dtype, data):
    x = data.draw(S.mixed_scale_rows(dtype))
    mags = np.abs(rows(x, -1)).max(axis=1)
    assert mags.size >= 2
    assert mags.min() == 0 or mags.max() / mags.min() >= 50, f"row scales {mags}"


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_long_rows_have_the_asked_length(dtype):
    @settings(max_examples=8, derandomize=True, database=None, deadline=None)
    @given(S.long_rows(dtype, min_len=300, max_len=700))
    def check(x):
        assert x.ndim in (1, 2) and x.dtype == np_dtype(dtype)
        assert 300 <= x.shape[-1] <= 700
        assert np.isfinite(x.astype(np.float64)).all()

    check()


# --------------------------------------------------------------------------- families and cases


def has_feature(family: str, dtype: str, r: np.ndarray) -> bool:
    """The rows r hold what the family promises."""
    fmt = float_format(dtype)
    mags = np.abs(r).max(axis=1)
    return bool(
        {
            "logits": lambda: np.all(np.abs(r) <= 10),
            "huge": lambda: any(exp_overflows(dtype, v) for v in r.ravel()),
            "large-negative": lambda: any(all(exp_underflows(dtype, v) for v in row) for row in r),
            "subnormal": lambda: np.any((r != 0) & (np.abs(r) < fmt.tiny)),
            "ties": lambda: any(len(np.unique(row)) < row.size for row in r),
            "near-ties": lambda: any(len(np.unique(row)) > 1 for row in r),
            "masks": lambda: np.isneginf(r).any(),
            "specials": lambda: np.isposinf(r).any() or np.isnan(r).any(),
            "wide-spread": lambda: np.any(
                r.max(axis=1) - r.min(axis=1) >= 2 * abs(S.underflow_threshold(dtype))
            ),
            "mixed-scale-rows": lambda: mags.max() >= 50 * mags.min(),
        }[family]()
    )


@pytest.mark.parametrize("family", [f for f in GENERATED_FAMILIES if f != "long-rows"])
def test_every_family_gives_its_dtype_shape_and_guarantee(family):
    special = family == "specials"

    @QUICK
    @given(dtype_names, st.data())
    def check(dtype, data):
        x = data.draw(S.arrays(family=family, dtype=dtype, shape=(2, 3, 4), allow_special=special))
        assert x.dtype == np_dtype(dtype) and x.shape == (2, 3, 4) and x.flags.c_contiguous
        r = rows(x, -1)
        if not special:
            assert not np.isnan(r).any() and not np.isposinf(r).any(), "+inf or NaN unasked"
        if family not in ("masks", "specials"):
            assert np.isfinite(r).all()
        assert has_feature(family, dtype, r), f"{family} {dtype} draw lacks its feature: {r}"

    check()


PLANTED = [
    "huge",
    "large-negative",
    "subnormal",
    "ties",
    "near-ties",
    "masks",
    "wide-spread",
    "mixed-scale-rows",
    "specials",
]


@pytest.mark.parametrize("family", PLANTED)
def test_every_family_plants_its_feature_over_plain_elements(family):
    """Over small distinct logits, which hold none of the features by themselves."""

    @QUICK
    @given(dtype_names, st.data())
    def check(dtype, data):
        shape = (2, 2) if family == "mixed-scale-rows" else (1, 2)
        plain = S.logits(dtype, min_value=-1.0, max_value=1.0)
        x = data.draw(
            S.arrays(family=family, dtype=dtype, shape=shape, elements=plain, allow_special=True)
        )
        assert has_feature(family, dtype, rows(x, -1)), f"{family} {dtype}: {x}"

    check()


def expected_tags(case: Case) -> set[str]:
    x = case.x.astype(np.float64)
    r = rows(case.x, case.axis)
    tags = {"1-D" if x.ndim == 1 else "2-D" if x.ndim == 2 else "N-D"}
    if case.axis % x.ndim != x.ndim - 1:
        tags.add("axis-not-last")
    if x.size and np.isnan(x).any():
        tags.add("nan")
    if x.size and np.isposinf(x).any():
        tags.add("pos-inf")
    if x.size and r.size and np.isneginf(r).all(axis=1).any():
        tags.add("all-neg-inf-row")
    if x.size == 0:
        tags.add("empty")
    return tags


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(S.cases(allow_special=True))
def test_cases_are_generated_cases_tagged_as_the_catalogue_tags(case):
    assert isinstance(case, Case) and case.origin == "generated"
    assert case.family in GENERATED_FAMILIES
    assert case.dtype in FLOAT_DTYPES
    assert -case.x.ndim <= case.axis < case.x.ndim
    assert case.family not in case.tags
    checked = {"1-D", "2-D", "N-D", "axis-not-last", "nan", "pos-inf", "all-neg-inf-row", "empty"}
    assert set(case.tags) & checked == expected_tags(case) - {case.family}
    assert case.is_special == bool(SPECIAL_TAGS & expected_tags(case))
    assert case.x.size <= 2 * S.LONG_MAX


@QUICK
@given(S.cases())
def test_cases_without_allow_special_never_hold_pos_inf_or_nan(case):
    assert case.family != "specials"
    x = case.x.astype(np.float64)
    assert not np.isnan(x).any() and not np.isposinf(x).any()


def test_cases_draw_every_family_and_positive_and_negative_axes():
    s = S.cases(allow_special=True)
    for family in GENERATED_FAMILIES:
        assert find(s, lambda c, f=family: c.family == f, settings=FIND).family == family
    assert find(s, lambda c: c.axis < -1, settings=FIND).axis < -1
    assert find(s, lambda c: c.axis > 0, settings=FIND).axis > 0


def test_cases_honour_a_fixed_family_dtype_shape_and_axis():
    case = draw_one(S.cases(family="ties", dtype="bfloat16", shape=(4, 3), axis=0))
    assert (case.family, case.dtype, case.shape, case.axis) == ("ties", "bfloat16", (4, 3), 0)
    assert any(len(np.unique(row)) < row.size for row in rows(case.x, 0))
    fixed_axis = draw_one(S.cases(family="near-ties", axis=2))
    assert fixed_axis.axis == 2 and fixed_axis.x.ndim >= 3
