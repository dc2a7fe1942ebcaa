"""Ctrl-C mid-run writes a valid partial report marked interrupted; --resume finishes it
to the same report as an uninterrupted run (timings aside)."""

from __future__ import annotations

import json

from conformance.cli import main

ARGS = ["--quick", "--no-golden", "--examples", "1", "--isolation", "none", "--no-cache",
        "--dtypes", "float32", "--ops", "softmax", "log_softmax",
        "--adapters", "numpy.reference", "numpy.naive", "numpy.global_max"]


def _strip(report):
    results = sorted((r["adapter"], r["case"], r["op"], json.dumps(
        {k: v for k, v in r.items() if k != "seconds"}, sort_keys=True))
        for r in report["results"])
    return {
        "results": results,
        "agreement": report["agreement"],
        "agreement_by_op": report["agreement_by_op"],
        "conventions": report["conventions"],
        "summaries": [{k: v for k, v in s.items() if k not in ("per_dtype", "per_op")}
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


def test_resume_of_a_finished_run_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *ARGS, "--out", str(out)]) == 0
    assert main(["run", "--resume", str(out)]) == 2
    assert "was not interrupted" in capsys.readouterr().err
