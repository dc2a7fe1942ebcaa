"""Renders a report's JSON content; never recomputes a metric."""

from __future__ import annotations

from reports.json_report import SCHEMA_PREFIX, read_json, write_atomic, write_json
from reports.junit import render_junit
from reports.markdown import render_markdown

__all__ = [
    "SCHEMA_PREFIX",
    "read_json",
    "render_junit",
    "render_markdown",
    "write_atomic",
    "write_json",
]
