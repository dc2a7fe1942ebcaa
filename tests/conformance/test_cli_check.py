"""`conformance check` and `conformance diff` as a CI sees them: exit codes, files, messages."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest

from conformance.cli import main

IMPL = textwrap.dedent("""
    import numpy as np

    def naive(x, axis=-1):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)

    def stable(x, axis=-1):
        if x.size == 0:
            return np.empty_like(x)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(x, axis=-1):
        if x.size == 0:
            return np.empty_like(x)
        m = x.max(axis=axis, keepdims=True)
        return (x - m) - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))

    def diagonal_vjp(x, g, axis=-1):
        s = stable(x, axis)
        return s * (1 - s) * g

    def cross_entropy(x, labels, axis=-1):
        y = log_softmax(x, axis)
        return np.asarray(-np.take_along_axis(y, np.expand_dims(labels, axis), axis).squeeze(axis))

    def last_axis_only(x, axis=-1):
        # ignores axis: right only for the last one
        if x.size == 0:
            return np.empty_like(x)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def loss_scalar(x, labels, axis=-1):
        # np.sum of a 1-D row's loss is a NumPy scalar: a 0-d result
        return np.sum(-np.take_along_axis(log_softmax(x, axis), np.expand_dims(labels, axis),
                                          axis).squeeze(axis), axis=())

    not_callable = 3
