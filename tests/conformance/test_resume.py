"""Ctrl-C mid-run writes a valid partial report marked interrupted; --resume finishes it
to the same report as an uninterrupted run (timings aside)."""

from __future__ import annotations

import json

from conformance.cli import main

ARGS = ["--quick", "--no-golden", "--examples", "1", "--isolation", "none", "--no-cache",
        "--dtypes", "float32", "--ops", "softmax", "log_softmax",
        "--adapters", "numpy.reference", "numpy.naive", "numpy.global_max"]


def _strip(report):
    from conformance.record.table import decode_table

    results = sorted((r["adapter"], r["case"], r["op"], json.dumps(
        {k: v for k, v in r.items() if k != "seconds"}, sort_keys=True))
        for r in decode_table(report["results"]))
    return {
        "results": results,
        "agreement": report["agreement"],
        "conventions": report["conventions"],
        "violations": sorted(map(str, decode_table(report["violations"]))),
        "figures": report["figures"],
        "summaries": [{k: v for k, v in s.items() if k != "per_op"}
                      for s in report["summaries"]],
        "per_op": [{op: {dt: {k: v for k, v in c.items() if k != "seconds"}
                         for dt, c in per.items()} for op, per in s["per_op"].items()}
                   for s in report["summaries"]],
    }


def test_interrupted_run_resumes_to_the_same_report(tmp_path, monkeypatch, capsys):
    whole = tmp_path / "whole"
    assert main(["run", *ARGS, "--out", str(whole)]) == 0

    from conformance.oracle import Oracle

    calls = {"n": 0}
    original = Oracle.softmax

    def interrupting(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the run
        return original(self, *a, **kw)

    part = tmp_path / "part"
    monkeypatch.setattr(Oracle, "softmax", interrupting)
    assert main(["run", *ARGS, "--out", str(part)]) == 130
    monkeypatch.setattr(Oracle, "softmax", original)
    partial = json.loads((part / "report.json").read_text())
    assert partial["interrupted"] is True
    assert 0 < len(partial["state"]["completed"]) < len(partial["cases"])
    assert "continue with conformance run --resume" in capsys.readouterr().err

    assert main(["run", "--resume", str(part)]) == 0
    resumed = json.loads((part / "report.json").read_text())
    assert resumed["interrupted"] is False
    assert _strip(resumed) == _strip(json.loads((whole / "report.json").read_text()))
    # the outputs kept before the interruption are kept after it (merge reads them)
    from conformance.record.outputs import load_outputs

    assert load_outputs(part / "outputs.npz").keys() == load_outputs(whole / "outputs.npz").keys()
    assert all(load_outputs(part / "outputs.npz")[a].keys() == kept.keys()
               for a, kept in load_outputs(whole / "outputs.npz").items())
    assert main(["diff", "--exact", str(whole / "report.json"),
                 str(part / "report.json")]) == 0


def test_resume_without_outputs_npz_is_a_usage_error(tmp_path, monkeypatch, capsys):
    from conformance.oracle import Oracle

    original = Oracle.softmax
    calls = {"n": 0}

    def interrupting(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return original(self, *a, **kw)

    part = tmp_path / "part"
    monkeypatch.setattr(Oracle, "softmax", interrupting)
    assert main(["run", *ARGS, "--out", str(part)]) == 130
    monkeypatch.setattr(Oracle, "softmax", original)
    (part / "outputs.npz").unlink()
    capsys.readouterr()
    assert main(["run", "--resume", str(part)]) == 2
    assert "no outputs.npz with the results' details" in capsys.readouterr().err


def test_resume_of_a_finished_run_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *ARGS, "--out", str(out)]) == 0
    assert main(["run", "--resume", str(out)]) == 2
    assert "was not interrupted" in capsys.readouterr().err
