"""The gate inside a test suite, in the manner of scikit-learn's estimator checks.

Three lines in a library's own tests::

    from conformance.testing import parametrize_with_checks

    @parametrize_with_checks([my_softmax])
    def test_softmax(impl, check):
        check(impl)

give one test per (implementation, check), with ids such as
``my_softmax-accuracy``; a failing check fails its test with the diagnosis
(smallest failing case, worst element, cause, fix and a reproducer).
``check_impl(impl)`` runs the whole contract once and returns the
:class:`~conformance.contract.gate.GateResult`.

An implementation is a NumPy-in, NumPy-out callable ``f(x, axis=...)``, an
:class:`adapters.base.Adapter`, a registered adapter name (``"scipy.special"``)
or ``"MODULE:CALLABLE"`` as ``conformance check --impl`` takes it.

Expected failures are data: ``{"empty_input": "reason", "accuracy[float16]":
"reason"}``; a registered adapter's ``known_failures`` are expected too.

Policy and dtypes: an argument given here wins; otherwise the pytest plugin's
``--conformance-policy`` and ``--conformance-dtypes``; otherwise ``default``
and every dtype. Policies are read with ``[tool.conformance]`` of the
project's pyproject.toml (pytest's rootdir under pytest, else the current
directory). pytest is imported only inside the functions that need it.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.base import Adapter
    from cases.model import Case
    from conformance.contract.gate import CheckOutcome, GateResult
    from conformance.measure.bounds import Policy

__all__ = [
    "ConformanceError",
    "ConformanceWarning",
    "check_impl",
    "check_names",
    "describe_failures",
    "parametrize_with_checks",
]

ON_FAIL = ("raise", "warn", None)

Expected = Mapping[str, str] | Callable[[Any], Mapping[str, str] | None] | None


class ConformanceWarning(UserWarning):
    """A violated check, when ``check_impl(..., on_fail="warn")``; or an unused xfail entry."""


class ConformanceError(AssertionError):
    """The implementation breaks the contract; ``result`` is the GateResult."""

    def __init__(self, message: str, result: GateResult) -> None:
        super().__init__(message)
        self.result = result


# ---- defaults set by the pytest plugin ---------------------------------------


@dataclass(frozen=True)
class Defaults:
    """What ``--conformance-policy`` / ``--conformance-dtypes`` set for one pytest run."""

    policy: str | None = None
    dtypes: tuple[str, ...] | None = None
    pyproject: Path | None = None


# A stack, since pytest can run inside pytest (pytester); the plugin pushes and pops.
_DEFAULTS: list[Defaults] = []


def push_defaults(defaults: Defaults) -> None:
    _DEFAULTS.append(defaults)


def pop_defaults() -> None:
    if _DEFAULTS:
        _DEFAULTS.pop()


def _defaults() -> Defaults:
    return _DEFAULTS[-1] if _DEFAULTS else Defaults()


def resolve_policy(policy: str | Policy | None = None) -> Policy:
    """A Policy from a name (with the project's ``[tool.conformance]``), or as given."""
    from conformance.contract.config import load_policy
    from conformance.measure.bounds import Policy

    if isinstance(policy, Policy):
        return policy
    d = _defaults()
    name = policy if policy is not None else (d.policy or "default")
    if not isinstance(name, str):
        raise TypeError(f"policy={policy!r}: expected a policy name or a Policy")
    pyproject = d.pyproject if d.pyproject is not None else Path.cwd() / "pyproject.toml"
    try:
        return load_policy(name, pyproject)
    except ValueError as exc:
        raise ValueError(str(exc).replace("--policy ", "policy=", 1)) from None


def resolve_dtypes(dtypes: str | Iterable[Any] | None = None) -> tuple[str, ...]:
    """Dtype names in the catalogue's order: "float32,float64", a list, NumPy dtypes, None."""
    from cases.dtypes import FLOAT_DTYPES, dtype_name

    if dtypes is None:
        dtypes = _defaults().dtypes or FLOAT_DTYPES
    items = dtypes.split(",") if isinstance(dtypes, str) else list(dtypes)
    names = []
    for item in items:
        if isinstance(item, str):
            name = item.strip()
        else:
            try:
                name = dtype_name(item)
            except (TypeError, ValueError, KeyError):
                name = repr(item)
        if name:
            names.append(name)
    bad = [n for n in names if n not in FLOAT_DTYPES]
    if bad or not names:
        raise ValueError(f"dtypes={','.join(bad) or '(none)'}: choose from "
                         f"{', '.join(FLOAT_DTYPES)}")
    return tuple(n for n in FLOAT_DTYPES if n in names)


# ---- what is tested ----------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    adapter: Adapter
    reproduce: Callable[[Case], str]
    label: str  # the short name in test ids


def _callable_import_lines(fn: Any) -> list[str]:
    """Lines binding ``f`` to the callable in a fresh interpreter, or a comment if we cannot."""
    module_name = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    module = sys.modules.get(module_name or "")
    obj: Any = module
    for part in (qualname or "<>").split("."):
        obj = getattr(obj, part, None)
    if module is None or obj is not fn or module_name == "__main__":
        where = ""
        try:
            where = f", defined in {inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
        except (TypeError, OSError):
            pass
        return [f"f = ...  # bind f to {qualname or repr(fn)} (not importable by name{where})"]
    file = getattr(module, "__file__", None)
    try:
        spec = importlib.util.find_spec(module_name or "")
    except (ImportError, ValueError):
        spec = None
    found = spec is not None and (file is None or spec.origin is None
                                  or Path(spec.origin).resolve() == Path(file).resolve())
    if found or file is None:
        return [f"import {module_name}", f"f = {module_name}.{qualname}"]
    return [  # a module known only by its file, e.g. a test module pytest imported
        "import importlib.util",
        f"spec = importlib.util.spec_from_file_location({module_name!r}, {str(file)!r})",
        "mod = importlib.util.module_from_spec(spec)",
        "spec.loader.exec_module(mod)",
        f"f = mod.{qualname}",
    ]


def _callable_target(fn: Callable[..., Any]) -> _Target:
    from adapters.base import Adapter, Capabilities
    from conformance.contract.reproducer import impl_reproducer

    label = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None)
    label = label or type(fn).__name__
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or label
    name = f"{module}:{qualname}"

    def factory() -> dict[str, Callable[..., Any]]:
        return {"softmax": lambda x, axis: fn(x, axis=axis)}

    adapter = Adapter(name=name, family="external", source=f"callable {name}", factory=factory,
                      capabilities=Capabilities())
    lines = _callable_import_lines(fn)
    return _Target(adapter, lambda case: impl_reproducer(
        case, lines, [f"y = f(x, axis={case.axis})"]), label)


