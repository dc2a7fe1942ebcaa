"""`conformance merge`: reports from several machines or environments become one report
with a column per adapter and input, cases matched by id and the agreement recomputed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cases.dtypes import result_dtype
from conformance.cli import main
from conformance.measure.agreement import agrees
from conformance.record.merge import MergeError, default_labels, load_sources
from conformance.record.outputs import load_arrays, load_outputs, save_outputs
from conformance.record.results import decode_details
from conformance.record.table import decode_table

ADAPTERS = ["numpy.reference", "numpy.naive"]


def _run(out: Path, cache: Path) -> None:
    code = main(["run", "--quick", "--no-golden", "--examples", "0", "--isolation", "none",
                 "--adapters", *ADAPTERS, "--dtypes", "float64", "--out", str(out),
                 "--cache-dir", str(cache)])
    assert code == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the same adapters, as if from two machines: run-a/ and run-b/."""
    root = tmp_path_factory.mktemp("merge")
    for name in ("run-a", "run-b"):
        _run(root / name, root / "oracle")
    return root


@pytest.fixture(scope="module")
def merged(runs):
    code = main(["merge", str(runs / "run-a" / "report.json"), str(runs / "run-b"),
                 "--label", "a", "b", "--out", str(runs / "merged")])
    assert code == 0
    return json.loads((runs / "merged" / "report.json").read_text())


def _report(path: Path) -> dict:
    return json.loads((path / "report.json").read_text())


def _results(report: dict) -> list[dict]:
    return decode_table(report["results"])


def _matrix(report: dict, op: str = "softmax"
            ) -> dict[tuple[str, str], tuple[float | None, int | None]]:
    ag = report["agreement"][op]
    return {(a, b): (ag["matrix"][i][j], ag["common_cases"][i][j])
            for i, a in enumerate(ag["adapters"]) for j, b in enumerate(ag["adapters"])}


def test_every_adapter_of_every_report_is_a_column(merged):
    columns = ["numpy.reference@a", "numpy.naive@a", "numpy.reference@b", "numpy.naive@b"]
    assert merged["agreement"]["softmax"]["adapters"] == columns
    assert [a["name"] for a in merged["adapters"]] == columns
    assert [s["adapter"] for s in merged["summaries"]] == columns
    assert {a["adapter"] for a in merged["adapters"]} == set(ADAPTERS)
    assert [m["label"] for m in merged["merged_from"]] == ["a", "b"]


def test_cases_are_matched_by_id_and_results_keep_their_machine(runs, merged):
    a, b = _report(runs / "run-a"), _report(runs / "run-b")
    ids = [c["id"] for c in a["cases"]]
    assert ids == [c["id"] for c in b["cases"]]
    assert [c["id"] for c in merged["cases"]] == ids  # matched, not doubled
    assert not any("only_in" in c for c in merged["cases"])
    assert not any("not in every report" in n for n in merged["notes"])
    assert len(_results(merged)) == len(_results(a)) + len(_results(b))
    platform = a["environment"]["platform"]
    columns = {c["name"]: c for c in merged["adapters"]}
    for r in _results(merged):  # each result's column names its report and machine
        column = columns[r["adapter"]]
        assert r["adapter"] == f"{column['adapter']}@{column['report']}"
        assert column["machine"]["platform"] == platform and column["environment"] is None
    assert all(a["machine"]["platform"] == platform for a in merged["adapters"])
    # the per-element details follow their results into the merged outputs.npz
    details = decode_details(load_arrays(runs / "merged" / "outputs.npz"))
    own = decode_details(load_arrays(runs / "run-a" / "outputs.npz"))
    assert len(details) == 2 * len(own)
    key = next(iter(own))
    adapter, case, op = key.split("|")
    assert details[f"{adapter}@a|{case}|{op}"] == own[key]
    assert merged["schema"] == a["schema"]


def test_agreement_is_recomputed_across_reports(runs, merged):
    m = _matrix(merged)
    kept = load_outputs(runs / "run-a" / "outputs.npz")
    share, common = m["numpy.reference@a", "numpy.reference@b"]
    assert share == 1.0 and common == len(kept["numpy.reference"])
    # a pair across reports is what the same pair within one report is
    assert m["numpy.reference@a", "numpy.naive@b"] == m["numpy.reference@a", "numpy.naive@a"]
    # and both are the run's rule applied to the kept outputs
    cases = {c["id"]: result_dtype(c["dtype"]) for c in merged["cases"]}
    ref, naive = kept["numpy.reference"], kept["numpy.naive"]
    both = sorted(ref.keys() & naive.keys())
    expected = sum(agrees(ref[c], naive[c], cases[c]) for c in both) / len(both)
    assert m["numpy.reference@a", "numpy.naive@a"] == (expected, len(both))
    assert expected < 1.0  # numpy.naive overflows on the huge cases
    merged_outputs = load_outputs(runs / "merged" / "outputs.npz")
    assert set(merged_outputs) == {"numpy.reference@a", "numpy.naive@a",
                                   "numpy.reference@b", "numpy.naive@b"}


