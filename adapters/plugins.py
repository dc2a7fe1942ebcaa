"""Adapters from the ``softmax_conformance.adapters`` entry-point group: the built-in ones
(this project's own pyproject.toml declares each module of ``adapters/`` there) and those of
installed plug-ins, found the same way.

A distribution registers its adapters in its own pyproject.toml::

    [project.entry-points."softmax_conformance.adapters"]
    mylib = "mylib.conformance:ADAPTERS"

Each entry point loads to an :class:`~adapters.base.Adapter`, a list (or
tuple) of them, or a zero-argument callable returning either. Plug-in
adapters are collected as they are, fields untouched. A plug-in that cannot
be loaded (its module raises on import, the attribute is missing, it returns
something else than adapters) never stops the harness: it becomes an
*unavailable* adapter named after the entry point, whose reason says what
went wrong, so ``conformance list`` shows it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from adapters.base import Adapter, Unavailable

__all__ = [
    "DISTRIBUTION",
    "GROUP",
    "broken_plugin",
    "builtin_adapters",
    "load_entry_points",
    "plugin_adapters",
    "plugin_adapters_with_origin",
]

GROUP = "softmax_conformance.adapters"
DISTRIBUTION = "softmax-conformance"
_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _describe(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" (distribution {dist.name} {dist.version})" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value!r} in group {GROUP}{where}"


def broken_plugin(name: str, source: str, reason: str) -> Adapter:
    """An adapter that is unavailable because its plug-in could not be loaded."""

    def fail() -> Any:
        raise Unavailable(reason)

    return Adapter(name=name, family="plugin", source=source, factory=fail,
                   notes=f"plug-in failed to load: {reason}")


def _adapters_of(obj: Any, ep: importlib.metadata.EntryPoint) -> list[Adapter]:
    """The adapters an entry point's object stands for; ValueError naming what it got."""
    if callable(obj) and not isinstance(obj, Adapter):
        try:
            obj = obj()
        except Exception as exc:
            raise ValueError(f"calling {ep.value}() raised {type(exc).__name__}: {exc}") from None
    items = [obj] if isinstance(obj, Adapter) else obj
    if isinstance(items, (list, tuple)) and items and all(isinstance(a, Adapter) for a in items):
        return list(items)
    if isinstance(items, (list, tuple)):
        bad = sorted({type(a).__name__ for a in items if not isinstance(a, Adapter)})
        got = f"a {type(items).__name__} holding {', '.join(bad)}" if bad else "an empty list"
    else:
        got = f"a {type(items).__name__}"
    raise ValueError(f"{ep.value} gave {got}; expected an Adapter, a list of Adapters, "
                     "or a zero-argument callable returning either")


def _ours(ep: importlib.metadata.EntryPoint) -> bool:
    dist = getattr(ep, "dist", None)
    return dist is not None and dist.name == DISTRIBUTION


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    """The group's entry points of other distributions: the plug-ins."""
    return [ep for ep in importlib.metadata.entry_points(group=GROUP) if not _ours(ep)]


def _builtin_entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    """This project's own entry points: from its installed metadata, or, in a source tree
    that is not installed (a worker in another environment), from its pyproject.toml."""
    ours = [ep for ep in importlib.metadata.entry_points(group=GROUP) if _ours(ep)]
    if ours or not _PYPROJECT.is_file():
        return ours
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with open(_PYPROJECT, "rb") as fh:
        table = tomllib.load(fh).get("project", {}).get("entry-points", {}).get(GROUP, {})
    return [importlib.metadata.EntryPoint(name=k, value=v, group=GROUP) for k, v in table.items()]


def builtin_adapters() -> list[tuple[Adapter, str]]:
    """This project's own adapters with the entry point (``module:attr``) each came from."""
    return load_entry_points(_builtin_entry_points())


def plugin_adapters() -> list[Adapter]:
    """Every adapter the installed plug-ins provide, in entry-point order (by name).

    A plug-in that fails to load gives one unavailable adapter named after its
    entry point, with the reason; this function itself does not raise.
    """
    return [adapter for adapter, _ in plugin_adapters_with_origin()]


def plugin_adapters_with_origin() -> list[tuple[Adapter, str]]:
    """plugin_adapters(), each with the entry point (``module:attr``) it came from."""
    return load_entry_points(_entry_points())


def load_entry_points(
    entry_points: Iterable[importlib.metadata.EntryPoint],
) -> list[tuple[Adapter, str]]:
    """(adapter, entry point value) for every adapter the entry points give, by name."""
    found: list[tuple[Adapter, str]] = []
    seen: set[tuple[str, str]] = set()
    for ep in sorted(entry_points, key=lambda e: (e.name, e.value)):
        if (ep.name, ep.value) in seen:  # one distribution seen twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        source = _describe(ep)
        try:
            obj = ep.load()
        except Exception as exc:
            found.append((broken_plugin(ep.name, source, f"loading {ep.value} raised "
                                        f"{type(exc).__name__}: {exc}"), ep.value))
            continue
        try:
            found.extend((a, ep.value) for a in _adapters_of(obj, ep))
        except ValueError as exc:
            found.append((broken_plugin(ep.name, source, str(exc)), ep.value))
    return found
