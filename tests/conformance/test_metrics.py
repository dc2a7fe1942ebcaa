"""Each metric against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cases.dtypes import float_format
from conformance.measure.rows import as_rows, ulp
from conformance.measure.softmax_metrics import softmax_metrics


def test_ulp_of_normal_subnormal_and_zero():
    f32 = float_format("float32")
    assert ulp(np.array([1.0]), f32)[0] == 2.0**-23
    assert ulp(np.array([0.75]), f32)[0] == 2.0**-24
    assert ulp(np.array([0.0]), f32)[0] == 2.0**-149
    assert ulp(np.array([2.0**-130]), f32)[0] == 2.0**-149
    f16 = float_format("float16")
    assert ulp(np.array([1.0]), f16)[0] == 2.0**-10
    assert ulp(np.array([0.0]), f16)[0] == 2.0**-24


def test_as_rows_moves_axis_last():
    a = np.arange(24).reshape(2, 3, 4)
    rows = as_rows(a, 1)
    assert rows.shape == (8, 3)
    assert list(rows[0]) == [0, 4, 8]


def _m(x, y, ref, axis=-1, dtype="float64"):
    return softmax_metrics(np.asarray(x), np.asarray(y), np.asarray(ref), axis, dtype)


def test_exact_output_scores_zero():
    x = np.array([0.0, 0.0])
    m = _m(x, [0.5, 0.5], [0.5, 0.5])
    assert m.max_ulp_error == 0 and m.max_cond_error == 0 and m.row_sum_error == 0
    assert m.nan_count == 0 and not m.nan_on_finite_input
    assert m.shape_ok and m.dtype_ok and m.worst is not None


def test_ulp_error_counts_ulps_of_the_reference():
    x = np.array([0.0, 0.0])
    y = np.array([0.5 + 3 * 2.0**-53, 0.5])  # 3 ulps of 0.5 above
    m = _m(x, y, [0.5, 0.5])
    assert m.max_ulp_error == pytest.approx(3.0)
    # condition bound at x = 0 is 1 + 0 + 0
    assert m.max_cond_error == pytest.approx(3.0)
    assert m.worst.index == (0,) and m.worst.ulp_error == pytest.approx(3.0)


def test_cond_error_divides_by_condition_bound():
    x = np.array([10.0, 10.0])
    y = np.array([0.5 + 2.0**-52, 0.5])  # 2 ulps
    m = _m(x, y, [0.5, 0.5])
    # 1 + |x_i| + sum s_j |x_j| = 1 + 10 + 10 = 21
    assert m.max_cond_error == pytest.approx(2.0 / 21)


def test_row_sum_error_is_exact_and_in_epsilons():
    x = np.zeros((2, 3))
    third = 1.0 / 3.0
    y = np.array([[third, third, third], [0.5, 0.25, 0.25 + 4 * 2.0**-52]])
    ref = np.array([[third, third, third], [0.5, 0.25, 0.25]])
    m = _m(x, y, ref)
    exact_first = abs(math.fsum([third] * 3 + [-1.0])) / 2.0**-52
    assert m.row_sum_error == pytest.approx(max(exact_first, 4.0))


def test_nan_on_finite_input_and_infinite_error():
    x = np.array([1000.0, 1000.0, 100.0])
    y = np.array([np.nan, np.nan, 0.0])
    m = _m(x, y, [0.5, 0.5, 0.0])
    assert m.nan_count == 2 and m.nan_on_finite_input
    assert m.max_ulp_error == math.inf and m.row_sum_error == math.inf


def test_nan_on_non_finite_input_is_not_flagged():
    x = np.array([np.nan, 1.0])
    m = _m(x, [np.nan, np.nan], [np.nan, np.nan])
    assert m.nan_count == 2 and not m.nan_on_finite_input
    assert m.max_ulp_error is None and m.row_sum_error is None  # undefined row left out


def test_shape_and_dtype_checks():
    x = np.zeros((2, 2), dtype=np.float32)
    m = _m(x, np.full(4, 0.5, dtype=np.float32), np.full((2, 2), 0.5), dtype="float32")
    assert not m.shape_ok and m.max_ulp_error is None
    m = _m(x, np.full((2, 2), 0.5), np.full((2, 2), 0.5), dtype="float32")
    assert m.shape_ok and not m.dtype_ok and m.out_dtype == "float64"


def test_wrong_axis_output_reports_the_axis_that_sums_to_one():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    e = np.exp(x)
    y_cols = e / e.sum(axis=0, keepdims=True)  # normalised along axis 0
    ref = e / e.sum(axis=1, keepdims=True)
    m = _m(x, y_cols, ref, axis=1)
    assert m.row_sum_error > 1e10
    assert m.sums_to_one_along == ("0",)


def test_subnormal_reference_uses_subnormal_ulp():
    x = np.array([0.0, -100.0], dtype=np.float32)
    ref = np.array([1.0, np.float32(np.exp(-100.0))], dtype=np.float32)
    assert 0 < ref[1] < np.finfo(np.float32).tiny
    y = ref.copy()
    y[1] = np.nextafter(y[1], np.float32(1))
    m = _m(x, y, ref, dtype="float32")
    assert m.max_ulp_error == pytest.approx(1.0)
