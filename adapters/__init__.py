"""Who is tested: one adapter per implementation, behind one interface."""

from __future__ import annotations

from adapters.base import AXIS_MODES, DEFECTS, Adapter, Capabilities, Unavailable
from adapters.registry import all_adapters, get, load, select

__all__ = [
    "AXIS_MODES",
    "DEFECTS",
    "Adapter",
    "Capabilities",
    "Unavailable",
    "all_adapters",
    "get",
    "load",
    "select",
]
