"""report.html in a real browser: headless Chromium (Debian's chromium package, which
.ci/run installs) opens the file with the network cut. No console error, no request
leaves the file, every plot is in the DOM with data in it, the filters and the charts'
legend work; the screenshots are kept under test-artifacts/ as CI artefacts. Never
skipped: without Chromium or Playwright the test fails and says how to install them."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

# every plot: its kind, its data-points and what its DOM holds (series drawn, cells)
_PLOTS = """() => Array.from(document.querySelectorAll('[data-plot]')).map(el => ({
  kind: el.dataset.plot,
  points: Number(el.dataset.points),
  svg: el.querySelectorAll('svg').length,
  series: el.querySelectorAll('svg [id*="series-"] path, svg [id*="series-"] use').length,
  cells: el.querySelectorAll('td.cell').length,
  visible: el.getBoundingClientRect().width > 0,
}))"""

# the first chart legend's first button, clicked twice: that adapter's series groups in
# the page, and how many of them are hidden after the first click and after the second
_LEGEND = """() => {
  const b = document.querySelector('section .legend button');
  const groups = Array.from(document.querySelectorAll('svg g[id]')).filter(
    g => g.id.endsWith('-series-' + b.dataset.series));
  const hidden = () => groups.filter(g => getComputedStyle(g).display === 'none').length;
  b.click();
  const off = hidden();
  b.click();
  return {groups: groups.length, hidden: off, after: hidden()};
}"""


@dataclass
class Opened:
    console: list[str] = field(default_factory=list)  # errors and warnings logged
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL but the file itself
    plots: list[dict[str, Any]] = field(default_factory=list)
    hidden_by_dtype: int = 0  # elements the dtype filter hid
    legend: dict[str, int] = field(default_factory=dict)  # a legend button clicked, twice
    title: str = ""


def chromium() -> str:
    """Chromium's path: $CHROMIUM, /usr/bin/chromium or chromium on PATH; '' if none."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return ""


def open_report(path: Path, screenshot: Path, executable: str) -> Opened:
    from playwright.sync_api import sync_playwright

    seen = Opened()
    url = path.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda exc: seen.page_errors.append(str(exc)))

            def route(r: Any) -> None:
                if r.request.url != url:
                    seen.requests.append(r.request.url)
                    r.abort()
                else:
                    r.continue_()

            page.route("**/*", route)
            page.on("request", lambda r: seen.requests.append(r.url) if r.url != url and
                    r.url not in seen.requests else None)
            page.goto(url, wait_until="load")
            seen.title = page.title()
            seen.plots = page.evaluate(_PLOTS)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
            page.screenshot(path=str(screenshot.with_name(screenshot.stem + "-full.png")),
                            full_page=True)
            seen.legend = page.evaluate(_LEGEND)
            page.select_option("#filter-dtype", "bfloat16")
            seen.hidden_by_dtype = page.evaluate(
                "() => document.querySelectorAll('.hidden-by-filter').length")
        finally:
            browser.close()
    return seen


ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _browser() -> str:
    path = chromium()
    if not path:
        pytest.fail("Chromium not found at /usr/bin/chromium (or $CHROMIUM): install it with "
                    "`apt-get install -y chromium` (.ci/run does)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.fail("playwright is missing: pip install -c constraints.txt -e '.[test]'")
    return path


def test_report_html_in_headless_chromium(small_run):
    executable = _browser()
    page = small_run / "report.html"
    kept = ARTIFACTS / "report.html"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(page, kept)
    seen = open_report(page, ARTIFACTS / "report-html.png", executable)
    assert seen.title == "softmax-conformance report"
    assert seen.console == [] and seen.page_errors == []
    assert seen.requests == [], f"the page asked the network for {seen.requests}"
    kinds = {p["kind"] for p in seen.plots}
    assert {"verdict", "length", "magnitude", "families", "agreement",
            "conventions"} <= kinds
    for plot in seen.plots:
        assert plot["points"] > 0 and plot["visible"], plot
        if plot["svg"]:
            assert plot["series"] > 0, f"a {plot['kind']} chart with no series drawn: {plot}"
        else:
            assert plot["cells"] > 0, f"a {plot['kind']} table with no cells: {plot}"
    assert seen.hidden_by_dtype > 0  # the dtype filter hid the other dtypes' cells
    # the legend hides an adapter's line in every chart it is in, and shows it again
    legend = seen.legend
    assert legend["groups"] > 1 and legend["hidden"] == legend["groups"], legend
    assert legend["after"] == 0, legend
    assert (ARTIFACTS / "report-html.png").stat().st_size > 10_000


def test_speed_chart_in_headless_chromium(bench_report, tmp_path):
    executable = _browser()
    ARTIFACTS.mkdir(exist_ok=True)
    seen = open_report(bench_report, ARTIFACTS / "report-speed.png", executable)
    assert seen.console == [] and seen.page_errors == [] and seen.requests == []
    speed = [p for p in seen.plots if p["kind"] == "speed"]
    assert speed and all(p["series"] > 0 for p in speed)


def test_the_dtype_choice_table_fits_a_laptop_screen(small_report, tmp_path):
    """Long adapter names (Keras's sparse_categorical_crossentropy ones) wrap after their
    dots in "which library for which dtype", instead of pushing the last dtype off screen."""
    import copy

    from playwright.sync_api import sync_playwright

    from reports import render_html

    report = copy.deepcopy(small_report)
    for by_dtype in report["choices"].values():
        for picks in by_dtype.values():
            for pick in picks:
                pick["adapter"] = f"keras.tensorflow.{pick['adapter']}.sparse_categorical_x"
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), args=CHROMIUM_ARGS)
        try:
            view = browser.new_context(offline=True, viewport={"width": 1366, "height": 900})
            tab = view.new_page()
            tab.goto(page.resolve().as_uri(), wait_until="load")
            wide, shown = tab.evaluate("() => { const s = document.querySelector("
                                       "'#choices .scroll'); return [s.scrollWidth, "
                                       "s.clientWidth]; }")
        finally:
            browser.close()
    assert wide <= shown, (wide, shown)
