"""The order the renderers list dtypes and ops in: the report's own, then any others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ordered_dtypes", "report_ops"]


def ordered_dtypes(report: Mapping[str, Any], seen: set[str]) -> list[str]:
    """The dtypes seen, in the report's order (then any others, sorted)."""
    order = [d for d in report.get("dtype_order", []) if d in seen]
    return order + sorted(seen - set(order))


def report_ops(report: Mapping[str, Any]) -> list[str]:
    """The ops the summaries cover, in the report's order (then any others, sorted)."""
    seen = {op for s in report["summaries"] for op in s.get("per_op", {})}
    listed = [op for op in report.get("ops", {}) if op in seen]
    return listed + sorted(seen - set(listed))
