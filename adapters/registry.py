"""Every adapter the project ships and the installed plug-ins provide, by stable name,
plus selection by pattern."""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Iterable

from adapters.base import Adapter
from adapters.plugins import plugin_adapters

__all__ = ["all_adapters", "get", "select"]


def _collect() -> dict[str, Adapter]:
    from adapters import libraries, ops_libraries, reference
    from adapters import mxnet as mxnet_adapters
    from adapters.threads import ops_threads, seed_000, seed_001, seed_002, seed_003, seed_004

    found: dict[str, Adapter] = {}
    for module in (reference, libraries, ops_libraries, mxnet_adapters, seed_000, seed_001,
                   seed_002, seed_003, seed_004, ops_threads):
        for adapter in module.ADAPTERS:
            if adapter.name in found:
                raise ValueError(f"adapter name {adapter.name!r} registered twice")
            found[adapter.name] = adapter
    for adapter in plugin_adapters():
        if adapter.name in found:  # a plug-in never replaces an adapter, nor stops start-up
            warnings.warn(f"adapter {adapter.name!r} from {adapter.source} is ignored: the "
                          "name is already registered", RuntimeWarning, stacklevel=2)
            continue
        found[adapter.name] = adapter
    return found


_REGISTRY: dict[str, Adapter] | None = None


def _registry() -> dict[str, Adapter]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _collect()
    return _REGISTRY


def all_adapters() -> list[Adapter]:
    return list(_registry().values())


def get(name: str) -> Adapter:
    try:
        return _registry()[name]
    except KeyError:
        raise KeyError(f"no adapter named {name!r}; `conformance list` shows them") from None


def select(patterns: Iterable[str] | None) -> list[Adapter]:
    """Adapters whose name matches any glob pattern (all of them for None or empty)."""
    pats = list(patterns or [])
    if not pats:
        return all_adapters()
    chosen = [a for a in all_adapters() if any(fnmatch.fnmatchcase(a.name, p) for p in pats)]
    unmatched = [p for p in pats if not any(fnmatch.fnmatchcase(a.name, p) for a in all_adapters())]
    if unmatched:
        raise KeyError(f"no adapter matches {', '.join(map(repr, unmatched))}")
    return chosen
