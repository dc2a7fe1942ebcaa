"""Oracle.log_softmax / softmax_vjp / cross_entropy: cached per op, in memory and on disk."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import conformance.oracle.cache as cache_mod
from conformance.oracle import (
    Oracle,
    reference_cross_entropy,
    reference_log_softmax,
    reference_softmax,
    reference_softmax_vjp,
)

X = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -np.inf]], dtype=np.float32)
G = np.array([[1.0, -2.0, 0.5], [0.25, 4.0, 9.0]], dtype=np.float32)
LABELS = np.array([2, 0])

CALLS = {
    "log_softmax": (
        lambda o, key, **kw: o.log_softmax(key, X, 1, **kw),
        lambda **kw: reference_log_softmax(X, 1, **kw),
    ),
    "softmax_vjp": (
        lambda o, key, **kw: o.softmax_vjp(key, X, G, 1, **kw),
        lambda **kw: reference_softmax_vjp(X, G, 1, **kw),
    ),
    "cross_entropy": (
        lambda o, key, **kw: o.cross_entropy(key, X, LABELS, 1, **kw),
        lambda **kw: reference_cross_entropy(X, LABELS, 1, **kw),
    ),
}


@pytest.mark.parametrize("op", sorted(CALLS))
def test_each_op_is_cached_in_memory(op):
    call, reference = CALLS[op]
    oracle = Oracle()
    a = call(oracle, "case/1")
    assert (oracle.hits, oracle.misses) == (0, 1) and oracle.seconds > 0
    spent = oracle.seconds
    b = call(oracle, "case/1")
    assert b is a and (oracle.hits, oracle.misses) == (1, 1) and oracle.seconds == spent
    np.testing.assert_array_equal(a, reference())
    assert a.dtype == np.float32
    with pytest.raises(ValueError):
        a.flat[0] = 1.0
    f16 = call(oracle, "case/1", out_dtype="float16")
    assert f16.dtype == np.float16 and oracle.misses == 2
    np.testing.assert_array_equal(f16, reference(out_dtype="float16"))


def test_one_key_for_four_ops_gives_four_answers():
    oracle = Oracle()
    answers = [
        oracle.softmax("same", X, 1),
        oracle.log_softmax("same", X, 1),
        oracle.softmax_vjp("same", X, G, 1),
        oracle.cross_entropy("same", X, LABELS, 1),
    ]
    assert oracle.misses == 4 and oracle.hits == 0
    np.testing.assert_array_equal(answers[0], reference_softmax(X, 1))
    np.testing.assert_array_equal(answers[1], reference_log_softmax(X, 1))
    np.testing.assert_array_equal(answers[2], reference_softmax_vjp(X, G, 1))
    assert answers[3].shape == (2,)


@pytest.mark.parametrize("op", sorted(CALLS))
def test_each_op_is_read_back_from_disk(op, tmp_path):
    call, _ = CALLS[op]
    first = call(Oracle(cache_dir=tmp_path), "case/disk")
    second = Oracle(cache_dir=tmp_path)
    got = call(second, "case/disk")
    assert (second.hits, second.misses, second.seconds) == (1, 0, 0.0)
    assert got.dtype == first.dtype and got.tobytes() == first.tobytes()
    (path,) = tmp_path.iterdir()
    with np.load(path) as data:
        digest = data["digest"]
    np.savez(path, value=np.full(first.shape, 0.25), digest=digest)  # planted
    third = Oracle(cache_dir=tmp_path)
    with pytest.warns(cache_mod.OracleCacheWarning):
        again = call(third, "case/disk")
    assert third.misses == 1 and again.tobytes() == first.tobytes()


def test_cross_entropy_shapes_survive_the_disk(tmp_path):
    logits = np.arange(8.0).reshape(8)
    a = Oracle(cache_dir=tmp_path).cross_entropy("ce/0d", logits, np.array(3), 0)
    b = Oracle(cache_dir=tmp_path).cross_entropy("ce/0d", logits, np.array(3), 0)
    assert a.shape == b.shape == () and a == b
    x = (np.arange(24).reshape(2, 3, 4) * 0.7).astype(ml_dtypes.bfloat16)
    labels = np.zeros((2, 4), dtype=np.int64)
    c = Oracle(cache_dir=tmp_path).cross_entropy("ce/bf16", x, labels, 1)
    d = Oracle(cache_dir=tmp_path).cross_entropy("ce/bf16", x, labels, 1)
    assert c.dtype == d.dtype == np.dtype(ml_dtypes.bfloat16) and c.tobytes() == d.tobytes()


def test_version_change_invalidates_every_op(tmp_path, monkeypatch):
    for call, _ in CALLS.values():
        call(Oracle(cache_dir=tmp_path), "case/v")
    assert len(list(tmp_path.glob("*.npz"))) == 3
    monkeypatch.setattr(cache_mod, "ORACLE_VERSION", cache_mod.ORACLE_VERSION + "-changed")
    other = Oracle(cache_dir=tmp_path)
    for call, _ in CALLS.values():
        call(other, "case/v")
    assert (other.hits, other.misses) == (0, 3)
