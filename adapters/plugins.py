"""Adapters from installed plug-ins: the ``softmax_conformance.adapters`` entry-point group.

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
from typing import Any

from adapters.base import Adapter, Unavailable

__all__ = ["GROUP", "broken_plugin", "plugin_adapters"]

GROUP = "softmax_conformance.adapters"


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


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=GROUP)


def plugin_adapters() -> list[Adapter]:
    """Every adapter the installed plug-ins provide, in entry-point order (by name).

    A plug-in that fails to load gives one unavailable adapter named after its
    entry point, with the reason; this function itself does not raise.
    """
    found: list[Adapter] = []
    seen: set[tuple[str, str]] = set()
    for ep in sorted(_entry_points(), key=lambda e: (e.name, e.value)):
        if (ep.name, ep.value) in seen:  # one distribution seen twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        source = _describe(ep)
        try:
            obj = ep.load()
        except Exception as exc:
            found.append(broken_plugin(ep.name, source,
                                       f"loading {ep.value} raised {type(exc).__name__}: {exc}"))
            continue
        try:
            found.extend(_adapters_of(obj, ep))
        except ValueError as exc:
            found.append(broken_plugin(ep.name, source, str(exc)))
    return found
