"""The worker protocol carries every array exactly: shape (0-d included), dtype, values and
memory layout; and a run in worker processes gives what the same run in-process gives, for
every op."""

from __future__ import annotations

import io

import ml_dtypes
import numpy as np
import pytest

from adapters import get
from cases import catalog
from conformance.execute.executors import InProcess, Isolated
from conformance.execute.protocol import read_message, write_message
from conformance.execute.runner import run

ARRAYS = {
    "0-d loss": np.array(2.5, dtype=np.float32),
    "0-d label": np.array(3, dtype=np.int64),
    "1-D": np.array([1.0, -np.inf, np.nan]),
    "2-D": np.arange(6, dtype=np.float16).reshape(2, 3),
    "bfloat16": np.array([[1.5, -2.0]], dtype=ml_dtypes.bfloat16),
    "0-d bfloat16": np.array(1.5, dtype=ml_dtypes.bfloat16),
    "empty": np.zeros((3, 0)),
    "gaps": np.arange(24.0).reshape(3, 8)[:, ::2],
    "Fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "transposed 3-D": np.arange(24.0, dtype=np.float32).reshape(2, 3, 4).transpose(1, 0, 2),
    "reversed": np.arange(12.0).reshape(3, 4)[::-1, ::-2],
    "broadcast": np.broadcast_to(np.arange(4.0), (3, 4)),
    "bfloat16 reversed": np.arange(6.0).reshape(2, 3).astype(ml_dtypes.bfloat16)[:, ::-1],
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_arrays_round_trip(name):
    a = ARRAYS[name]
    buf = io.BytesIO()
    write_message(buf, {"kind": "test"}, [a])
    buf.seek(0)
    header, (b,) = read_message(buf)
    assert header["kind"] == "test"
    assert b.shape == a.shape and b.dtype == a.dtype
    assert b.flags.c_contiguous == a.flags.c_contiguous
    assert b.strides == a.strides or not a.size, "the layout arrives as it was sent"
    assert b.flags.writeable == a.flags.writeable, "a broadcast view stays read-only"
    np.testing.assert_array_equal(b.astype(np.float64), a.astype(np.float64))


def test_worker_results_equal_in_process_results_for_every_op(oracle):
    """1-D rows give a 0-d label and a 0-d loss: both must cross the process boundary as
    0-d, or a per-row loss is reported as shape-changed (and torch reads a (1,) target as
    class probabilities)."""
    cases = [c for c in catalog(dtypes=("float32",)) if c.family in ("1-D", "2-D", "N-D")]
    adapters = [get("numpy.reference")]
    fields = ("status", "shape_ok", "dtype_ok", "max_cond_error", "row_sum_error", "error")
    ops = ("softmax", "log_softmax", "softmax_vjp", "cross_entropy")
    here = run(adapters, cases, oracle=oracle, ops=ops, executor=InProcess())
    executor = Isolated(timeout=60.0)
    try:
        there = run(adapters, cases, oracle=oracle, ops=ops, executor=executor)
    finally:
        executor.close()
    key = {(r.case, r.op): r for r in here.results}
    assert len(there.results) == len(here.results) > 0
    for r in there.results:
        mine = key[(r.case, r.op)]
        assert [getattr(r, f) for f in fields] == [getattr(mine, f) for f in fields], (
            r.case, r.op, r.error)
