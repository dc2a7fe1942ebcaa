"""report.md renders from report.json alone."""

from __future__ import annotations

import json

from reports import render_markdown, write_json


def _report():
    return {
        "schema": "softmax-conformance/report/1",
        "generated": "2026-01-01T00:00:00+00:00",
        "environment": {"python": "3.11", "platform": "linux", "versions": {"numpy": "2.0"}},
        "timing": {"wall": 1.0, "imports": 0.1, "in_adapters": 0.2, "oracle": 0.3},
        "adapters": [
            {"name": "a.ok", "available": True, "reason": None},
            {"name": "b.gone", "available": False, "reason": "No module named 'b'"},
        ],
        "cases": [{"id": "c1"}],
        "results": [{}],
        "summaries": [
            {
                "adapter": "a.ok",
                "verdict": "unexpected defects",
                "cases_run": 1,
                "errors": 0,
                "nan_on_finite_input": 1,
                "input_mutated": 0,
                "detected": ["overflow"],
                "expected": [],
                "families_broken": {"overflow": ["huge"]},
                "per_dtype": {
                    "float32": {
                        "worst_ulp_error": "inf",
                        "worst_cond_error": 2.5,
                        "worst_row_sum_error": 0.5,
                    }
                },
                "worst_case": {
                    "case": "huge/float32/x",
                    "defect": "overflow",
                    "detail": "1 NaN",
                    "element": {"index": [0], "got": "nan", "expected": 0.5, "x": 1000.0},
                    "reproducer": "print(1)",
                },
            }
        ],
        "agreement": {"adapters": ["a.ok"], "matrix": [[1.0]]},
        "conventions": {"a.ok": {"all-neg-inf-row": "nan"}},
        "golden": [],
    }


def test_markdown_shows_every_section(tmp_path):
    md = render_markdown(_report())
    for heading in (
        "## Summary",
        "## Accuracy per dtype",
        "## Case families",
        "## Conventions",
        "## Agreement",
        "## Each defect with a reproducer",
        "## Unavailable",
    ):
        assert heading in md, heading
    assert "| `a.ok` | unexpected defects |" in md
    assert "| adapter | verdict | ops | runs |" in md  # which op each adapter answers
    assert "∞ / 2.5 / 0.5" in md
    assert "out[0]=NaN, expected 0.5" in md
    assert "No module named 'b'" in md


def test_json_round_trip_is_strict(tmp_path):
    path = tmp_path / "report.json"
    write_json(_report(), path)
    assert json.loads(path.read_text()) == _report()  # plain JSON: no NaN or Infinity literals
    assert "Infinity" not in path.read_text()
