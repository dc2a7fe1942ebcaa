"""conformance.testing and the pytest plugin, as a library's own test suite meets them.

The pytester tests write a small project (a test file with the three lines of
parametrize_with_checks) and run pytest on it in-process; the plugin is the one
the project's pytest11 entry point registers. Dtypes are restricted to float32
and float64 to keep each run short.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from adapters.base import Adapter
from conformance.contract.checks import CHECKS
from conformance.ops import get_op
from conformance.testing import (
    ConformanceError,
    ConformanceWarning,
    check_impl,
    check_names,
    parametrize_with_checks,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
DTYPES = ("float32", "float64")
FAST = ("--conformance-dtypes", "float32,float64", "-p", "no:cacheprovider")
N_CHECKS = len([c for c in CHECKS if c.applies_to(get_op("softmax"))])
# What an exp without the max subtracted breaks, in float32 and float64 alike.
OVERFLOW_FAILS = {"finite_output", "row_sums", "accuracy", "shift_invariance"}

IMPLS = '''
import numpy as np


def good_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def overflowing_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def zeros_for_masked_rows(x, axis=-1):
    # the project's reference-grade softmax, so that strict's tighter accuracy bound holds
    from adapters.reference import softmax
    y = softmax(x, axis)
    masked = np.all(np.isneginf(x), axis=axis, keepdims=True)
    return np.where(masked, np.zeros_like(y), y)
'''

THREE_LINES = '''
from conformance.testing import parametrize_with_checks
@parametrize_with_checks([{impl}])
def test_softmax(impl, check): check(impl)
'''


def _project(pytester: pytest.Pytester, impl: str, **extra: str) -> None:
    pytester.makepyfile(**{"test_mine": IMPLS + THREE_LINES.format(impl=impl), **extra})


def good_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def overflowing_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


# ---- the three lines under pytest ---------------------------------------------


def test_a_conforming_softmax_passes_every_check(pytester):
    _project(pytester, "good_softmax")
    result = pytester.runpytest("-v", *FAST)
    result.assert_outcomes(passed=N_CHECKS)
    result.stdout.fnmatch_lines(["*test_softmax?good_softmax-accuracy? PASSED*",
                                 "*test_softmax?good_softmax-empty_input? PASSED*"])


def test_an_overflowing_softmax_fails_with_the_diagnosis(pytester):
    _project(pytester, "overflowing_softmax")
    result = pytester.runpytest("-v", *FAST)
    result.assert_outcomes(passed=N_CHECKS - len(OVERFLOW_FAILS), failed=len(OVERFLOW_FAILS))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for check in OVERFLOW_FAILS:
        result.stdout.fnmatch_lines([f"*test_softmax?overflowing_softmax-{check}? FAILED*"])
    out = result.stdout.str()
    assert "cause: exp overflows on large inputs" in out
    assert "subtract the max along the axis" in out
    assert "f = test_mine.overflowing_softmax" in out  # the reproducer calls the impl by name


def test_expected_failures_are_shown_as_xfail(pytester):
    reasons = {c: f"known: {c} (no max subtracted)" for c in sorted(OVERFLOW_FAILS)}
    pytester.makepyfile(test_mine=IMPLS + textwrap.dedent(f'''
        from conformance.testing import parametrize_with_checks
        @parametrize_with_checks([overflowing_softmax], expected_failed_checks={reasons!r})
        def test_softmax(impl, check): check(impl)
    '''))
    result = pytester.runpytest("-rx", *FAST)
    result.assert_outcomes(passed=N_CHECKS - len(OVERFLOW_FAILS), xfailed=len(OVERFLOW_FAILS))
    result.stdout.fnmatch_lines(["*XFAIL*overflowing_softmax-accuracy*known: accuracy (no max*"])


def test_an_expected_failure_for_one_dtype_leaves_the_other_failing(pytester):
    pytester.makepyfile(test_mine=IMPLS + textwrap.dedent('''
        from conformance.testing import parametrize_with_checks
        @parametrize_with_checks([overflowing_softmax],
                                 expected_failed_checks={"accuracy[float32]": "float32 only"})
        def test_softmax(impl, check): check(impl)
    '''))
    result = pytester.runpytest("-k", "accuracy", *FAST)
    result.assert_outcomes(failed=1, deselected=N_CHECKS - 1)
    out = result.stdout.str()
    assert "1 failed: accuracy[float64]" in out and "FAIL accuracy[float32]" not in out


def test_a_misspelt_expected_failure_fails_collection(pytester):
    pytester.makepyfile(test_mine=IMPLS + textwrap.dedent('''
        from conformance.testing import parametrize_with_checks
        @parametrize_with_checks([good_softmax], expected_failed_checks={"acuracy": "typo"})
        def test_softmax(impl, check): check(impl)
    '''))
    result = pytester.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error
    assert "'acuracy' names no check" in result.stdout.str()


# ---- the plugin's options and fixture -----------------------------------------


def test_conformance_policy_option_switches_to_the_strict_policy(pytester):
    _project(pytester, "zeros_for_masked_rows")
    default = pytester.runpytest(*FAST)
    default.assert_outcomes(passed=N_CHECKS)
    strict = pytester.runpytest("--conformance-policy", "strict", "-v", *FAST)
    # strict adds two required conventions; zeros for a fully masked row breaks one
    strict.assert_outcomes(passed=N_CHECKS + 1, failed=1)
    strict.stdout.fnmatch_lines(["conformance: policy strict, dtypes float32,float64",
                                 "*zeros_for_masked_rows-convention_all-neg-inf-row? FAILED*"])
    assert "behaves as 'zeros', the policy requires 'nan'" in strict.stdout.str()


def test_conformance_policy_option_reads_the_projects_pyproject(pytester):
    pytester.makepyprojecttoml("[tool.conformance.policies.exact]\naccuracy = 1e-6\n")
    _project(pytester, "good_softmax")
    result = pytester.runpytest("--conformance-policy", "exact", "-k", "accuracy", *FAST)
    result.assert_outcomes(failed=1, deselected=N_CHECKS - 1)
    assert "(policy exact, dtypes float32, float64)" in result.stdout.str()
    assert "> 1e-06" in result.stdout.str()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--conformance-policy", "lenient", "--conformance-policy lenient: unknown policy"),
    ("--conformance-dtypes", "float8", "--conformance-dtypes: dtypes=float8: choose from"),
])
def test_a_bad_option_value_is_a_usage_error(pytester, option, value, message):
    _project(pytester, "good_softmax")
    result = pytester.runpytest(option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_conformance_check_fixture_and_dtypes_option(pytester):
    pytester.makepyfile(test_fixture=IMPLS + textwrap.dedent('''
        from conformance.testing import check_impl

        def test_good(conformance_check):
            result = conformance_check(good_softmax)
            assert result.conforms and result.dtypes == ("float64",)

        def test_overflowing(conformance_check):
            conformance_check(overflowing_softmax)

        def test_dtypes_option_is_the_default_of_check_impl():
            assert check_impl(good_softmax, on_fail=None).dtypes == ("float64",)
    '''))
    result = pytester.runpytest("--conformance-dtypes", "float64", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_fixture.py::test_overflowing - *"])
    assert "subtract the max" in result.stdout.str()


# ---- check_impl in-process -------------------------------------------------------


def test_check_impl_returns_the_result_of_a_conforming_softmax():
    result = check_impl(good_softmax, policy="default", dtypes=DTYPES)
    assert result.conforms
    assert result.dtypes == DTYPES and result.policy == "default"
    softmax_checks = {c.name for c in CHECKS if c.applies_to(get_op("softmax"))}
    assert {o.check for o in result.outcomes} == softmax_checks
    assert result.target.endswith(":good_softmax")


def test_check_impl_raise_lists_every_failed_check_with_its_diagnosis():
    with pytest.raises(AssertionError) as info:
        check_impl(overflowing_softmax, policy="default", dtypes=DTYPES)
    assert isinstance(info.value, ConformanceError)
    result = info.value.result
    failed = {(o.check, o.dtype) for o in result.outcomes if o.failed}
    assert failed == {(c, d) for c in OVERFLOW_FAILS for d in DTYPES}
    text = str(info.value)
    for check, dtype in failed:
        assert f"FAIL {check}[{dtype}]" in text
    assert text.count("cause: exp overflows") >= len(failed) - 1
    assert "subtract the max" in text and "reproducer:" in text


def test_check_impl_warn_issues_one_warning_per_failure():
    with pytest.warns(ConformanceWarning) as record:
        result = check_impl(overflowing_softmax, policy="default", dtypes=DTYPES, on_fail="warn")
    assert not result.conforms
    assert len(record) == sum(o.failed for o in result.outcomes) == 2 * len(OVERFLOW_FAILS)
    assert all("subtract the max" in str(w.message) or "cause" not in str(w.message)
               for w in record)


def test_check_impl_none_only_returns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_impl(overflowing_softmax, policy="default", dtypes=DTYPES, on_fail=None)
    assert {o.check for o in result.outcomes if o.failed} == OVERFLOW_FAILS


def test_check_impl_expected_failures_and_checks():
    expected = {c: "no max subtracted" for c in OVERFLOW_FAILS}
    result = check_impl(overflowing_softmax, policy="default", dtypes=DTYPES,
                        expected_failed_checks=expected)
    assert result.conforms
    xfailed = {o.check for o in result.outcomes if o.status == "xfail"}
    assert xfailed == OVERFLOW_FAILS
    assert all(o.reason == "no max subtracted" for o in result.outcomes if o.status == "xfail")

    with pytest.warns(ConformanceWarning, match="'ties_equal' matches no check"):
        only = check_impl(overflowing_softmax, policy="default", dtypes="float64",
                          checks=["accuracy"], expected_failed_checks={
                              "accuracy": "no max", "ties_equal": "unused"})
    assert {o.check for o in only.outcomes} == {"accuracy"}
    assert only.unmatched_xfail == ["ties_equal"]


def test_check_impl_takes_an_adapter_and_its_known_failures():
    def factory():
        return {"softmax": lambda x, axis: overflowing_softmax(x, axis=axis)}

    adapter = Adapter(name="mine.overflowing", family="external", source="this test",
                      factory=factory, known_failures={"accuracy": "known", "row_sums": "known",
                                                       "finite_output": "known"})
    with pytest.raises(ConformanceError) as info:
        check_impl(adapter, policy="default", dtypes="float64")
    assert "1 failed: shift_invariance[float64]" in str(info.value)
    assert "loaded = adapter.load()" in str(info.value)


def test_check_impl_takes_a_registered_adapter_name():
    result = check_impl("numpy.naive", policy="default", dtypes="float64", on_fail=None)
    assert result.target == "numpy.naive" and not result.conforms
    diag = next(o for o in result.outcomes if o.failed)
    assert "load('numpy.naive')" in diag.reproducer


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"on_fail": "ignore"}, ValueError, "on_fail='ignore'"),
    ({"policy": "lenient"}, ValueError, "policy=lenient: unknown policy"),
    ({"dtypes": "float8"}, ValueError, "dtypes=float8"),
    ({"checks": ["acuracy"]}, ValueError, "checks=acuracy: unknown"),
    ({"expected_failed_checks": {"accuracy[float8]": "x"}}, ValueError, "names no check"),
])
def test_check_impl_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[")):
        check_impl(good_softmax, **kwargs)


def test_check_impl_rejects_what_is_no_implementation():
    with pytest.raises(TypeError, match="expected a callable"):
        check_impl(42)
    with pytest.raises(ValueError, match="no adapter named 'no.such'"):
        check_impl("no.such")


def test_the_reproducer_rebuilds_the_failure(tmp_path, monkeypatch):
    (tmp_path / "my_ops.py").write_text(IMPLS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_ops

    result = check_impl(my_ops.overflowing_softmax, policy="default", dtypes="float64",
                        on_fail=None, checks=["finite_output"])
    (outcome,) = [o for o in result.outcomes if o.failed]
    assert "import my_ops" in outcome.reproducer
    run = subprocess.run([sys.executable, "-c", outcome.reproducer], capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, check=True)
    assert "nan" in run.stdout


# ---- parametrize_with_checks in-process ---------------------------------------------


def _params(decorator):
    mark = decorator.mark
    assert mark.name == "parametrize" and mark.args[0] == "impl, check"
    return mark.args[1]


def test_parametrize_ids_pair_each_impl_with_each_check():
    params = _params(parametrize_with_checks([good_softmax, "numpy.reference"],
                                             policy="default", dtypes=DTYPES))
    names = check_names("default")
    assert [p.id for p in params] == ([f"good_softmax-{n}" for n in names]
                                      + [f"numpy.reference-{n}" for n in names])
    strict = _params(parametrize_with_checks([good_softmax], policy="strict", dtypes=DTYPES))
    assert [p.id for p in strict][-2:] == ["good_softmax-convention_all-neg-inf-row",
                                           "good_softmax-convention_empty"]


def test_the_checks_of_one_impl_share_one_run():
    calls = []

    def counted(x, axis=-1):
        calls.append(x.shape)
        return good_softmax(x, axis=axis)

    params = _params(parametrize_with_checks([counted], policy="default", dtypes=DTYPES))
    for p in params:
        impl, check = p.values
        assert check(impl).conforms
    per_run = check_impl(counted, policy="default", dtypes=DTYPES).calls
    assert len(calls) == 2 * per_run  # the parametrized checks ran the gate once in all


def test_a_check_xfails_on_an_expected_failure_and_raises_on_another():
    params = _params(parametrize_with_checks(
        [overflowing_softmax], policy="default", dtypes=DTYPES,
        expected_failed_checks=lambda impl: {"accuracy": "no max subtracted"}))
    by_id = {p.id: p.values for p in params}
    impl, check = by_id["overflowing_softmax-accuracy"]
    with pytest.raises(pytest.xfail.Exception, match="no max subtracted"):
        check(impl)
    impl, check = by_id["overflowing_softmax-row_sums"]
    with pytest.raises(ConformanceError, match="subtract the max"):
        check(impl)
    impl, check = by_id["overflowing_softmax-ties_equal"]
    assert check(impl) is not None


def test_the_engine_works_without_pytest():
    code = textwrap.dedent('''
        import sys
        sys.modules["pytest"] = None  # any import of pytest now fails
        import numpy as np
        import conformance.testing as t

        def naive(x, axis=-1):
            e = np.exp(x)
            return e / e.sum(axis=axis, keepdims=True)

        r = t.check_impl(naive, dtypes="float64", on_fail=None)
        print(r.conforms, sorted({o.check for o in r.outcomes if o.failed}))
        print(next(o for o in r.outcomes if o.failed).reproducer)
    ''')
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    first, *rest = run.stdout.splitlines()
    assert first == f"False {sorted(OVERFLOW_FAILS)}"
    assert any(line.startswith("f = ...  # bind f to naive") for line in rest)


def test_an_unavailable_adapter_raises_in_check_impl_and_skips_its_checks():
    from adapters.base import Unavailable

    def factory():
        raise ImportError("No module named 'fastsoftmax'")

    adapter = Adapter(name="fast.softmax", family="external", source="this test",
                      factory=factory, extra="fast")
    with pytest.raises(Unavailable, match="fastsoftmax"):
        check_impl(adapter, policy="default", dtypes="float64")
    params = _params(parametrize_with_checks([adapter], policy="default", dtypes="float64"))
    impl, check = params[0].values
    with pytest.raises(pytest.skip.Exception, match="fast.softmax is unavailable: No module"):
        check(impl)
