"""report.html: self-contained (nothing fetched), every item the report promises, rendered
from report.json's content alone; `conformance report --format` re-renders every format."""

from __future__ import annotations

import re

import pytest

from conformance.cli import main
from reports import render_html


def test_run_writes_a_self_contained_page(small_run, small_report):
    page = (small_run / "report.html").read_text()
    assert page == render_html(small_report)
    # nothing outside the file: no script or style source, no link to another host
    assert not re.search(r"""<(script|img|link|iframe)[^>]*\s(src|href)=""", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    assert "default-src 'none'" in page  # and the page forbids itself any fetch


def test_the_page_has_every_section_the_issue_lists(small_run, small_report):
    page = (small_run / "report.html").read_text()
    for anchor in ("summary", "verdicts", "length", "magnitude", "families", "agreement",
                   "conventions", "speed", "defects", "glossary"):
        assert f'id="{anchor}"' in page, anchor
    for op in ("softmax", "log_softmax", "softmax_vjp", "cross_entropy"):
        assert f'data-op="{op}" data-plot="verdict"' in page, op
    assert page.count("<svg") >= 4 and 'id="length-softmax-bfloat16-series-torch-softmax"' in page
    assert 'title="torch.softmax softmax bfloat16: within the bound' in page  # the reason
    assert "<details data-op=" in page and "<pre><code>import numpy as np" in page
    for key in ("op", "dtype", "family"):
        assert f'<select data-key="{key}"' in page
    assert "<dt>overflow</dt>" in page and "<dt>condition-aware error</dt>" in page
    assert "@media print" in page


def test_charts_draw_only_what_the_report_holds(small_report):
    """Change one number of the figures' data: the chart changes; the page reads nothing
    else (no recomputation from results)."""
    import copy

    changed = copy.deepcopy(small_report)
    series = changed["figures"]["error_vs_length"]["softmax"]["float32"]
    name = next(iter(series))
    series[name] = [[1000, 123.0], [100000, 456.0]]
    changed["results"] = {"columns": [], "rows": []}
    page = render_html(changed)
    assert page != render_html(small_report)


@pytest.mark.parametrize(("fmt", "start"), [("markdown", "# softmax-conformance report"),
                                            ("html", "<!DOCTYPE html>"),
                                            ("junit", "<?xml")])
def test_report_rerenders_each_format(small_run, tmp_path, fmt, start):
    out = tmp_path / f"r.{fmt}"
    assert main(["report", str(small_run / "report.json"), "--format", fmt, "--out",
                 str(out)]) == 0
    text = out.read_text()
    assert text.startswith(start)
    if fmt == "junit":
        assert 'testsuite name="softmax-conformance softmax"' in text
        assert 'name="numpy.naive[float32]"' in text


def test_report_of_a_version_1_file_is_refused_in_one_line(small_run, tmp_path, capsys):
    old = tmp_path / "report.json"
    old.write_text((small_run / "report.json").read_text().replace(
        "softmax-conformance/report/2", "softmax-conformance/report/1"))
    assert main(["report", str(old), "--format", "html"]) == 2
    err = capsys.readouterr().err.strip()
    assert "schema softmax-conformance/report/1, written by an older" in err
    assert "reads softmax-conformance/report/2 only" in err and "\n" not in err


def test_bad_format_exits_2(small_run, capsys):
    assert main(["report", str(small_run / "report.json"), "--format", "pdf"]) == 2
    assert "invalid choice" in capsys.readouterr().err
