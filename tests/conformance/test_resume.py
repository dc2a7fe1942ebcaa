"""Ctrl-C mid-run writes a valid partial report marked interrupted; --resume finishes it
to the same report as an uninterrupted run (timings aside)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.record.journal import JOURNAL, _line, _unline, lock_folder

ROOT = Path(__file__).resolve().parents[2]

ARGS = ["--quick", "--no-golden", "--examples", "1", "--isolation", "none", "--no-cache",
        "--dtypes", "float32", "--ops", "softmax", "log_softmax",
        "--adapters", "numpy.reference", "numpy.naive", "numpy.global_max"]


def _strip(report):
    from conformance.record.results import decode_results
    from conformance.record.table import decode_table

    results = sorted((r["adapter"], r["case"], r["op"], json.dumps(
        {k: v for k, v in r.items() if k != "seconds"}, sort_keys=True))
        for r in decode_results(report["results"]))
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
    assert 0 < _lines(part / JOURNAL) - 1 < len(partial["cases"])
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


def _cli(*argv, **kw):
    """conformance in a process of its own (what a kill -9 or a power cut ends)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "conformance", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            **kw)


def _lines(path):
    try:
        return path.read_text().count("\n")
    except OSError:
        return 0


def test_a_run_killed_with_sigkill_resumes_to_the_same_report(tmp_path):
    whole = tmp_path / "whole"
    assert main(["run", *ARGS, "--out", str(whole)]) == 0
    part = tmp_path / "part"
    proc = _cli("run", *ARGS, "--out", str(part))
    deadline = time.monotonic() + 120
    while _lines(part / JOURNAL) < 12 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()  # SIGKILL: no handler runs, no report is written
    proc.wait()
    done = _lines(part / JOURNAL) - 1
    assert 0 < done < len(json.loads((whole / "report.json").read_text())["cases"])
    # a power cut mid-write: the last line is cut short, and only it is redone
    text = (part / JOURNAL).read_text()
    (part / JOURNAL).write_text(text[: len(text) - 25])
    assert main(["run", "--resume", str(part)]) == 0
    assert main(["diff", "--exact", str(whole / "report.json"),
                 str(part / "report.json")]) == 0


def test_a_tampered_journal_is_redone_from_the_tampering(tmp_path, capsys):
    whole = tmp_path / "whole"
    assert main(["run", *ARGS, "--out", str(whole)]) == 0
    lines = (whole / JOURNAL).read_text().splitlines()
    entry = json.loads(lines[5])
    content = _unline(entry)
    content["results"] = []  # "done" without its results
    lines[5] = _line(content, entry["hash"]).strip()
    part = tmp_path / "part"
    part.mkdir()
    (part / JOURNAL).write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["run", "--resume", str(part)]) == 0
    assert "line 6" in capsys.readouterr().err
    assert _strip(json.loads((part / "report.json").read_text())) == \
        _strip(json.loads((whole / "report.json").read_text()))


def test_resume_of_a_finished_run_writes_the_same_report(tmp_path):
    out = tmp_path / "r"
    assert main(["run", *ARGS, "--out", str(out)]) == 0
    before = json.loads((out / "report.json").read_text())
    assert main(["run", "--resume", str(out)]) == 0
    assert _strip(json.loads((out / "report.json").read_text())) == _strip(before)


def test_resume_of_a_folder_without_a_run_is_a_usage_error(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path)]) == 2
    assert "no run journal" in capsys.readouterr().err


def test_a_second_run_into_the_same_folder_is_refused(tmp_path, capsys):
    held = lock_folder(tmp_path / "out")
    try:
        assert main(["run", *ARGS, "--out", str(tmp_path / "out")]) == 2
    finally:
        held.close()
    assert "being written by another run" in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_run_in_which_no_adapter_produced_a_result_fails(tmp_path, capsys):
    # an adapter that is never installed beside NumPy 2: unavailable, so nothing ran
    assert main(["run", *ARGS[:-4], "--adapters", "mxnet.nd.softmax",
                 "--out", str(tmp_path / "r")]) == 1
    assert "no adapter produced a result" in capsys.readouterr().err


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("unexpected", 0),
                                                ("defects", 1)])
def test_fail_on_gives_the_ci_signal_asked_for(tmp_path, fail_on, code):
    # numpy.global_max shows its declared defects on the quick float32 cases: declared, so
    # not unexpected, but defects
    assert main(["run", *ARGS, "--out", str(tmp_path / "r"), "--fail-on", fail_on]) == code


def test_a_broken_implementation_fails_on_unexpected(tmp_path, monkeypatch):
    from dataclasses import replace

    from adapters import registry

    naive = registry.get("numpy.naive")  # as if its overflow were not declared
    monkeypatch.setitem(registry._registry(), "numpy.naive",
                        replace(naive, expected=(), expected_when={}))
    assert main(["run", *ARGS, "--out", str(tmp_path / "r"), "--fail-on",
                 "unexpected"]) == 1


def test_the_shards_of_a_run_join_into_the_whole_run(tmp_path, capsys):
    whole = tmp_path / "whole"
    assert main(["run", *ARGS, "--out", str(whole)]) == 0
    shards = [tmp_path / f"s{i}" for i in (1, 2, 3)]
    for i, folder in enumerate(shards, start=1):
        assert main(["run", *ARGS, "--shard", f"{i}/3", "--out", str(folder)]) == 0
    sizes = [len(json.loads((f / "report.json").read_text())["cases"]) for f in shards]
    assert all(sizes) and sum(sizes) == len(json.loads((whole / "report.json").read_text())
                                            ["cases"])
    joined = tmp_path / "joined"
    assert main(["merge", *map(str, reversed(shards)), "--out", str(joined)]) == 0
    assert main(["diff", "--exact", str(whole / "report.json"),
                 str(joined / "report.json")]) == 0
    capsys.readouterr()
    assert main(["merge", str(shards[0]), str(shards[2]), "--out", str(tmp_path / "x")]) == 2
    assert "shard(s) 2/3 missing" in capsys.readouterr().err


def test_the_sharded_workflow_example_runs_commands_the_cli_accepts():
    """examples/github-actions-shards.yml: every `conformance` line parses, the shards of the
    matrix cover 1..N of one split, and the join names every shard's folder."""
    import re
    import shlex

    from conformance.cli.main import parser

    text = (ROOT / "examples" / "github-actions-shards.yml").read_text()
    shards = [int(v) for v in re.search(r"shard: \[([\d, ]+)\]", text).group(1).split(",")]
    commands = [line.split("run: ", 1)[1] for line in text.splitlines()
                if "run: conformance" in line]
    assert len(commands) == 2
    for n in shards:
        args = parser().parse_args(
            shlex.split(commands[0].replace("${{ matrix.shard }}", str(n)))[1:])
        assert args.shard == f"{n}/{len(shards)}" and args.out == f"shard-{n}"
    join = parser().parse_args(shlex.split(commands[1])[1:])
    assert join.reports == [f"shard-{n}" for n in shards]
