"""The hunt finds and shrinks the threads' known counterexamples, reproducibly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adapters import get
from cases.dtypes import float_format
from conformance.cli import main
from conformance.contract.hunt import hunt_adapter
from conformance.contract.reproducer import reproducer
from conformance.measure.bounds import DEFAULT
from conformance.measure.rows import as_rows


def _hunt(name, check, dtype, oracle, **kw):
    adapter = get(name)
    [outcome] = hunt_adapter(adapter, checks=[check], dtypes=[dtype], policy=DEFAULT,
                             oracle=oracle, reproduce=lambda c: reproducer(c, name),
                             max_examples=kw.pop("max_examples", 100), **kw)
    return outcome


def test_naive_overflow_shrinks_to_one_element_just_past_the_threshold(oracle):
    """naive exp(x) / sum breaks finite_output past either threshold of exp: overflow
    (x > 88.7) or, for a row of one, underflow to 0/0 (x < -103.97). Which one Hypothesis
    meets first depends on the literals of the local modules loaded in the process (it
    mixes them into its draws), so either minimal counterexample is accepted."""
    outcome = _hunt("numpy.naive", "finite_output", "float32", oracle)
    assert outcome.status == "found"
    x = outcome.counterexample.case.x.astype(np.float64)
    assert x.size <= 2
    fmt = float_format("float32")
    over = fmt.exp_overflow
    under = np.log(fmt.smallest_subnormal / 2)  # exp(x) rounds to 0 below this
    assert over < x.max() < 2 * over or (x.size == 1 and 2 * under < x[0] < under), x


def test_global_max_shrinks_to_two_rows_of_different_scale(oracle):
    outcome = _hunt("numpy.global_max_sum_keepdims", "accuracy", "float64", oracle)
    assert outcome.status == "found"
    case = outcome.counterexample.case
    rows = as_rows(case.x.astype(np.float64), case.axis)
    assert len(rows) == 2 and case.x.size <= 4
    assert abs(rows[0].max() - rows[1].max()) > 700  # one row underflows under the other's max


def test_whole_array_variant_shrinks_to_a_2d_input_with_more_than_one_row(oracle):
    outcome = _hunt("numpy.global_max", "row_sums", "float64", oracle)
    case = outcome.counterexample.case
    assert case.x.ndim >= 2 and len(as_rows(case.x, case.axis)) >= 2 and case.x.size <= 4


def test_conforming_adapter_gives_none_found(oracle):
    assert _hunt("numpy.reference", "accuracy", "float32", oracle,
                 max_examples=50).status == "none-found"


def test_same_seed_same_counterexample(oracle):
    a = _hunt("numpy.naive", "finite_output", "float64", oracle, seed=7)
    b = _hunt("numpy.naive", "finite_output", "float64", oracle, seed=7)
    assert a.counterexample.case.id == b.counterexample.case.id


def test_budget_says_what_was_not_reached(oracle):
    import time

    adapter = get("numpy.naive")
    out = hunt_adapter(adapter, checks=["finite_output", "accuracy"], dtypes=["float32"],
                       policy=DEFAULT, oracle=oracle, reproduce=lambda c: "",
                       deadline=time.monotonic() - 1)
    assert [o.status for o in out] == ["not-reached", "not-reached"]


def test_cli_hunt_enters_counterexamples_into_the_run_report(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "--quick", "--no-golden", "--examples", "0", "--isolation", "none",
                 "--no-cache", "--dtypes", "float32", "--adapters", "numpy.*naive",
                 "--out", str(out)]) == 0
    db = tmp_path / "db"
    assert main(["hunt", "--adapters", "numpy.naive", "--checks", "finite_output",
                 "--dtypes", "float32", "--max-examples", "50", "--database", str(db),
                 "--out", str(out)]) == 1
    report = json.loads((out / "report.json").read_text())
    [ce] = report["counterexamples"]
    assert ce["adapter"] == "numpy.naive" and ce["check"] == "finite_output"
    assert ce["output"] == ["nan"] or "nan" in json.dumps(ce["output"])
    md = (out / "report.md").read_text()
    assert "## Minimal counterexamples" in md and "`numpy.naive` breaks finite_output" in md
    assert any(db.rglob("*")), "the example database keeps what was found"


def test_cli_hunt_on_a_conforming_impl_exits_0(tmp_path, capsys):
    assert main(["hunt", "--adapters", "numpy.reference", "--checks", "accuracy",
                 "--dtypes", "float64", "--max-examples", "30", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "hunt.json").read_text())["counterexamples"] == []


def test_cli_hunt_rejects_an_unknown_check(tmp_path, capsys):
    assert main(["hunt", "--checks", "axis_honoured", "--out", str(tmp_path)]) == 2
    assert "not a hunted check" in capsys.readouterr().err


@pytest.mark.parametrize("examples", [100])
def test_gate_diagnosis_uses_the_hunted_counterexample(examples, oracle):
    from conformance.contract.gate import run_gate

    adapter = get("numpy.naive")
    gate = run_gate(adapter, policy=DEFAULT, dtypes=("float32",), oracle=oracle,
                    reproduce=lambda c: reproducer(c, adapter.name), hunt_examples=examples)
    d = next(o.diagnosis for o in gate.outcomes if o.check == "finite_output")
    assert d.case.x.size == 1 and float(d.case.x[0]) < 100


@pytest.mark.parametrize(("name", "op", "check"), [
    ("numpy.log_of_softmax", "log_softmax", "finite_output"),
    ("numpy.derivative_diag", "softmax_vjp", "accuracy"),
    ("numpy.cross_entropy_composed", "cross_entropy", "finite_output"),
])
def test_hunt_of_the_other_ops_finds_the_threads_defects(name, op, check, oracle):
    """The hunt calls the op the adapter provides, and its counterexample's expected value
    is that op's reference: log(0) = -inf where the log-probability is finite, the diagonal
    gradient off the exact one, the composed loss infinite."""
    adapter = get(name)
    [outcome] = hunt_adapter(adapter, checks=[check], dtypes=["float32"], policy=DEFAULT,
                             oracle=oracle, reproduce=lambda c: reproducer(c, name, op),
                             max_examples=200, op=op)
    assert outcome.status == "found", outcome
    ce = outcome.counterexample
    assert ce.op == op and np.all(np.isfinite(ce.expected.astype(np.float64)))
    assert f"loaded.ops[{op!r}]" in ce.reproducer


def test_hunt_of_the_reference_finds_nothing_on_the_other_ops(oracle):
    for op in ("log_softmax", "softmax_vjp", "cross_entropy"):
        found = hunt_adapter(get("numpy.reference"), checks=["accuracy", "finite_output"],
                             dtypes=["float64"], policy=DEFAULT, oracle=oracle,
                             reproduce=lambda c: "", max_examples=30, op=op)
        assert [o.status for o in found] == ["none-found", "none-found"], (op, found)


def test_cli_hunt_op_leaves_out_adapters_without_it(tmp_path, capsys):
    assert main(["hunt", "--adapters", "numpy.naive", "--op", "log_softmax",
                 "--out", str(tmp_path)]) == 2
    assert "no selected adapter provides log_softmax" in capsys.readouterr().err
