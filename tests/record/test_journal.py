"""The run journal: what was finished survives a kill, and a damaged journal is never
trusted past its damage."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conformance.execute.case_run import CaseRecord
from conformance.measure.records import Result, Worst
from conformance.record.journal import (
    JOURNAL,
    FolderLocked,
    Journal,
    _line,
    _unline,
    lock_folder,
    read_journal,
)

RUN = {"cases": "abc", "adapters": ["numpy.stable"]}


def _record(case: str) -> CaseRecord:
    worst = Worst(index=(0, 1), got=0.25, expected=0.2500001, x=1.5, ulp_error=3.0)
    results = [Result(adapter="numpy.stable", case=case, op="softmax", status="ok",
                      max_cond_error=0.5, row_sum_error=1.0, worst=worst,
                      nonfinite_rows=(2,), seconds=0.001),
               Result(adapter="numpy.naive", case=case, op="softmax", status="error",
                      error="OverflowError: boom")]
    return CaseRecord(case=case, results=results,
                      labels=[("numpy.stable", "nan", "nan-row")],
                      agreement=[("softmax", "numpy.naive", "numpy.stable", False)],
                      outputs={"numpy.stable": np.array([[0.25, 0.75]], dtype=np.float32)})


def _written(tmp_path, n=3):
    journal = Journal(tmp_path, RUN)
    for i in range(n):
        journal.append(_record(f"case/{i}"))
    journal.close()
    return tmp_path / JOURNAL


def test_every_case_reads_back_as_it_was_written(tmp_path):
    _written(tmp_path)
    state = read_journal(tmp_path)
    assert state.run == RUN and state.dropped == 0
    assert [r.case for r in state.records] == ["case/0", "case/1", "case/2"]
    got, want = state.records[1], _record("case/1")
    assert got.results == want.results
    assert got.labels == want.labels and got.agreement == want.agreement
    np.testing.assert_array_equal(got.outputs["numpy.stable"], [[0.25, 0.75]])


def test_a_line_cut_short_by_a_kill_is_dropped_and_only_it(tmp_path):
    path = _written(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) - 40])
    state = read_journal(tmp_path)
    assert [r.case for r in state.records] == ["case/0", "case/1"]
    assert state.dropped == 1


@pytest.mark.parametrize("tamper", ["drop results", "edit a number", "drop a line",
                                    "swap lines"])
def test_a_tampered_journal_is_trusted_only_up_to_the_tampering(tmp_path, tamper):
    path = _written(tmp_path)
    lines = path.read_text().splitlines()
    entry = json.loads(lines[2])  # case/1
    content = _unline(entry)
    if tamper == "drop results":
        content["results"] = []
        lines[2] = _line(content, entry["hash"]).strip()
    elif tamper == "edit a number":
        content["results"][0]["max_cond_error"] = 0.1
        lines[2] = _line(content, entry["hash"]).strip()
    elif tamper == "drop a line":
        del lines[2]
    else:
        lines[2], lines[3] = lines[3], lines[2]
    path.write_text("\n".join(lines) + "\n")
    state = read_journal(tmp_path)
    assert [r.case for r in state.records] == ["case/0"]
    assert state.problem


def test_going_on_from_a_journal_keeps_its_good_lines_and_chains_new_ones(tmp_path):
    path = _written(tmp_path)
    path.write_text(path.read_text()[:-40])  # case/2 cut short
    state = read_journal(tmp_path)
    journal = Journal(tmp_path, RUN, resume=state)
    journal.append(_record("case/2"))
    journal.close()
    again = read_journal(tmp_path)
    assert [r.case for r in again.records] == ["case/0", "case/1", "case/2"]
    assert again.dropped == 0


def test_a_journal_of_another_run_starts_over(tmp_path):
    _written(tmp_path)
    Journal(tmp_path, {**RUN, "cases": "other"}, resume=read_journal(tmp_path)).close()
    assert read_journal(tmp_path).records == []


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    held = lock_folder(tmp_path)
    other = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from conformance.record.journal import lock_folder, FolderLocked\n"
         "try:\n lock_folder(Path(sys.argv[1]))\nexcept FolderLocked as e:\n print(e)",
         str(tmp_path)], capture_output=True, text=True, check=True)
    assert "being written by another run" in other.stdout
    held.close()
    lock_folder(tmp_path).close()  # free once the first run ends
    with pytest.raises(FolderLocked):
        first = lock_folder(tmp_path)
        try:
            lock_folder(tmp_path)  # flock is per open file: the same process is refused too
        finally:
            first.close()