def test_agreement_comes_from_the_outputs_not_from_the_inputs_matrices(runs, tmp_path):
    """Change one output of run-b: exactly that case stops agreeing."""
    shutil.copytree(runs / "run-b", tmp_path / "run-b")
    outputs = load_outputs(tmp_path / "run-b" / "outputs.npz")
    case = sorted(outputs["numpy.reference"])[0]
    outputs["numpy.reference"][case] = outputs["numpy.reference"][case] * 1.5
    save_outputs(outputs, tmp_path / "run-b" / "outputs.npz")
    assert main(["merge", str(runs / "run-a"), str(tmp_path / "run-b"), "--label", "a", "b",
                 "--out", str(tmp_path / "m")]) == 0
    share, common = _matrix(_report(tmp_path / "m"))["numpy.reference@a", "numpy.reference@b"]
    assert share == pytest.approx((common - 1) / common)


def test_summaries_conventions_and_violations_are_carried_over_per_column(runs, merged):
    a = _report(runs / "run-a")
    naive_a = next(s for s in merged["summaries"] if s["adapter"] == "numpy.naive@a")
    original = next(s for s in a["summaries"] if s["adapter"] == "numpy.naive")
    assert {**naive_a, "adapter": "numpy.naive", "report": None} == {**original,
                                                                    "report": None}
    assert "overflow" in naive_a["detected"]
    assert merged["conventions"]["numpy.naive@b"] == a["conventions"]["numpy.naive"]
    violations = decode_table(merged["violations"])
    for label in ("a", "b"):
        original = decode_table(_report(runs / f"run-{label}")["violations"])
        assert [v for v in violations if v["adapter"].endswith(f"@{label}")] == [
            {**v, "adapter": f"{v['adapter']}@{label}"} for v in original]
    assert {"numpy.naive@a", "numpy.naive@b"} <= {v["adapter"] for v in violations}
    md = (runs / "merged" / "report.md").read_text()
    assert "`numpy.reference@b`" in md and "merged from a" in md
    verdicts = [s["verdict"] for s in merged["summaries"]]
    assert merged["verdict"]["counts"] == {v: verdicts.count(v) for v in set(verdicts)}
    page = (runs / "merged" / "report.html").read_text()
    assert "numpy.reference@b" in page and 'id="agreement"' in page


def test_a_case_in_only_some_reports_is_kept_with_a_note(runs, tmp_path):
    report = _report(runs / "run-b")
    dropped = report["cases"][0]["id"]
    report["cases"] = report["cases"][1:]
    from conformance.record.model import violations_table
    from conformance.record.results import results_table
    from conformance.record.table import decode_table

    report["results"] = results_table([r for r in _results(report) if r["case"] != dropped])
    report["violations"] = violations_table(  # a consistent report: nothing of that case
        [v for v in decode_table(report["violations"]) if v["case"] != dropped])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(json.dumps(report))
    assert main(["merge", str(runs / "run-a"), str(tmp_path / "b"), "--label", "a", "b",
                 "--out", str(tmp_path / "m")]) == 0
    merged = _report(tmp_path / "m")
    case = next(c for c in merged["cases"] if c["id"] == dropped)
    assert case["only_in"] == ["a"]
    assert sum("only_in" in c for c in merged["cases"]) == 1
    assert any("1 of" in n and "not in every report" in n for n in merged["notes"])
    assert any("b: no outputs.npz" in n for n in merged["notes"])
    in_a = [r for r in _results(_report(runs / "run-a")) if r["case"] == dropped]
    assert [r["adapter"].rpartition("@")[2] for r in _results(merged)
            if r["case"] == dropped] == ["a"] * len(in_a)
    assert _matrix(merged)["numpy.reference@a", "numpy.reference@b"] == (None, 0)