def _adapter_target(adapter: Adapter) -> _Target:
    from adapters import get
    from conformance.contract.reproducer import input_lines, reproducer

    try:
        registered = get(adapter.name) == adapter
    except KeyError:
        registered = False
    if registered:
        return _Target(adapter, lambda case: reproducer(case, adapter.name), adapter.name)

    def reproduce(case: Case) -> str:
        return "\n".join([
            *input_lines(case),
            f"# adapter: the Adapter object named {adapter.name!r} ({adapter.source})",
            "loaded = adapter.load()",
            f"y = loaded.to_numpy(loaded.ops['softmax'](loaded.to_native(x), {case.axis}))",
            "print(y)",
        ])

    return _Target(adapter, reproduce, adapter.name)


def _target(impl: Any) -> _Target:
    from adapters.base import Adapter

    if isinstance(impl, Adapter):
        return _adapter_target(impl)
    if isinstance(impl, str):
        if ":" in impl:
            from adapters.external import parse_impl
            from conformance.contract.reproducer import impl_reproducer

            spec = parse_impl(impl)
            spec.resolve()  # ImplError (a ValueError) names what is wrong
            return _Target(spec.adapter(), lambda case: impl_reproducer(
                case, spec.import_lines(), spec.call_lines(case.axis)), spec.attr)
        from adapters import get

        try:
            return _adapter_target(get(impl))
        except KeyError as exc:
            raise ValueError(f"impl={impl!r}: {exc.args[0]}") from None
    if callable(impl):
        return _callable_target(impl)
    raise TypeError(f"impl={impl!r}: expected a callable f(x, axis=...), an Adapter, "
                    "a registered adapter name or 'MODULE:CALLABLE'")


# ---- checks and expected failures --------------------------------------------


def check_names(policy: str | Policy | None = None) -> list[str]:
    """The checks a gate under ``policy`` reports: the contract, then the required conventions."""
    from conformance.contract.checks import CHECKS
    from conformance.ops import get_op

    pol = resolve_policy(policy)
    return [c.name for c in CHECKS if c.applies_to(get_op("softmax"))] + [
        f"convention_{k}" for k in sorted(pol.conventions)]