""")


@pytest.fixture
def impl(tmp_path):
    path = tmp_path / "mysoftmax.py"
    path.write_text(IMPL)
    return path


def _check(*argv):
    return main(["check", "--no-cache", "--dtypes", "float64", *argv])


def test_conforming_impl_exits_0(impl, capsys):
    assert _check("--impl", f"{impl}:stable") == 0
    out = capsys.readouterr().out
    assert "pass   accuracy[float64]" in out and "conforms" in out


def test_violations_exit_1_with_diagnosis_json_and_junit(impl, tmp_path, capsys):
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"
    assert _check("--impl", f"{impl}:naive", "--json", str(js), "--junit", str(junit)) == 1
    out = capsys.readouterr().out
    assert "FAIL   finite_output[float64]" in out
    assert "cause: exp overflows on large inputs" in out
    assert "fix:   subtract the max along the axis" in out
    assert "f = mod.naive" in out  # the reproducer calls the implementation itself
    report = json.loads(js.read_text())
    assert report["conforms"] is False
    fails = {o["check"] for o in report["outcomes"] if o["status"] == "FAIL"}
    assert {"finite_output", "shift_invariance", "empty_input"} - fails == {"empty_input"}
    suite = ET.parse(junit).getroot()
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    assert len(cases) == len(report["outcomes"])
    failure = cases["finite_output[float64]"].find("failure")
    assert failure is not None and "subtract the max" in failure.text


def test_xfail_file_turns_failures_into_expected_ones(impl, tmp_path, capsys):
    xfail = tmp_path / "xfail.toml"
    xfail.write_text(
        'finite_output = "overflow, known"\nrow_sums = "x"\naccuracy = "x"\n'
        'shift_invariance = "x"\n"no_such[float64]" = "typo"\n'
    )
    assert _check("--impl", f"{impl}:naive", "--xfail", str(xfail)) == 0
    out = capsys.readouterr().out
    assert "xfail  finite_output[float64]" in out and "(overflow, known)" in out
    assert "xfail entry 'no_such[float64]' matches no check that ran" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "no_such_module_xyz:f"], "module 'no_such_module_xyz' not found"),
        (["--impl", "{impl}:missing"], "has no attribute 'missing'"),
        (["--impl", "{impl}:not_callable"], "not_callable is a int, not callable"),
        (["--impl", "justtext"], "expected MODULE:CALLABLE"),
        (["--impl", "{impl}:stable", "--policy", "lenient"], "--policy lenient: unknown policy"),
        (["--impl", "{impl}:stable", "--dtypes", "float128"], "--dtypes float128: unknown"),
        (["--impl", "{impl}:stable", "--xfail", "/no/such/file.json"], "cannot read it"),
        (["--impl", "{impl}:stable", "--framework", "mxnet"], "invalid choice: 'mxnet'"),
        ([], "give exactly one of --impl"),
    ],
)
def test_usage_errors_exit_2_with_a_one_line_reason(impl, args, message, capsys):
    argv = [a.replace("{impl}", str(impl)) for a in args]
    assert main(["check", "--no-cache", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_pyproject_policy_override(impl, tmp_path, capsys):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.conformance.policies.tight]\naccuracy = 0.0001\n")
    assert (
        _check("--impl", f"{impl}:stable", "--policy", "tight", "--pyproject", str(pyproject)) == 1
    )
    assert "FAIL   accuracy[float64]" in capsys.readouterr().out


@pytest.mark.parametrize(("fn", "op", "code", "said"), [
    ("log_softmax", "log_softmax", 0, "conforms"),
    ("cross_entropy", "cross_entropy", 0, "conforms"),
    ("diagonal_vjp", "softmax_vjp", 1, "the off-diagonal terms -s_i s_j are missing"),
])
def test_impl_of_the_other_ops(impl, fn, op, code, said, capsys):
    """--impl with --op: the callable is called as that op (g or labels before the axis)."""
    assert _check("--impl", f"{impl}:{fn}", "--op", op) == code
    assert said in capsys.readouterr().out


def test_torch_framework_callable_of_another_op(capsys):
    argv = ["check", "--no-cache", "--dtypes", "float32", "--impl", "torch:log_softmax",
            "--framework", "torch", "--op", "log_softmax"]
    assert main(argv) == 0
    assert "torch:log_softmax conforms" in capsys.readouterr().out


def test_torch_framework_callable(tmp_path, capsys):
    assert (
        main(
            [
                "check",
                "--no-cache",
                "--dtypes",
                "float32",
                "--impl",
                "torch:softmax",
                "--framework",
                "torch",
            ]
        )
        == 0
    )
    assert "torch:softmax conforms" in capsys.readouterr().out


def test_torch_framework_callable_on_every_dtype_bfloat16_included(capsys, tmp_path):
    """--framework torch converts with adapters/torch.py's converters (bfloat16 by bit
    pattern), so torch's softmax conforms on all four dtypes, its in-order float64 sums on
    vocabulary-size rows (adapters/torch.py's note) within the summation allowance."""
    argv = ["check", "--no-cache", "--impl", "torch.special:softmax", "--framework", "torch"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "torch.special:softmax conforms" in out
    assert "pass   accuracy[bfloat16]" in out and "pass   row_sums[bfloat16]" in out
    assert "pass   row_sums[float64]" in out and "pass   accuracy[float64]" in out


def _run(out, adapters):
    assert (
        main(
            [
                "run",
                "--quick",
                "--no-golden",
                "--no-cache",
                "--dtypes",
                "float64",
                "--out",
                str(out),
                "--adapters",
                *adapters,
            ]
        )
        == 0
    )


def test_diff_flags_a_new_violation_and_not_an_unchanged_report(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _run(old, ["numpy.reference"])
    _run(new, ["numpy.reference"])
    assert main(["diff", str(old / "report.json"), str(new / "report.json")]) == 0
    report = json.loads((new / "report.json").read_text())
    summary = report["summaries"][0]
    summary["detected"] = ["overflow"]
    summary["per_op"]["softmax"]["float64"]["worst_cond_error"] = 50.0
    (new / "report.json").write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["diff", str(old / "report.json"), str(new / "report.json")]) == 1
    out = capsys.readouterr().out
    assert "numpy.reference: overflow" in out and "accuracy regressions: 1" in out
    assert main(["diff", str(old / "report.json"), str(tmp_path / "none.json")]) == 2


def test_diff_flags_an_accuracy_regression_of_another_op(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _run(old, ["numpy.reference"])
    _run(new, ["numpy.reference"])
    report = json.loads((new / "report.json").read_text())
    report["summaries"][0]["per_op"]["softmax_vjp"]["float64"]["worst_cond_error"] = 50.0
    (new / "report.json").write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["diff", str(old / "report.json"), str(new / "report.json")]) == 1
    assert "numpy.reference softmax_vjp float64: worst condition-aware error" in (
        capsys.readouterr().out)


def test_a_last_axis_function_is_held_to_what_it_claims(impl, capsys):
    # claiming any axis, it fails axis_honoured; claiming the last axis, it conforms
    assert _check("--impl", f"{impl}:last_axis_only") == 1
    assert "FAIL   axis_honoured[float64]" in capsys.readouterr().out
    assert _check("--impl", f"{impl}:last_axis_only", "--axis", "last") == 0
    out = capsys.readouterr().out
    assert "held to what it claims: axis last, any rank, integer input" in out
    assert "conforms" in out


def test_ndim_and_no_int_claims(impl, capsys):
    assert _check("--impl", f"{impl}:stable", "--ndim", "1,2", "--no-int") == 0
    assert "axis any, 1/2-D, no integer input" in capsys.readouterr().out
    assert _check("--impl", f"{impl}:stable", "--ndim", "zero") == 2
    assert "--ndim zero" in capsys.readouterr().err
    assert _check("--impl", f"{impl}:stable", "--axis", "sideways") == 2
    err = capsys.readouterr().err
    assert "--axis" in err and "'sideways'" in err and "choose from" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_numpy_scalar_loss_is_a_0_d_result(impl, capsys):
    assert _check("--impl", f"{impl}:loss_scalar", "--op", "cross_entropy") == 0


def test_jax_x64_keeps_float64_and_its_reproducer_says_so(tmp_path, capsys):
    pytest.importorskip("jax")
    path = tmp_path / "jaxsoftmax.py"
    path.write_text("import jax\n\ndef naive(a, axis):\n"
                    "    e = jax.numpy.exp(a)\n    return e / e.sum(axis=axis, keepdims=True)\n")
    out_json = tmp_path / "gate.json"
    assert main(["check", "--no-cache", "--dtypes", "float64", "--impl", f"{path}:naive",
                 "--framework", "jax-x64", "--json", str(out_json)]) == 1
    report = json.loads(out_json.read_text())
    status = {o["check"]: o for o in report["outcomes"] if o["dtype"] == "float64"}
    assert status["dtype_preserved"]["status"] == "pass", "x64 on: float64 stays float64"
    repro = status["finite_output"]["diagnosis"]["reproducer"]
    assert 'jax.config.update("jax_enable_x64", True)' in repro
    assert status["finite_output"]["diagnosis"]["code"] == "overflow"


def test_check_appends_its_verdict_to_the_github_job_summary(impl, tmp_path, monkeypatch,
                                                             capsys):
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert _check("--impl", f"{impl}:naive") == 1
    assert _check("--impl", f"{impl}:stable") == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert "❌ " in text and "does NOT conform" in text and "| accuracy |" not in text[:20]
    assert "mysoftmax.py:naive" in text and "```python" in text  # the failing reproducer
    assert "✅ " in text and "mysoftmax.py:stable conforms" in text


def test_run_appends_its_verdict_to_the_github_job_summary(tmp_path, monkeypatch, capsys):
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _run(tmp_path / "r", ["numpy.reference"])
    text = summary.read_text()
    assert text.startswith("## softmax-conformance\n") and "| `numpy.reference` |" in text
    assert "conforms" in text and "[report.html](report.html)" in text


def test_an_unwritable_job_summary_is_one_line_not_a_failure(impl, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no" / "such" / "dir" / "f.md"))
    assert _check("--impl", f"{impl}:stable") == 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("GITHUB_STEP_SUMMARY=") and "\n" not in err
