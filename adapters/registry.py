"""Every adapter the project ships and the installed plug-ins provide, by stable name,
plus selection by pattern. Both arrive through the ``softmax_conformance.adapters``
entry-point group (adapters.plugins); nothing here lists modules by hand."""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Iterable

from adapters.base import DEVICE, Adapter, Loaded
from adapters.plugins import builtin_adapters, plugin_adapters_with_origin

__all__ = ["all_adapters", "get", "load", "origin", "select", "split_label"]

# The report lists the project's own reference first, then the libraries, then the threads.
_FAMILY_ORDER = {"reference": 0, "library": 1, "thread": 3}


def _collect() -> tuple[dict[str, Adapter], dict[str, str]]:
    found: dict[str, Adapter] = {}
    origins: dict[str, str] = {}
    builtin = builtin_adapters()
    for adapter, where in sorted(builtin, key=lambda a: _FAMILY_ORDER.get(a[0].family, 2)):
        if adapter.name in found:
            raise ValueError(f"adapter name {adapter.name!r} registered twice")
        found[adapter.name] = adapter
        origins[adapter.name] = where
    for adapter, where in plugin_adapters_with_origin():
        if adapter.name in found:  # a plug-in never replaces an adapter, nor stops start-up
            warnings.warn(f"adapter {adapter.name!r} from {adapter.source} is ignored: the "
                          "name is already registered", RuntimeWarning, stacklevel=2)
            continue
        found[adapter.name] = adapter
        origins[adapter.name] = where
    return found, origins


_REGISTRY: dict[str, Adapter] | None = None
_ORIGINS: dict[str, str] = {}


def _registry() -> dict[str, Adapter]:
    global _REGISTRY, _ORIGINS
    if _REGISTRY is None:
        _REGISTRY, _ORIGINS = _collect()
    return _REGISTRY


def all_adapters() -> list[Adapter]:
    return list(_registry().values())


def get(name: str) -> Adapter:
    try:
        return _registry()[name]
    except KeyError:
        raise KeyError(f"no adapter named {name!r}; `conformance list` shows them") from None


def split_label(label: str) -> tuple[str, str | None, str | None]:
    """A report column ``NAME[@DEVICE][@ENV]`` as (adapter name, device, environment); a
    suffix that reads as a device (``cuda:1``, ``cpu``, ``mps``) and that the adapter
    declares is the device."""
    name, *suffixes = label.split("@")
    device = env = None
    declared = get(name).capabilities.devices if name in _registry() else ()
    for part in suffixes:
        m = DEVICE.match(part)
        if device is None and m is not None and m["kind"] in (*declared, "cpu", "cuda", "mps"):
            device = part
        else:
            env = part
    return name, device, env


def load(label: str) -> Loaded:
    """The ops of the adapter a report column names (``torch.softmax@cuda``), on its device;
    a reproducer's way in. The environment part names where to run it, not how."""
    name, device, _ = split_label(label)
    return get(name).load(device=device)


def origin(name: str) -> str | None:
    """The entry point (``module:attr``) an adapter came from, so that a worker in another
    environment, where this project is not installed, imports that module alone."""
    _registry()
    return _ORIGINS.get(name)


def select(patterns: Iterable[str] | None) -> list[Adapter]:
    """Adapters whose name matches any glob pattern; for None or empty, those of the default
    run: all but the opt-in ones (``default=False``), which only a pattern matching nothing
    but opt-in adapters selects."""
    pats = list(patterns or [])
    if not pats:
        return [a for a in all_adapters() if a.default]
    everyone = all_adapters()
    # a pattern that matches default adapters too ('jax.*') leaves the opt-in ones out; one
    # that matches only opt-in ones ('jax.*.eager*', 'torch.compile.softmax') selects them
    broad = [p for p in pats if any(a.default and fnmatch.fnmatchcase(a.name, p)
                                    for a in everyone)]
    chosen = [a for a in everyone if any(fnmatch.fnmatchcase(a.name, p) for p in pats
                                         if a.default or p not in broad)]
    unmatched = [p for p in pats if not any(fnmatch.fnmatchcase(a.name, p) for a in all_adapters())]
    if unmatched:
        raise KeyError(f"no adapter matches {', '.join(map(repr, unmatched))}")
    return chosen