def _validate_expected(expected: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    from cases.dtypes import FLOAT_DTYPES

    if not isinstance(expected, Mapping):
        raise TypeError(f"expected_failed_checks={expected!r}: expected a mapping "
                        "check or check[dtype] -> reason")
    for key, reason in expected.items():
        check, _, rest = str(key).partition("[")
        dtype = rest[:-1] if rest.endswith("]") else None
        if check not in names or (rest and dtype not in FLOAT_DTYPES):
            raise ValueError(f"expected_failed_checks: {key!r} names no check; use a check "
                             f"({', '.join(names)}), optionally with [dtype] "
                             f"({', '.join(FLOAT_DTYPES)})")
        if not isinstance(reason, str):
            raise TypeError(f"expected_failed_checks[{key!r}]: the reason must be a string")
    return dict(expected)


def _expected_for(impl: Any, target: _Target, expected: Expected,
                  names: Sequence[str]) -> dict[str, str]:
    own = expected(impl) if callable(expected) else expected
    return {**target.adapter.known_failures, **_validate_expected(own or {}, names)}


def _with_xfail(gate: GateResult, xfail: Mapping[str, str]) -> GateResult:
    """The gate's outcomes with the expected failures applied (as run_gate applies them)."""
    from conformance.contract.gate import GateResult, xfail_key

    used: set[str] = set()
    outcomes = []
    for o in gate.outcomes:
        key = next((k for k in (xfail_key(o.check, o.dtype), o.check) if k in xfail), None)
        if key is not None:
            used.add(key)
            o = replace(o, status="xfail" if o.status == "FAIL" else o.status, reason=xfail[key])
        outcomes.append(o)
    return GateResult(gate.target, gate.policy, gate.dtypes, outcomes,
                      sorted(set(xfail) - used), gate.calls)


# ---- running -----------------------------------------------------------------

_ORACLE: Any = None
# (impl key, policy, dtypes) -> (impl, GateResult without expected failures). The impl is
# kept so that its id is not reused while the entry lives.
_RUNS: dict[tuple[Any, ...], tuple[Any, GateResult]] = {}


def _oracle() -> Any:
    global _ORACLE
    if _ORACLE is None:
        from conformance.oracle import Oracle

        _ORACLE = Oracle(cache_dir=None)  # in memory; case ids are content hashes
    return _ORACLE


def _run(target: _Target, policy: Policy, dtypes: tuple[str, ...],
         checks: Sequence[str] | None) -> GateResult:
    from conformance.contract.gate import run_gate
    from conformance.execute.progress import Progress

    return run_gate(target.adapter, policy=policy, dtypes=dtypes, oracle=_oracle(),
                    reproduce=target.reproduce, checks=checks,
                    progress=Progress(1, target.adapter.name, enabled=False))


def _cached_run(impl: Any, target: _Target, policy: Policy, dtypes: tuple[str, ...]) -> GateResult:
    key = (impl if isinstance(impl, str) else id(impl), repr(policy), dtypes)
    hit = _RUNS.get(key)
    if hit is None or hit[0] is not impl:
        hit = _RUNS[key] = (impl, _run(target, policy, dtypes, None))
    return hit[1]


def _describe(o: CheckOutcome) -> str:
    head = f"{o.status} {o.check}[{o.dtype}]: {o.description}"
    d = o.diagnosis
    if d is None:
        return head + (f" (expected to fail: {o.reason}, but passed)" if o.reason else "")
    lines = [f"{head}; on case {d.case.id} (shape {tuple(d.case.shape)}, axis {d.case.axis}; "
             f"{d.failures} failing input(s))", f"  {d.message}"]
    if d.cause:
        lines += [f"  cause: {d.cause}", f"  fix:   {d.fix}"]
    if len(d.causes) > 1:
        lines.append("  causes over all failing inputs: "
                     + ", ".join(f"{c} ({n})" for c, n in d.causes))
    if o.reproducer:
        lines += ["  reproducer:", *(f"    {line}" for line in o.reproducer.splitlines())]
    return "\n".join(lines)


def describe_failures(result: GateResult, checks: Iterable[str] | None = None) -> str:
    """Every failed outcome (optionally of some checks only) with its diagnosis, as text."""
    wanted = None if checks is None else set(checks)
    failed = [o for o in result.outcomes if o.failed and (wanted is None or o.check in wanted)]
    if not failed:
        return (f"{result.target} conforms (policy {result.policy}, "
                f"dtypes {', '.join(result.dtypes)})")
    names = ", ".join(f"{o.check}[{o.dtype}]" for o in failed)
    head = (f"{result.target} does not conform to the softmax contract (policy {result.policy}, "
            f"dtypes {', '.join(result.dtypes)}): {len(failed)} failed: {names}")
    return "\n\n".join([head, *(_describe(o) for o in failed)])


def check_impl(
    impl: Any,
    *,
    policy: str | Policy | None = None,
    dtypes: str | Iterable[Any] | None = None,
    on_fail: str | None = "raise",
    expected_failed_checks: Mapping[str, str] | None = None,
    checks: Sequence[str] | None = None,
) -> GateResult:
    """Run the contract on ``impl`` and return the GateResult.

    on_fail: ``"raise"`` raises :class:`ConformanceError` (an AssertionError) listing
    every failed check with its diagnosis; ``"warn"`` issues one
    :class:`ConformanceWarning` per failed check; None only returns.
    expected_failed_checks: ``{check or check[dtype]: reason}``, reported as xfail.
    checks: run only these checks (names of :data:`conformance.contract.checks.CHECKS`).
    Raises ``adapters.Unavailable`` if impl is an adapter whose backend is missing.
    """
    __tracebackhide__ = True
    if on_fail not in ON_FAIL:
        raise ValueError(f"on_fail={on_fail!r}: choose from 'raise', 'warn', None")
    pol = resolve_policy(policy)
    dts = resolve_dtypes(dtypes)
    names = check_names(pol)
    if checks is not None:
        checks = [checks] if isinstance(checks, str) else list(checks)
        unknown = [c for c in checks if c not in names]
        if unknown:
            raise ValueError(f"checks={','.join(unknown)}: unknown; choose from {', '.join(names)}")
    target = _target(impl)
    xfail = _expected_for(impl, target, expected_failed_checks, names)
    result = _with_xfail(_run(target, pol, dts, checks), xfail)
    for key in result.unmatched_xfail:
        warnings.warn(f"expected_failed_checks entry {key!r} matches no check that ran "
                      f"on {result.target}", ConformanceWarning, stacklevel=2)
    failed = [o for o in result.outcomes if o.failed]
    if failed and on_fail == "raise":
        raise ConformanceError(describe_failures(result), result)
    if on_fail == "warn":
        for o in failed:
            warnings.warn(f"{result.target}: {_describe(o)}", ConformanceWarning, stacklevel=2)
    return result


# ---- pytest ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Check:
    """One check of the contract; ``check(impl)`` runs it across the dtypes."""

    name: str
    policy: Policy
    dtypes: tuple[str, ...]
    expected: Expected
    names: tuple[str, ...]

    def __call__(self, impl: Any) -> GateResult:
        __tracebackhide__ = True
        import pytest

        from adapters.base import Unavailable

        target = _target(impl)
        try:
            raw = _cached_run(impl, target, self.policy, self.dtypes)
        except Unavailable as exc:
            pytest.skip(f"{target.adapter.name} is unavailable: {exc}")
        result = _with_xfail(raw, _expected_for(impl, target, self.expected, self.names))
        mine = [o for o in result.outcomes if o.check == self.name]
        if any(o.failed for o in mine):
            raise ConformanceError(describe_failures(result, [self.name]), result)
        xfailed = [o for o in mine if o.status == "xfail"]
        if xfailed:
            pytest.xfail("; ".join(f"{o.check}[{o.dtype}]: {o.reason}" for o in xfailed))
        if mine and all(o.status == "n/a" for o in mine):
            pytest.skip(f"{self.name}: no input that {target.adapter.name}'s capabilities accept")
        return result

    def __repr__(self) -> str:
        return f"<conformance check {self.name}>"


def parametrize_with_checks(
    impls: Sequence[Any],
    *,
    expected_failed_checks: Expected = None,
    policy: str | Policy | None = None,
    dtypes: str | Iterable[Any] | None = None,
) -> Any:
    """A ``pytest.mark.parametrize("impl, check", ...)`` over every (impl, check) pair.

    The test receives ``impl`` and ``check`` and calls ``check(impl)``: the check
    fails the test with its diagnosis, or xfails it when it is expected to fail.
    expected_failed_checks: ``{check or check[dtype]: reason}`` for every impl, or a
    callable ``impl -> mapping or None``. One gate run per impl is shared by its checks.
    """
    import pytest

    if isinstance(impls, (str, bytes)) or not isinstance(impls, Sequence) or not impls:
        raise TypeError(f"impls={impls!r}: expected a non-empty list of implementations")
    pol = resolve_policy(policy)
    dts = resolve_dtypes(dtypes)
    names = tuple(check_names(pol))
    params = []
    for impl in impls:
        target = _target(impl)
        _expected_for(impl, target, expected_failed_checks, names)  # bad keys fail collection
        for name in names:
            check = _Check(name, pol, dts, expected_failed_checks, names)
            params.append(pytest.param(impl, check, id=f"{target.label}-{name}"))
    return pytest.mark.parametrize("impl, check", params)
