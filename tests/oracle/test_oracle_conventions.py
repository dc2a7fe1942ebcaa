"""Special values, shapes, axes, dtypes and argument checking, for both oracle paths."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from conformance.oracle import reference_softmax, reference_softmax_mpmath

PATHS = [reference_softmax, reference_softmax_mpmath]
IDS = ["fast", "mpmath"]


def _nan_rows(y: np.ndarray) -> list[bool]:
    return [bool(np.isnan(r).all()) for r in np.asarray(y, dtype=np.float64)]


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_undefined_rows_are_all_nan_and_others_untouched(softmax):
    x = np.array(
        [
            [1.0, np.nan, 2.0],  # NaN
            [np.inf, 0.0, 1.0],  # +inf
            [np.inf, np.inf, 1.0],  # +inf twice
            [-np.inf, -np.inf, -np.inf],  # fully masked
            [-np.inf, 0.0, -np.inf],  # partial mask: one-hot
            [2.0, -np.inf, 2.0],  # partial mask
            [np.nan, -np.inf, np.inf],
        ]
    )
    y = softmax(x, 1)
    assert _nan_rows(y) == [True, True, True, True, False, False, True], y
    assert y[4].tolist() == [0.0, 1.0, 0.0], y[4]
    assert y[5].tolist() == [0.5, 0.0, 0.5], y[5]


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_partial_mask_equals_softmax_of_the_unmasked(softmax):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(9) * 5
    mask = np.array([0, 1, 1, 0, 0, 1, 0, 1, 0], dtype=bool)
    masked = np.where(mask, -np.inf, x)
    y = softmax(masked, 0)
    assert (y[mask] == 0.0).all()
    np.testing.assert_array_equal(y[~mask], softmax(x[~mask], 0))


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
@pytest.mark.parametrize(
    "shape, axis", [((0,), 0), ((3, 0), 1), ((3, 0), 0), ((0, 4), 1), ((2, 0, 3), -1)]
)
def test_empty_input_gives_empty_output(softmax, shape, axis):
    y = softmax(np.zeros(shape, dtype=np.float32), axis)
    assert y.shape == shape and y.dtype == np.float32


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
@pytest.mark.parametrize(
    "dtype", [np.float16, ml_dtypes.bfloat16, np.float32, np.float64, np.int32]
)
def test_rows_of_length_one_give_one(softmax, dtype):
    x = np.array([[3], [-7], [0]], dtype=dtype)
    y = softmax(x, 1)
    assert y.astype(np.float64).tolist() == [[1.0], [1.0], [1.0]]


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_equal_elements_give_exactly_one_over_k(softmax):
    y = softmax(np.full((2, 3), 7.5), 1)
    assert (y == 1 / 3).all(), y
    assert (softmax(np.full(4, -2.0), 0) == 0.25).all()


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float16, np.float16),
        (ml_dtypes.bfloat16, ml_dtypes.bfloat16),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int8, np.float64),
        (np.int64, np.float64),
        (np.uint16, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_default_output_dtype(dtype, expected):
    y = reference_softmax(np.array([[1, 0], [0, 1]], dtype=dtype), 1)
    assert y.dtype == np.dtype(expected), f"{np.dtype(dtype)} input gave {y.dtype}"


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_out_dtype_overrides(softmax):
    x = np.array([0.0, 1.0, 2.0])
    assert softmax(x, 0, "float16").dtype == np.float16
    assert softmax(x, 0, "bfloat16").dtype == np.dtype(ml_dtypes.bfloat16)
    y32 = softmax(x, 0, "float32")
    assert y32.dtype == np.float32
    # rounded once from the exact value, not via float64 (no double rounding here either way)
    assert y32.tolist() == np.float32(softmax(x, 0)).tolist()


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_integers_beyond_float64_are_taken_exactly(softmax):
    # 2**62 - 1 and 2**62 - 3 are not float64 numbers; the differences 0, -1, -3 are what count.
    x = np.array([2**62, 2**62 - 1, 2**62 - 3], dtype=np.int64)
    y = softmax(x, 0)
    np.testing.assert_array_equal(y, reference_softmax_mpmath(np.array([3.0, 2.0, 0.0]), 0))
    u = np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)
    np.testing.assert_array_equal(softmax(u, 0), reference_softmax(np.array([1.0, 0.0]), 0))


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_any_axis_of_an_nd_array(softmax):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5)) * 3
    for axis in range(-4, 4):
        y = softmax(x, axis)
        moved = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
        rows = np.stack([softmax(r, 0) for r in moved])
        expected = np.moveaxis(rows.reshape(np.moveaxis(x, axis, -1).shape), -1, axis)
        assert y.shape == x.shape
        np.testing.assert_array_equal(y, expected, err_msg=f"axis={axis}")


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_non_contiguous_input(softmax):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((6, 10)).astype(np.float32)
    views = [base[::2, ::3], base.T, base[:, 1:9:2].T]
    for v in views:
        assert not v.flags.c_contiguous
        np.testing.assert_array_equal(softmax(v, 0), softmax(np.ascontiguousarray(v), 0))
        np.testing.assert_array_equal(softmax(v, 1), softmax(np.ascontiguousarray(v), 1))


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_input_is_not_modified(softmax):
    x = np.array([[1.0, 2.0, -np.inf], [np.nan, 0.0, 1.0]])
    before = x.copy()
    softmax(x, 1)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("softmax", PATHS, ids=IDS)
def test_bad_arguments_are_named(softmax):
    with pytest.raises(ValueError, match="axis=2"):
        softmax(np.zeros((2, 2)), 2)
    with pytest.raises(ValueError, match="0-d"):
        softmax(np.float64(1.0), 0)
    with pytest.raises(ValueError, match="int32"):
        softmax(np.zeros(3), 0, "int32")
    with pytest.raises(TypeError, match="complex128"):
        softmax(np.zeros(3, dtype=complex), 0)
