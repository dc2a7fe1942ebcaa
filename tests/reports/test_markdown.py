"""report.md: a pull-request comment rendered from report.json alone."""

from __future__ import annotations

import copy
import json

from reports import render_markdown, render_verdict, write_json
from reports.markdown import LIMIT, ratio_text


def test_markdown_reads_as_a_pull_request_comment(small_run, small_report):
    md = (small_run / "report.md").read_text()
    assert md == render_markdown(small_report)
    lines = md.splitlines()
    assert lines[0] == "# softmax-conformance report"
    assert md.index(small_report["verdict"]["text"]) < md.index("## Summary")
    assert "[report.html](report.html)" in md and "[report.json](report.json)" in md
    for heading in ("## Summary", "## Worst finding per adapter", "## Accuracy per op",
                    "### softmax", "### log_softmax", "## Conventions", "## Glossary"):
        assert heading in md, heading
    assert "| adapter | ops | verdict | in plain words | declared defects |" in md
    # a conforming row (torch.softmax declares float64 inaccuracy on long rows since issue 11,
    # which this quick run does not reach, so the reference is the one that conforms here)
    assert ("| `numpy.reference` | softmax, log_softmax, softmax_vjp, cross_entropy | "
            "conforming | conforms |") in md
    naive = next(line for line in lines if line.startswith("| `numpy.naive` | softmax |"))
    assert "overflows" in naive  # the plain-words column
    assert "ULP error is not shown" in md  # the misleading column is dropped, and why
    assert "- `overflow`: exp overflows" in md  # the glossary of defects
    assert "- `condition-aware error`:" in md
    assert " / " not in "".join(line for line in lines if line.startswith("| `numpy.reference`"))


def test_every_cell_is_one_number_relative_to_the_bound():
    assert ratio_text(0.0) == "0" and ratio_text(0.004) == "<0.01" and ratio_text(0.25) == "0.25"
    assert ratio_text(131.2) == "131" and ratio_text(4.3e4) == "4.3e+04"
    assert ratio_text("inf") == "∞" and ratio_text(None) == "–"


def test_a_report_too_long_for_a_comment_leaves_sections_out_and_says_so(small_report):
    big = copy.deepcopy(small_report)
    template = big["summaries"][0]
    big["summaries"] = [{**template, "adapter": f"plugin.{i:04d}"} for i in range(700)]
    big["adapters"] = big["adapters"] + [{"name": f"plugin.{i:04d}", "ops": ["softmax"],
                                          "available": True, "reason": None}
                                         for i in range(700)]
    md = render_markdown(big)
    assert len(md) <= LIMIT
    assert "Left out to fit a pull-request comment" in md or "cut to fit" in md


def test_the_verdict_alone_is_what_ci_appends(small_report):
    text = render_verdict(small_report)
    assert text.startswith("## softmax-conformance\n")
    assert small_report["verdict"]["text"] in text and "| `numpy.naive` |" in text
    assert "## Accuracy" not in text


def test_json_is_strict_and_tables_stay_one_row_per_line(tmp_path, small_report):
    path = tmp_path / "report.json"
    write_json(small_report, path)
    text = path.read_text()

    def refuse(literal):
        raise AssertionError(f"{literal} is not JSON")

    assert json.loads(text, parse_constant=refuse) == small_report
    rows = small_report["results"]["rows"]
    assert len(text.splitlines()) < 4 * len(rows) + 2000


def test_the_scope_line_counts_cases_for_named_adapters_only():
    from reports.markdown import scope

    report = {"adapters": [{"available": True}, {"available": False}],
              "cases": [{"id": "a"}, {"id": "b", "only": ["numpy.naive"]}]}
    assert scope(report) == ("2 cases × 1 available adapters (2 registered; 1 cases run only "
                             "by the adapters they name)")
    report["cases"] = [{"id": "a"}]
    assert scope(report) == "1 cases × 1 available adapters (2 registered)"
