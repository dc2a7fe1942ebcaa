"""Renders a report's JSON content; never recomputes a metric."""

from __future__ import annotations

from reports.json_report import write_atomic, write_json
from reports.junit import render_junit
from reports.markdown import render_markdown

__all__ = [
    "render_junit",
    "render_markdown",
    "write_atomic",
    "write_json",
]
