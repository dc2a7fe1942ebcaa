"""The compact table report.json keeps its results and violations in."""

from __future__ import annotations

import json

import numpy as np

from conformance.measure.records import Result, Worst, to_jsonable
from conformance.record.results import (
    DETAILS,
    decode_details,
    encode_details,
    result_records,
    results_from,
    results_table,
)
from conformance.record.table import decode_table, encode_table


def test_categorical_columns_store_indices_and_rows_stop_at_their_last_value():
    records = [{"name": "torch", "status": "ok", "x": 1.5, "note": None},
               {"name": "torch", "status": "error", "x": None, "note": None},
               {"name": "scipy", "status": "ok", "x": 2.0, "note": "hi"}]
    table = encode_table(records, ("name", "status", "x", "note"),
                         categorical=("name", "status"))
    assert table["categories"] == {"name": ["torch", "scipy"], "status": ["ok", "error"]}
    assert table["rows"] == [[0, 0, 1.5], [0, 1], [1, 0, 2.0, "hi"]]
    assert decode_table(json.loads(json.dumps(table))) == records


def test_lists_of_categories_and_booleans_are_compact_and_come_back():
    records = [{"w": ["a", "b"], "ok": True}, {"w": ["b"], "ok": False}, {"w": [], "ok": None}]
    table = encode_table(records, ("w", "ok"), categorical=("w",), booleans=("ok",),
                         defaults={"w": []})
    assert table["rows"] == [[[0, 1], 1], [[1], 0], []]  # a row of defaults is empty
    assert decode_table(json.loads(json.dumps(table))) == records


def test_results_and_their_details_come_back_as_the_same_results():
    results = [
        Result("a", "c1", "softmax", "ok", nan_count=0, inf_count=1, max_cond_error=0.25,
               max_cond_error_normal=0.25,
               max_ulp_error=float("inf"), nonfinite_rows=(0, 3), seconds=0.000123456,
               worst=Worst((0, 2), 0.5, 0.25, 700.0, 3.0), warnings=("RuntimeWarning: x",)),
        Result("b", "c1", "log_softmax", "unsupported", error="dtype float16 not accepted"),
        Result("a", "c2", "softmax", "error", error="ValueError: no", stdout="printed"),
    ]
    records = result_records(results)
    table = json.loads(json.dumps(results_table(records)))
    arrays = encode_details(records)
    assert set(arrays) == {DETAILS} and arrays[DETAILS].dtype == np.uint8
    back = results_from(table, decode_details(arrays))
    seconds = [r.seconds for r in back]
    assert seconds[0] == 0.000123  # whole microseconds: timings vary anyway
    strip = [to_jsonable(r) | {"seconds": None} for r in results]
    assert [to_jsonable(r) | {"seconds": None} for r in back] == strip


def test_a_table_is_far_smaller_than_its_records():
    results = [Result(f"adapter.{i % 40}", f"family/float32/{i:010x}", "softmax", "ok",
                      nan_count=0, inf_count=0, nan_on_finite_input=False,
                      row_sum_error=0.1 * i, max_ulp_error=1.0, max_cond_error=0.01 * i,
                      shape_ok=True, dtype_ok=True, out_dtype="float32",
                      input_mutated=False, seconds=1e-4) for i in range(2000)]
    records = result_records(results)
    as_objects = len(json.dumps([{k: v for k, v in r.items() if k != "worst"}
                                 for r in records]))
    assert len(json.dumps(results_table(records))) < as_objects / 3