def test_conflicting_schema_versions_exit_2_naming_them(runs, tmp_path, capsys):
    report = _report(runs / "run-b")
    report["schema"] = "softmax-conformance/report/1"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(json.dumps(report))
    code = main(["merge", str(runs / "run-a"), str(tmp_path / "b"), "--out",
                 str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2
    assert "schema versions differ" in err and "softmax-conformance/report/1" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("labels", "message"), [
    (["only-one"], "1 label(s) for 2 report(s)"),
    (["x", "x"], "each report needs its own label"),
    (["a@b", "c"], "--label 'a@b'"),
])
def test_bad_labels_exit_2(runs, tmp_path, capsys, labels, message):
    code = main(["merge", str(runs / "run-a"), str(runs / "run-b"), "--label", *labels,
                 "--out", str(tmp_path / "m")])
    assert code == 2 and message in capsys.readouterr().err


def test_default_labels_are_directory_names_then_machine_and_hash(runs, tmp_path):
    assert [s.label for s in load_sources([runs / "run-a", runs / "run-b"])] == [
        "run-a", "run-b"]
    for name in ("x", "y"):
        shutil.copytree(runs / f"run-{'a' if name == 'x' else 'b'}", tmp_path / name / "run")
    paths = [tmp_path / "x" / "run", tmp_path / "y" / "run"]
    reports = [_report(p) for p in paths]
    labels = default_labels(paths, reports)
    machine = reports[0]["environment"]["machine"]
    assert len(set(labels)) == 2 and all(lb.startswith(f"{machine}-") for lb in labels)
    assert all(len(lb) == len(machine) + 7 for lb in labels)


def test_merge_rejects_a_file_that_is_not_a_report(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"schema": "something/else/1"}))
    with pytest.raises(MergeError, match="not a softmax-conformance report"):
        load_sources([tmp_path / "x.json"])


def test_diff_works_on_a_merged_report(runs, merged, capsys):
    m = str(runs / "merged" / "report.json")
    assert main(["diff", m, m]) == 0
    assert "new violations: none" in capsys.readouterr().out
    # against one input: the columns are new names, so their violations are new
    assert main(["diff", str(runs / "run-a" / "report.json"), m]) == 1
    out = capsys.readouterr().out
    assert "numpy.naive@a: overflow" in out and "numpy.naive@b: overflow" in out


def test_a_merged_report_merges_again(runs, merged, tmp_path):
    assert main(["merge", str(runs / "merged"), str(runs / "run-a"), "--label", "m", "c",
                 "--out", str(tmp_path / "mm")]) == 0
    again = _report(tmp_path / "mm")
    assert "numpy.reference@a@m" in again["agreement"]["softmax"]["adapters"]
    share, _ = _matrix(again)["numpy.reference@a@m", "numpy.reference@c"]
    assert share == 1.0
    assert np.isclose(_matrix(again)["numpy.naive@b@m", "numpy.reference@c"][0],
                      _matrix(merged)["numpy.naive@b", "numpy.reference@a"][0])


def test_other_ops_agreement_is_carried_over_within_each_report(tmp_path):
    from conformance.record.merge import Source, _carried

    def source(label, value):
        table = {"log_softmax": {"adapters": ["p", "q"], "matrix": [[1.0, value],
                                                                    [value, 1.0]],
                                 "common_cases": [[None, 7], [7, None]]}}
        return Source(tmp_path / label, label, {"agreement": table}, {})

    merged = _carried("log_softmax", [source("a", 0.5), source("b", 0.25)])
    assert merged["adapters"] == ["p@a", "q@a", "p@b", "q@b"]
    assert merged["matrix"][0] == [1.0, 0.5, None, None]
    assert merged["matrix"][3] == [None, None, 0.25, 1.0]
    assert merged["common_cases"][0] == [None, 7, None, None]


def test_a_merged_runs_other_ops_are_carried_with_a_note(tmp_path):
    root = tmp_path
    for name in ("x", "y"):
        assert main(["run", "--quick", "--no-golden", "--examples", "0", "--isolation",
                     "none", "--adapters", "numpy.reference", "numpy.log_of_softmax",
                     "--ops", "softmax", "log_softmax", "--dtypes", "float64", "--out",
                     str(root / name), "--cache-dir", str(root / "c")]) == 0
    assert main(["merge", str(root / "x"), str(root / "y"), "--out", str(root / "m")]) == 0
    merged = _report(root / "m")
    log = merged["agreement"]["log_softmax"]
    assert log["adapters"] == ["numpy.reference@x", "numpy.log_of_softmax@x",
                               "numpy.reference@y", "numpy.log_of_softmax@y"]
    assert log["matrix"][0][2] is None  # across reports: unknown
    assert any("agreement of log_softmax: within each report only" in n
               for n in merged["notes"])


def test_case_families_are_counted_over_the_merged_cases(merged):
    assert sum(f["cases"] for f in merged["case_families"]) == len(merged["cases"])


def test_one_id_naming_two_different_inputs_is_an_error(runs, tmp_path, capsys):
    report = _report(runs / "run-b")
    report["cases"][0]["shape"] = [99]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(json.dumps(report))
    code = main(["merge", str(runs / "run-a"), str(tmp_path / "b"), "--label", "a", "b",
                 "--out", str(tmp_path / "m")])
    assert code == 2 and "the same id names two different inputs" in capsys.readouterr().err
