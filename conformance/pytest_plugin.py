"""The pytest plugin (entry point ``pytest11``): the conformance options and a fixture.

``--conformance-policy NAME`` and ``--conformance-dtypes float32,float64``
become the defaults of :mod:`conformance.testing` (``parametrize_with_checks``
and ``check_impl``) for this run; an argument given in the test code wins.
Policies are read with ``[tool.conformance]`` of the project's pyproject.toml.
The fixture ``conformance_check(impl, **kw)`` runs ``check_impl`` and fails
the test with the diagnosis when impl breaks the contract. With plug-in
autoloading off (PYTEST_DISABLE_PLUGIN_AUTOLOAD), load it with
``-p conformance.pytest_plugin``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["conformance_check"]

_PUSHED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "softmax conformance (conformance.testing)")
    group.addoption("--conformance-policy", metavar="NAME", default=None,
                    help="policy for parametrize_with_checks and check_impl: default, strict, "
                    "or one of [tool.conformance.policies] in pyproject.toml")
    group.addoption("--conformance-dtypes", metavar="DTYPES", action="append", default=None,
                    help="comma-separated dtypes to check (float16, bfloat16, float32, "
                    "float64); may be repeated; default: all")


def _pyproject(config: pytest.Config) -> Path:
    inipath = config.inipath
    if inipath is not None and inipath.name == "pyproject.toml":
        return Path(inipath)
    return Path(config.rootpath) / "pyproject.toml"


def pytest_configure(config: pytest.Config) -> None:
    from conformance import testing
    from conformance.contract.config import load_policy

    policy = config.getoption("conformance_policy", None)
    raw = config.getoption("conformance_dtypes", None)
    pyproject = _pyproject(config)
    dtypes = None
    if raw:
        try:
            dtypes = testing.resolve_dtypes(",".join(raw))
        except ValueError as exc:
            raise pytest.UsageError(f"--conformance-dtypes: {exc}") from None
    if policy is not None:
        try:
            load_policy(policy, pyproject)
        except ValueError as exc:
            raise pytest.UsageError(str(exc).replace("--policy", "--conformance-policy", 1)
                                    ) from None
    testing.push_defaults(testing.Defaults(policy, dtypes, pyproject))
    config.stash[_PUSHED] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_PUSHED, False):
        from conformance import testing

        testing.pop_defaults()
        config.stash[_PUSHED] = False


def pytest_report_header(config: pytest.Config) -> str | None:
    policy = config.getoption("conformance_policy", None)
    dtypes = config.getoption("conformance_dtypes", None)
    if policy is None and not dtypes:
        return None
    return (f"conformance: policy {policy or 'default'}, "
            f"dtypes {','.join(dtypes) if dtypes else 'all'}")


@pytest.fixture
def conformance_check() -> Callable[..., Any]:
    """``conformance_check(impl, **kw) -> GateResult``: check_impl that fails the test."""
    from conformance.testing import check_impl

    def run(impl: Any, **kw: Any) -> Any:
        __tracebackhide__ = True
        kw.setdefault("on_fail", "raise")
        return check_impl(impl, **kw)

    return run
