"""Renders a report's JSON content; never recomputes a metric."""

from __future__ import annotations

from reports.check_markdown import render_check_markdown
from reports.html import render_html
from reports.json_report import write_atomic, write_json
from reports.junit import render_junit, render_run_junit
from reports.markdown import render_markdown, render_verdict

__all__ = [
    "render_check_markdown",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_run_junit",
    "render_verdict",
    "write_atomic",
    "write_json",
]
