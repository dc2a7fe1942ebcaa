"""The command line as a user meets it: the run writes both reports, bad input exits 2."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main


def test_run_writes_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(
        [
            "run",
            "--quick",
            "--adapters",
            "numpy.reference",
            "numpy.naive",
            "--dtypes",
            "float32",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    for key in (
        "schema",
        "environment",
        "adapters",
        "cases",
        "results",
        "agreement",
        "conventions",
        "timing",
        "summaries",
        "violations",
        "golden",
    ):
        assert key in report, key
    assert {a["name"] for a in report["adapters"]} == {"numpy.reference", "numpy.naive"}
    assert {c["dtype"] for c in report["cases"] if c["origin"] == "catalog"} <= {
        "float32",
        "int64",
        "int32",
    }
    md = (out / "report.md").read_text()
    assert "## Summary" in md and "`numpy.naive`" in md and "overflow" in md
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    printed = capsys.readouterr().out
    assert "numpy.naive" in printed and "wrote" in printed and "timing:" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--dtypes", "float8"], "--dtypes float8: unknown dtype"),
        (["run", "--adapters", "nosuch.*"], "no adapter matches 'nosuch.*'"),
        (["list", "--adapters", "nosuch"], "no adapter matches 'nosuch'"),
    ],
)
def test_bad_values_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_report_of_a_non_report_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    assert main(["report", str(bad)]) == 2
    assert "not a softmax-conformance report" in capsys.readouterr().err


def test_unknown_command_exits_2(capsys):
    assert main(["frobnicate"]) == 2


def test_list_shows_availability(capsys):
    assert main(["list", "--adapters", "numpy.reference", "torch.*"]) == 0
    out = capsys.readouterr().out
    assert "numpy.reference" in out and "torch.softmax" in out and "available" in out


def test_report_rerenders_markdown(tmp_path, capsys):
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                "--quick",
                "--adapters",
                "numpy.reference",
                "--dtypes",
                "float64",
                "--no-golden",
                "--out",
                str(out),
                "--no-cache",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["report", str(out / "report.json")]) == 0
    assert capsys.readouterr().out == (out / "report.md").read_text()


def test_same_seed_same_generated_cases_and_results(tmp_path, capsys):
    reports = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["run", "--quick", "--no-golden", "--seed", "3", "--examples", "2",
                     "--isolation", "none", "--no-cache", "--dtypes", "float32",
                     "--adapters", "numpy.reference", "numpy.naive", "--out", str(out)]) == 0
        reports.append(json.loads((out / "report.json").read_text()))
    a, b = reports
    assert [c["id"] for c in a["cases"]] == [c["id"] for c in b["cases"]]
    generated = [f for f in a["case_families"] if f["origin"] == "generated"]
    assert generated and all(f["cases"] == 2 for f in generated)

    def strip(r):
        return {k: v for k, v in r.items() if k != "seconds"}

    from conformance.record.results import decode_results as decode_table

    assert [strip(r) for r in decode_table(a["results"])] == [
        strip(r) for r in decode_table(b["results"])]
    assert "generated (seed 3, 2 per family and dtype)" in (
        tmp_path / "a" / "report.md").read_text()
