"""The default run's reports fit where they go: report.json under 5 MB (per-element data
lives in outputs.npz), report.md under a pull-request comment's 65,536 characters, and
report.html one file. Built from the session's full run (every registered adapter, the
whole catalogue and generated corpus, every op: `conformance run` without the threads'
printed inputs)."""

from __future__ import annotations

import re

from cases.dtypes import FLOAT_DTYPES
from conformance.ops import OP_NAMES
from conformance.record.model import build_report
from reports import render_html, render_markdown, write_json
from reports.markdown import LIMIT

CONFIG = {"adapters": ["*"], "dtypes": list(FLOAT_DTYPES), "quick": False, "seed": 0,
          "examples": 5, "ops": list(OP_NAMES), "golden": False, "isolation": "process",
          "environments": {}}


def test_the_default_runs_reports_fit(full_run, tmp_path):
    report = build_report(full_run, [], CONFIG)
    path = tmp_path / "report.json"
    write_json(report, path)
    size = path.stat().st_size
    assert size < 5_000_000, f"report.json is {size / 1e6:.2f} MB for the default run"
    assert len(report["results"]["rows"]) == len(full_run.results)
    md = render_markdown(report)
    assert len(md) <= LIMIT and "Left out" not in md, len(md)
    page = render_html(report)
    assert not re.search(r"""<(script|img|link)[^>]*\s(src|href)=""", page)
    # every op's verdict table, and a chart per op and dtype of the long rows
    for op in OP_NAMES:
        assert f'data-op="{op}" data-plot="verdict"' in page, op
        for dtype in FLOAT_DTYPES:
            assert f'id="length-{op}-{dtype}-' in page, (op, dtype)
