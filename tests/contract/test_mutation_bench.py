"""The gate measured on the mutation corpus: every broken implementation flagged, at least
95% with the cause it was broken with, no correct one flagged (issue 11's goal; a
regression fails CI)."""

from __future__ import annotations

import collections

import pytest

from adapters.mutants import MUTANTS
from conformance.cli import main


def test_the_corpus_is_what_it_claims():
    broken = [m for m in MUTANTS if m.broken]
    correct = [m for m in MUTANTS if not m.broken]
    assert len(broken) >= 40 and len(correct) >= 15
    assert set(collections.Counter(m.op for m in broken)) == {
        "softmax", "log_softmax", "softmax_vjp", "cross_entropy"}
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    from conformance.contract.diagnosis import CAUSES

    unknown = {m.cause for m in broken} - set(CAUSES)
    assert not unknown, f"causes without words: {unknown}"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    import time

    from cases import catalog
    from conformance.contract.mutation_bench import bench_gate, figures
    from conformance.measure.bounds import DEFAULT
    from conformance.oracle import Oracle

    t0 = time.perf_counter()
    outcomes = bench_gate(MUTANTS, policy=DEFAULT,
                          dtypes=("float16", "bfloat16", "float32", "float64"),
                          cases=catalog(core=True),
                          oracle=Oracle(cache_dir=tmp_path_factory.mktemp("oracle")))
    return outcomes, figures(outcomes, time.perf_counter() - t0)


def test_every_broken_implementation_is_flagged(bench):
    outcomes, fig = bench
    missed = [o.mutant.name for o in outcomes if o.verdict == "missed"]
    assert fig.not_run == 0, [o.error for o in outcomes if o.error]
    assert fig.flagged == fig.broken and not missed, missed


def test_the_expected_cause_is_named_for_at_least_95_percent(bench):
    outcomes, fig = bench
    wrong = {o.mutant.name: (o.mutant.cause, o.codes[:4]) for o in outcomes
             if o.verdict == "wrong cause"}
    assert fig.right_cause >= 0.95 * fig.broken, wrong


def test_no_correct_implementation_is_flagged(bench):
    outcomes, fig = bench
    alarms = {o.mutant.name: o.failed for o in outcomes if o.verdict == "false alarm"}
    assert fig.false_alarms == 0, alarms


def test_the_command_prints_the_figures_and_exits_0_when_the_goals_hold(capsys):
    assert main(["bench-gate", "--mutants", "softmax.naive", "ok.moved_axis",
                 "--dtypes", "float32"]) == 0
    out = capsys.readouterr().out
    assert "broken implementations flagged: 1 of 1" in out
    assert "flagged with the expected cause: 1 of 1 (100.0%)" in out
    assert "correct implementations wrongly flagged: 0 of 1" in out and "time:" in out


def test_the_command_exits_2_for_a_pattern_that_matches_nothing(capsys):
    assert main(["bench-gate", "--mutants", "nosuch.*"]) == 2
    assert "matches none" in capsys.readouterr().err
