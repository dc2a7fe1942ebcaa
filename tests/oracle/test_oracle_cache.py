"""Oracle: answers cached by key in memory and on disk, invalidated by ORACLE_VERSION."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import conformance.oracle.cache as cache_mod
from conformance.oracle import Oracle, reference_softmax

X = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -np.inf]], dtype=np.float32)


def test_memory_cache_hits_and_counts():
    oracle = Oracle()
    a = oracle.softmax("case/1", X, 1)
    assert (oracle.hits, oracle.misses) == (0, 1)
    spent = oracle.seconds
    assert spent > 0
    b = oracle.softmax("case/1", X, 1)
    assert (oracle.hits, oracle.misses) == (1, 1)
    assert b is a and oracle.seconds == spent, "a cache hit must not count as computing time"
    np.testing.assert_array_equal(a, reference_softmax(X, 1))
    assert a.dtype == np.float32


def test_answers_are_read_only():
    y = Oracle().softmax("case/ro", X, 1)
    with pytest.raises(ValueError):
        y[0, 0] = 1.0


def test_key_alone_decides_so_out_dtype_and_axis_are_part_of_it():
    oracle = Oracle()
    y32 = oracle.softmax("case/2", X, 1)
    y16 = oracle.softmax("case/2", X, 1, "float16")
    y0 = oracle.softmax("case/2", X, 0)
    assert y16.dtype == np.float16 and y32.dtype == np.float32
    np.testing.assert_array_equal(y0, reference_softmax(X, 0))
    assert oracle.misses == 3


def test_disk_cache_is_read_back_by_a_new_oracle(tmp_path):
    first = Oracle(cache_dir=tmp_path)
    a = first.softmax("case/3", X, 1)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"
    assert "case" not in files[0].name, "file names are hashes, not keys"
    second = Oracle(cache_dir=tmp_path)
    b = second.softmax("case/3", X, 1)
    assert (second.hits, second.misses, second.seconds) == (1, 0, 0.0)
    assert b.dtype == a.dtype and b.tobytes() == a.tobytes()


def _replace_value(path, value, digest=None):
    with np.load(path) as data:
        kept = data["digest"] if digest is None else digest
    np.savez(path, value=value, digest=kept)


def test_a_planted_answer_is_discarded_with_a_warning_and_recomputed(tmp_path):
    """Filling the cache with another softmax's values (at temperature 1.0001, say) must
    not make that implementation conform: the digest of key and content does not match."""
    a = Oracle(cache_dir=tmp_path).softmax("case/3", X, 1)
    (path,) = tmp_path.iterdir()
    with np.errstate(divide="ignore"):
        warm = reference_softmax(X.astype(np.float64) / 1.0001, 1)
    _replace_value(path, np.nan_to_num(warm.astype(np.float64), nan=0.25))
    second = Oracle(cache_dir=tmp_path)
    with pytest.warns(cache_mod.OracleCacheWarning, match=str(path)):
        b = second.softmax("case/3", X, 1)
    assert second.misses == 1 and b.tobytes() == a.tobytes()


def test_one_flipped_bit_is_found(tmp_path):
    a = Oracle(cache_dir=tmp_path).softmax("case/3", X, 1)
    (path,) = tmp_path.iterdir()
    with np.load(path) as data:
        value = data["value"].copy()
    value.view(np.uint64)[0, 0] ^= np.uint64(1 << 55)  # an exponent bit
    _replace_value(path, value)
    with pytest.warns(cache_mod.OracleCacheWarning, match="does not match"):
        b = Oracle(cache_dir=tmp_path).softmax("case/3", X, 1)
    assert b.tobytes() == a.tobytes()


def test_an_entry_of_other_inputs_under_the_same_key_is_not_used(tmp_path):
    """The key carries the inputs' bytes: the same case id with other values misses."""
    Oracle(cache_dir=tmp_path).softmax("case/same-id", X, 1)
    other = Oracle(cache_dir=tmp_path)
    y = other.softmax("case/same-id", X * 2, 1)
    assert other.misses == 1
    np.testing.assert_array_equal(y, reference_softmax(X * 2, 1))


def test_disk_round_trip_is_exact_for_bfloat16(tmp_path):
    x = (np.arange(12).reshape(3, 4) * 0.7).astype(ml_dtypes.bfloat16)
    a = Oracle(cache_dir=tmp_path).softmax("case/bf16", x, 1)
    b = Oracle(cache_dir=tmp_path).softmax("case/bf16", x, 1)
    assert a.dtype == b.dtype == np.dtype(ml_dtypes.bfloat16)
    assert a.tobytes() == b.tobytes()


def test_version_change_invalidates_the_disk_cache(tmp_path, monkeypatch):
    Oracle(cache_dir=tmp_path).softmax("case/4", X, 1)
    monkeypatch.setattr(cache_mod, "ORACLE_VERSION", cache_mod.ORACLE_VERSION + "-changed")
    other = Oracle(cache_dir=tmp_path)
    other.softmax("case/4", X, 1)
    assert (other.hits, other.misses) == (0, 1)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_unreadable_or_mismatched_files_are_recomputed(tmp_path):
    Oracle(cache_dir=tmp_path).softmax("case/5", X, 1)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not an npz file")
    again = Oracle(cache_dir=tmp_path)
    with pytest.warns(cache_mod.OracleCacheWarning, match="unreadable"):
        np.testing.assert_array_equal(again.softmax("case/5", X, 1), reference_softmax(X, 1))
    assert again.misses == 1
    _replace_value(path, np.zeros((5, 5)))  # wrong shape
    third = Oracle(cache_dir=tmp_path)
    with pytest.warns(cache_mod.OracleCacheWarning, match="expected"):
        np.testing.assert_array_equal(third.softmax("case/5", X, 1), reference_softmax(X, 1))
    assert third.misses == 1


def test_writes_leave_no_temporary_files(tmp_path):
    oracle = Oracle(cache_dir=tmp_path / "nested")
    for i in range(3):
        oracle.softmax(f"case/{i}", X * (i + 1), 1)
    names = sorted(p.name for p in (tmp_path / "nested").iterdir())
    assert len(names) == 3 and all(n.endswith(".npz") and not n.startswith(".") for n in names)
