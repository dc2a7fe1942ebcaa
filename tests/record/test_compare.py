"""diff --exact: the same record whatever the order, timings and versions; any other change
is a difference, a new field is listed apart. Tables (results, violations) are compared
as their records."""

from __future__ import annotations

import copy

from conformance.record.compare import compare_reports
from conformance.record.results import decode_results, results_table

RESULTS = [{"adapter": "a", "case": "c1", "op": "softmax", "status": "ok",
            "max_cond_error": 0.5, "seconds": 0.1},
           {"adapter": "b", "case": "c1", "op": "softmax", "status": "ok",
            "max_cond_error": 1.5, "seconds": 0.2}]


def _report(results=RESULTS):
    return {
        "schema": "softmax-conformance/report/2",
        "generated": "2026-01-01", "timing": {"wall": 1.0},
        "environment": {"python": "3.11"},
        "adapters": [{"name": "a", "versions": {"numpy": "2"}}, {"name": "b"}],
        "results": results_table(results),
        "agreement": {"softmax": {"adapters": ["a", "b"], "matrix": [[1.0, 0.5], [0.5, 1.0]]}},
    }


def test_order_timings_and_versions_do_not_count():
    old = _report()
    changed = copy.deepcopy(RESULTS[::-1])
    changed[0]["seconds"] = 7.0
    new = _report(changed)
    new["adapters"].reverse()
    new["timing"]["wall"] = 9.0
    new["adapters"][1]["versions"] = {"numpy": "3"}
    new["agreement"] = {"softmax": {"adapters": ["b", "a"],
                                    "matrix": [[1.0, 0.5], [0.5, 1.0]]}}
    new["speed"] = {"rows": []}
    assert compare_reports(old, new) == ([], [])


def test_a_changed_number_is_a_difference_and_a_new_field_is_listed_apart():
    changed = copy.deepcopy(RESULTS)
    changed[1]["max_cond_error"] = 1.6
    old, new = _report(), _report(changed)
    new["adapters"][0]["expected_when"] = {}
    new["ops"] = {}
    diffs, added = compare_reports(old, new)
    assert len(diffs) == 1 and "max_cond_error" in diffs[0] and "1.5 -> 1.6" in diffs[0]
    assert added == ["expected_when", "ops"]


def test_a_missing_record_is_a_difference():
    old, new = _report(), _report(RESULTS[1:])
    diffs, _ = compare_reports(old, new)
    assert diffs == ["results[('a', 'c1', 'softmax')]: only in OLD"]


def test_the_results_table_decodes_to_its_records():
    table = results_table(RESULTS)
    assert [{k: r[k] for k in RESULTS[0]} for r in decode_results(table)] == RESULTS
    assert decode_results(table)[0]["warnings"] == [] and decode_results(table)[0]["stdout"] == ""
