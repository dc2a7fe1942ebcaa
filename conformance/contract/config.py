"""Policies and expected failures from files: ``[tool.conformance]`` and ``--xfail FILE``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.measure.bounds import POLICIES, Policy
from conformance.tomlfile import read_toml, table_at

__all__ = ["load_policy", "load_xfail"]


def _toml(path: Path) -> dict[str, Any]:
    return read_toml(path, "a pyproject.toml" if path.name == "pyproject.toml" else "TOML")


def load_policy(name: str, pyproject: Path | None = None) -> Policy:
    """A named policy, with the overrides of ``[tool.conformance]`` in pyproject.toml.

    ``[tool.conformance.policies.NAME]`` overrides policy NAME (and may define a
    new one on top of ``default``); keys: accuracy (a number or a table per
    dtype), row_sum_base, row_sum_per_log2, conventions (a table kind = label).
    """
    tables: Mapping[str, Any] = {}
    if pyproject is not None and pyproject.exists():
        tables = table_at(_toml(pyproject), pyproject, ("tool", "conformance", "policies"))
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
    except RecursionError:
        raise ValueError(f"--xfail {path}: cannot read it: nested too deeply") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"--xfail {path}: expected a table of check name -> reason (strings)")
    return dict(data)
