"""Policies and expected failures from files: ``[tool.conformance]`` and ``--xfail FILE``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.bounds import POLICIES, Policy

__all__ = ["load_environments", "load_policy", "load_xfail"]


def _toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def load_policy(name: str, pyproject: Path | None = None) -> Policy:
    """A named policy, with the overrides of ``[tool.conformance]`` in pyproject.toml.

    ``[tool.conformance.policies.NAME]`` overrides policy NAME (and may define a
    new one on top of ``default``); keys: accuracy (a number or a table per
    dtype), row_sum_base, row_sum_per_log2, conventions (a table kind = label).
    """
    tables: Mapping[str, Any] = {}
    if pyproject is not None and pyproject.is_file():
        tool = _toml(pyproject).get("tool", {}).get("conformance", {})
        tables = tool.get("policies", {})
    if name not in POLICIES and name not in tables:
        known = sorted({*POLICIES, *tables})
        raise ValueError(f"--policy {name}: unknown policy; choose from {', '.join(known)}")
    policy = POLICIES.get(name, POLICIES["default"])
    if name in tables:
        policy = policy.with_overrides(
            tables[name], source=f"{pyproject} [tool.conformance.policies.{name}]"
        )
    return policy if policy.name == name else _renamed(policy, name)


def _renamed(policy: Policy, name: str) -> Policy:
    from dataclasses import replace

    return replace(policy, name=name)


def load_xfail(path: Path) -> dict[str, str]:
    """Expected failures: a TOML or JSON table ``check`` or ``check[dtype]`` -> reason."""
    try:
        data = _toml(path) if path.suffix == ".toml" else json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"--xfail {path}: cannot read it: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"--xfail {path}: expected a table of check name -> reason (strings)")
    return dict(data)


def load_environments(pyproject: Path | None, registry: Path | str | None = "default"
                      ) -> dict[str, str]:
    """Name -> path of a Python interpreter: the environments ``conformance env create``
    recorded in ``registry`` (``"default"``: conformance.envs.registry_path(); None: none),
    those whose interpreter is gone left out, overridden by
    ``[tool.conformance.environments]`` of ``pyproject``."""
    envs: dict[str, str] = {}
    if registry is not None:
        from conformance.envs import read_registry, registry_path

        path = registry_path() if registry == "default" else Path(registry)
        envs = {k: v for k, v in read_registry(path).items() if Path(v).is_file()}
    if pyproject is None or not pyproject.is_file():
        return envs
    table = _toml(pyproject).get("tool", {}).get("conformance", {}).get("environments", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"{pyproject}: [tool.conformance.environments] must map names to "
                         "interpreter paths")
    return {**envs, **table}
