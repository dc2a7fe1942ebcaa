"""reference_cross_entropy: fast == mpmath == plain 400-bit mpmath; labels and conventions.

The independent computation: ``loss = log1p(sum_{j != a} exp(x_j - max)) - (x_label - max)``
at 400 bits, the subtractions exact, then one exact rounding.
"""

from __future__ import annotations

import math

import ml_dtypes
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.dtypes import FLOAT_DTYPES, Format, float_format, np_dtype
from conformance.oracle import (
    reference_cross_entropy,
    reference_cross_entropy_mpmath,
    reference_log_softmax,
    round_to_format,
)
from conformance.oracle.log_softmax import label_rows, solve_cross_entropy
from conformance.oracle.rows import to_rows


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def exact_loss(row: list, label: int, fmt: Format, prec: int = 400) -> float:
    with mpmath.workprec(prec):
        finite = [i for i, v in enumerate(row) if v != -math.inf]
        if row[label] == -math.inf:
            return math.inf
        top = max(row[i] for i in finite)
        a = next(i for i in finite if row[i] == top)
        big_l = mpmath.log1p(
            mpmath.fsum(mpmath.exp(mpmath.mpf(row[j]) - mpmath.mpf(top)) for j in finite if j != a)
        )
        d = mpmath.fsub(mpmath.mpf(row[label]), mpmath.mpf(top), exact=True)
        if d and big_l and mpmath.mag(d) - mpmath.mag(big_l) > 10_000:
            # as in test_oracle_log_softmax.exact_minus: a stand-in for a negligible L
            big_l = mpmath.ldexp(1, int(mpmath.mag(d)) - 10_001)
        return round_to_format(mpmath.fsub(big_l, d, exact=True), fmt)


def _expected(logits: np.ndarray, labels: np.ndarray, out: str) -> np.ndarray:
    flat = logits.reshape(-1, logits.shape[-1]).astype(np.float64).tolist()
    lab = labels.reshape(-1).tolist()
    return np.array([exact_loss(r, c, float_format(out)) for r, c in zip(flat, lab, strict=True)])


def _same(got: np.ndarray, expected: np.ndarray) -> bool:
    g = np.asarray(got, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    return bool(((g == e) & (np.signbit(g) == np.signbit(e)) | (np.isnan(g) & np.isnan(e))).all())


@st.composite
def logits_and_labels(draw, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 16))
    scale = draw(st.sampled_from([1e-6, 1.0, 4.0, 30.0, 300.0, 1e4, 1e8]))
    fmt = float_format(dtype)
    with np.errstate(over="ignore"):
        x = np.clip(rng.standard_normal((m, n)) * scale, -fmt.max, fmt.max)
    if draw(st.booleans()):
        x[rng.random((m, n)) < 0.3] = -np.inf
        x[np.arange(m), rng.integers(0, n, m)] = 0.0
    x = x.astype(np_dtype(dtype))
    where = draw(st.sampled_from(["random", "max", "min"]))
    xf = np.where(np.isneginf(x.astype(np.float64)), np.inf, x.astype(np.float64))
    labels = {
        "random": rng.integers(0, n, m),
        "max": np.argmax(x.astype(np.float64), axis=1),  # loss near 0: -0.0 turns +0.0
        "min": np.argmin(xf, axis=1),  # the tiniest probability: the largest loss
    }[where]
    return x, labels


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@settings(derandomize=True, max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_equals_mpmath_and_plain_mpmath(dtype, data):
    x, labels = data.draw(logits_and_labels(dtype))
    fast = reference_cross_entropy(x, labels, 1)
    slow = reference_cross_entropy_mpmath(x, labels, 1)
    what = f"cross_entropy(logits={x.tolist()!r} ({dtype}), labels={labels.tolist()})"
    assert fast.dtype == np_dtype(dtype) and fast.shape == labels.shape
    assert _bits(fast) == _bits(slow), f"{what}: fast {fast.tolist()}, mpmath {slow.tolist()}"
    assert _same(fast, _expected(x, labels, dtype)), (
        f"{what}: {fast.tolist()}, expected {_expected(x, labels, dtype).tolist()}"
    )
    # rounding commutes with negation: the loss is minus log_softmax at the label (+0.0 for 0)
    y = reference_log_softmax(x, 1)[np.arange(len(labels)), labels]
    assert _bits(fast) == _bits((0.0 - y.astype(np.float64)).astype(fast.dtype))


@pytest.mark.parametrize("out_dtype", FLOAT_DTYPES)
def test_logits_times_1e8_are_finite_at_any_label(out_dtype):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((50, 10)) * 1e8
    for labels in (np.argmax(x, axis=1), np.argmin(x, axis=1), rng.integers(0, 10, 50)):
        loss = reference_cross_entropy(x, labels, 1, out_dtype)
        expected = _expected(x, labels, out_dtype)
        assert _same(loss, expected), f"{loss.tolist()} != {expected.tolist()}"
        if out_dtype in ("float64", "float32", "bfloat16"):
            assert np.isfinite(loss).all()
    top = reference_cross_entropy(x, np.argmax(x, axis=1), 1)
    assert (top == 0).all() and not np.signbit(top).any(), "loss at the max is +0.0"
    _, stats = solve_cross_entropy(
        to_rows(x, 1, None), label_rows(np.argmin(x, 1), to_rows(x, 1, None), x.shape)
    )
    assert stats.mp_rows == 0, stats


def test_shapes_axes_and_dtypes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 5, (3, 4))
    loss = reference_cross_entropy(x, labels, 1)
    assert loss.shape == (3, 4) and loss.dtype == np.float32
    moved = np.moveaxis(x, 1, -1)
    for i in range(3):
        for j in range(4):
            single = reference_cross_entropy(moved[i, j], np.array(labels[i, j]), 0)
            assert single.shape == () and single == loss[i, j]
    assert reference_cross_entropy(x, labels, 1, "float16").dtype == np.float16
    assert reference_cross_entropy(x.astype(ml_dtypes.bfloat16), labels, 1).dtype == np.dtype(
        ml_dtypes.bfloat16
    )
    assert reference_cross_entropy(np.array([[1, 2]], dtype=np.int64), np.array([0]), 1).dtype == (
        np.float64
    )
    empty = reference_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int), 1)
    assert empty.shape == (0,)


