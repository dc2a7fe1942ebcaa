"""report.html's charts (reports.charts): SVG written by the report itself. Each chart is
well-formed XML with real text, one group per adapter the legend can hide, a marker per
point where its value says, ticks the reader can read, ids unique in the page, the same
bytes for the same data, and no plotting library behind it."""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reports import charts, render_html
from reports.svg import MUTED, Axis, limits, text_width, ticks

NS = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]

SERIES = {
    "numpy.reference": [[1000, 0.0], [10000, 0.002], [100000, 0.004]],
    "torch.softmax": [[1000, 0.5], [10000, 2.0], [100000, "inf"]],
    "numpy.naive": [[1000, 30.0], [10000, "nan"], [100000, 1e12]],
}


def _chart(series=SERIES, prefix="length-softmax-float32", **kw):
    svg, drawn = charts.error_chart(series, {"numpy.reference": "#0072b2"},
                                    xlabel=kw.get("xlabel", "elements in the row"),
                                    title=kw.get("title", "softmax, float32"), prefix=prefix)
    return svg, drawn, ET.fromstring(svg)


def _groups(root):
    return {g.get("id"): g for g in root.iter(f"{NS}g") if "-series-" in (g.get("id") or "")}


def _markers(group):
    """Each marker's centre: the paths of a series with a hover title (the line has none)."""
    out = []
    for p in group.iter(f"{NS}path"):
        if p.find(f"{NS}title") is not None:
            x, y = re.match(r"M(-?[\d.]+) (-?[\d.]+)", p.get("d")).groups()
            out.append((float(x), float(y), p.find(f"{NS}title").text))
    return out


def _tick_labels(root):
    """The axes' tick labels: grey text, (x, y, label)."""
    return [(float(t.get("x")), float(t.get("y")), t.text) for t in root.iter(f"{NS}text")
            if t.get("fill") == MUTED]


def test_error_chart_is_an_image_with_a_group_per_adapter_and_a_marker_per_point():
    svg, drawn, root = _chart()
    assert drawn == 9
    assert root.get("role") == "img" and root.get("viewBox") == "0 0 442 278"
    assert (root.get("width"), root.get("height")) == ("442", "278")
    assert root.find(f"{NS}title").text.startswith("softmax, float32")
    groups = _groups(root)
    assert set(groups) == {f"length-softmax-float32-series-{charts.slug(a)}" for a in SERIES}
    for adapter, points in SERIES.items():
        markers = _markers(groups[f"length-softmax-float32-series-{charts.slug(adapter)}"])
        assert len(markers) == len(points)
        assert all(title.startswith(f"{adapter} at ") for _, _, title in markers)
    # each series its own marker shape
    shapes = {re.sub(r"^M[-\d.]+ [-\d.]+", "", p.get("d")) for g in groups.values()
              for p in g.iter(f"{NS}path") if p.find(f"{NS}title") is not None}
    assert len(shapes) == len(SERIES)
    words = [t.text for t in root.iter(f"{NS}text")]
    assert {"softmax, float32", "elements in the row", "bound", charts.YLABEL} <= set(words)
    assert "stroke-dasharray" in svg  # the bound's dashed line


def test_zero_is_drawn_at_the_floor_row_and_inf_and_nan_at_the_ceiling_row():
    _, _, root = _chart()
    ys = {title: y for g in _groups(root).values() for _, y, title in _markers(g)}
    floor = ys["numpy.reference at 1000: error / bound = 0 (exact)"]
    ceiling = ys["torch.softmax at 100000: error / bound = inf"]
    assert ys["numpy.naive at 10000: error / bound = nan"] == ceiling
    assert ys["numpy.naive at 100000: error / bound = 1e+12"] == ceiling  # clamped
    assert ceiling < ys["torch.softmax at 10000: error / bound = 2"] < floor  # SVG y is down
    labels = {label: y for _, y, label in _tick_labels(root)}
    # the row's tick label stands beside it (its baseline a third of the type lower)
    assert abs(labels["0.001"] - floor - charts.SIZE * 0.35) < 0.2
    assert abs(labels["1e+08"] - ceiling - charts.SIZE * 0.35) < 0.2


def test_ticks_are_one_two_five_times_powers_of_ten_written_as_plain_numbers():
    _, _, root = _chart()
    labels = [label for _, _, label in _tick_labels(root)]
    assert {"1000", "10000", "100000", "0.001", "0.01", "0.1", "1", "10", "1e+06",
            "1e+08"} <= set(labels)
    for label in labels:
        v = float(label)
        assert label == f"{v:g}"
        assert round(v / 10 ** math.floor(math.log10(v)), 9) in (1, 2, 5), label


@pytest.mark.parametrize("xs", [
    [1e-323, 1e-45, 1e-7, 1.0, 1e4, 1e38],  # every decade a float holds
    [32000, 70000],  # less than a decade: widened to two labels at least
    [151936],  # a single length
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
])
def test_x_tick_labels_never_overlap_and_at_least_two_are_shown(xs):
    series = {"a": [[x, 0.5] for x in xs], "b": [[x, 0.0] for x in xs]}
    svg, drawn, root = _chart(series)
    assert drawn == 2 * len(xs)
    bottom = sorted({y for _, y, label in _tick_labels(root)})[-1]
    under = sorted((x, label) for x, y, label in _tick_labels(root) if y == bottom)
    assert len(under) >= 2, under
    for (x1, a), (x2, b) in zip(under, under[1:], strict=False):
        assert x2 - x1 >= (text_width(a, charts.SIZE) + text_width(b, charts.SIZE)) / 2, under
    # every marker inside the frame
    frame = root.find(f"{NS}rect[@fill='none']")
    left, width = float(frame.get("x")), float(frame.get("width"))
    for g in _groups(root).values():
        assert all(left < x < left + width for x, _, _ in _markers(g))