def test_special_values():
    x = np.array(
        [
            [1.0, np.nan, 2.0],
            [np.inf, 0.0, 1.0],
            [-np.inf] * 3,
            [0.0, -np.inf, 1.0],
            [5.0, -np.inf, -np.inf],
        ]
    )
    loss = reference_cross_entropy(x, np.array([0, 1, 2, 1, 0]), 1)
    assert np.isnan(loss[:3]).all()
    assert loss[3] == np.inf, "a label at a -inf logit costs +inf"
    assert loss[4] == 0 and not np.signbit(loss[4]), "one finite logit: exactly +0.0"
    # beyond the format's range: +inf (IEEE overflow), e.g. float16
    big = reference_cross_entropy(np.array([[6e4, -6e4]], dtype=np.float16), np.array([1]), 1)
    assert big.tolist() == [np.inf]


def test_bad_labels_are_named():
    x = np.zeros((2, 3, 4))
    ok = np.zeros((2, 4), dtype=int)
    bad = ok.copy()
    bad[1, 2] = 3
    with pytest.raises(ValueError, match=r"labels\[1, 2\]=3 is out of range for 3 classes"):
        reference_cross_entropy(x, bad, 1)
    bad[1, 2] = -1
    with pytest.raises(ValueError, match=r"labels\[1, 2\]=-1"):
        reference_cross_entropy(x, bad, 1)
    with pytest.raises(ValueError, match=r"labels\[\]=7 .* 0 <= label < 4"):
        reference_cross_entropy(np.zeros(4), np.array(7), 0)
    with pytest.raises(ValueError, match=r"labels\[0\]=18446744073709551615"):
        reference_cross_entropy(np.zeros((1, 4)), np.array([2**64 - 1], dtype=np.uint64), 1)
    with pytest.raises(
        ValueError, match=r"labels of shape \(4, 2\) .* expected labels of shape \(2, 4\)"
    ):
        reference_cross_entropy(x, ok.T, 1)
    with pytest.raises(TypeError, match="labels of dtype=float64"):
        reference_cross_entropy(x, ok.astype(float), 1)
    with pytest.raises(TypeError, match="cross_entropy of dtype=complex128"):
        reference_cross_entropy(np.zeros((1, 2), dtype=complex), np.array([0]), 1)