def test_log_axis_thins_its_ticks_to_fit():
    wide = Axis(*limits([1e-323, 1e38]), 0, 380)
    found = ticks(wide, lambda a, b: 40)
    assert found and all(label.startswith("1e") or label == "1" for _, label in found)
    assert found[0][1] == "1e-300"  # every 50th decade, written as f"{v:g}" would
    assert [label for _, label in ticks(Axis(0, 2, 0, 1000), lambda a, b: 20)] == [
        "1", "2", "5", "10", "20", "50", "100"]


def test_text_is_escaped_and_every_id_carries_the_prefix():
    name = 'evil<g id="x">&\'"'
    svg, drawn, root = _chart({name: [[10, 1.0], [100, 2.0]]}, prefix="magnitude-op-dt",
                              title="a < b & c", xlabel="|x| > 1")
    assert drawn == 2
    assert root.find(f"{NS}title").text.startswith("a < b & c")
    assert {t.text for t in root.iter(f"{NS}text")} >= {"a < b & c", "|x| > 1"}
    (group,) = _groups(root).values()
    assert group.get("id") == f"magnitude-op-dt-series-{charts.slug(name)}"
    assert _markers(group)[0][2].startswith(name)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert ids and all(i.startswith("magnitude-op-dt-") for i in ids)
    assert 'id="x"' not in svg


def test_nothing_to_draw_is_still_a_valid_chart():
    svg, drawn, root = _chart({"a": [], "b": [[0, 1.0]]})
    assert drawn == 0 and not _groups(root) and root.get("role") == "img"


SPEED = [
    {"adapter": "numpy.reference", "op": "softmax", "shape": "64x1000 float32, last axis",
     "status": "ok", "ratio": 12.345, "seconds": 0.001},
    {"adapter": "torch.softmax", "op": "softmax", "shape": "64x1000 float32, last axis",
     "status": "ok", "ratio": 0.8, "seconds": 0.0001},
    {"adapter": "tensorflow.nn", "op": "softmax", "shape": "64x1000 float32, last axis",
     "status": "error", "detail": "boom"},
    {"adapter": "numpy.reference", "op": "softmax", "shape": "8x4096 bfloat16, last axis",
     "status": "ok", "ratio": 250.0, "seconds": 0.01},
    {"adapter": "torch.softmax", "op": "softmax", "shape": "8x4096 bfloat16, last axis",
     "status": "ok", "ratio": 3.0, "seconds": 0.002},
]


def test_speed_chart_draws_a_labelled_bar_per_measurement_grouped_by_shape():
    svg, bars = charts.speed_chart(SPEED, {"torch.softmax": "#d55e00"}, title="softmax",
                                   prefix="speed-softmax")
    root = ET.fromstring(svg)
    assert bars == 4 and root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 691 ")
    groups = _groups(root)
    assert sorted(groups) == sorted([
        "speed-softmax-series-numpy-reference--0", "speed-softmax-series-torch-softmax--1",
        "speed-softmax-series-numpy-reference--2", "speed-softmax-series-torch-softmax--3"])
    words = [t.text for t in root.iter(f"{NS}text")]
    assert {"12.3×", "0.8×", "250×", "3×", "64x1000 float32, last axis",
            "8x4096 bfloat16, last axis", "numpy.reference", "torch.softmax"} <= set(words)
    assert "tensorflow.nn" not in words
    assert {"1", "10", "100"} <= {label for _, _, label in _tick_labels(root)}
    assert 'fill="#d55e00"' in svg
    # each bar's value label inside the image
    width = float(root.get("width"))
    for g in groups.values():
        label = g.find(f"{NS}text")
        x = float(label.get("x"))
        assert x + text_width(label.text, charts.SMALL) < width


def test_same_data_same_bytes_in_another_process_and_no_plotting_library():
    """Deterministic across processes (whatever the hash seed), and drawn without
    Matplotlib: rendering the whole page imports no plotting library."""
    svg, _, _ = _chart()
    speed, _ = charts.speed_chart(SPEED, {}, title="softmax", prefix="speed-softmax")
    assert (svg, speed) == (_chart()[0], charts.speed_chart(SPEED, {}, title="softmax",
                                                             prefix="speed-softmax")[0])
    digest = hashlib.sha256((svg + speed).encode()).hexdigest()
    code = (
        "import hashlib, sys\n"
        "from tests.reports.test_charts import SPEED, _chart\n"
        "from reports import charts\n"
        "svg = _chart()[0]\n"
        "speed = charts.speed_chart(SPEED, {}, title='softmax', prefix='speed-softmax')[0]\n"
        "print(hashlib.sha256((svg + speed).encode()).hexdigest())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[:2] == [digest, "[]"]


def test_every_chart_of_the_page_draws_the_points_it_counts(small_report):
    page = render_html(small_report)
    assert "matplotlib" not in page.lower()
    figures = re.findall(r'<figure class="chart" data-plot="(\w+)"[^>]*data-points="(\d+)">'
                         r"(<svg.*?</svg>)", page, re.S)
    assert len(figures) >= 4
    ids: list[str] = []
    for _, points, svg in figures:
        root = ET.fromstring(svg)
        assert sum(len(_markers(g)) for g in _groups(root).values()) == int(points) > 0
        ids += [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))  # unique in the page
