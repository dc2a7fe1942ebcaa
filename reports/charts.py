"""report.html's charts: Matplotlib drawn to SVG at report time, inlined in the page.

Why Matplotlib to SVG: the chart is finished when the file is written, so the page needs
no script to show it (nothing to fetch, nothing to fail in the browser), prints as it is
seen, and stays text (labels and numbers are searchable; each adapter's line is an SVG
group the page's legend can hide). It draws log-log lines and bars, all the report needs.

Each function takes data already computed into report.json (conformance.record.figures,
conformance.record.speed) and only draws it. Values are errors as a multiple of their
bound: 0 is drawn at ``FLOOR`` and infinity at ``CEILING``, with the axis saying so.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CEILING", "FLOOR", "PALETTE", "available", "error_chart", "slug", "speed_chart"]

FLOOR, CEILING = 1e-3, 1e8
# distinct first (Okabe-Ito's colour-blind-safe eight, then tab10's others)
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
           "#f0e442", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#843c39",
           "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1")
MARKERS = "osD^v<>ph*"


def available() -> bool:
    """Is Matplotlib installed (softmax-conformance[html])?"""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def _value(v: Any) -> float:
    if v in ("inf", "nan") or (isinstance(v, float) and math.isinf(v)):
        return CEILING
    return min(max(float(v), FLOOR), CEILING)


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "softmax-conformance",
                                "font.size": 8, "axes.titlesize": 9})
    return Figure(figsize=(width, height), dpi=96, layout="constrained")


def _svg(fig: Any, prefix: str) -> str:
    """The figure as an SVG element whose ids are unique in the page (``prefix``)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    return text.replace("<svg ", '<svg role="img" ', 1)


def _plain_ticks(axis: Any) -> None:
    """Log-axis ticks at 1, 2 and 5 times powers of ten, labelled as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _quiet(fn: Any) -> Any:
    """Matplotlib's log axes overflow harmlessly in exp around a single point: not a
    warning a report's reader can act on."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import numpy as np

        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return wrapper


@_quiet
def error_chart(series: Mapping[str, Sequence[Sequence[Any]]], colors: Mapping[str, str], *,
                xlabel: str, title: str, prefix: str) -> tuple[str, int]:
    """A log-log line chart of error / bound, one line per adapter: (SVG, points drawn)."""
    fig = _figure(4.6, 2.9)
    ax = fig.add_subplot()
    drawn = 0
    for i, (adapter, points) in enumerate(series.items()):
        pts = [(float(x), _value(y)) for x, y in points if float(x) > 0]
        if not pts:
            continue
        xs, ys = zip(*pts, strict=True)
        (line,) = ax.plot(xs, ys, marker=MARKERS[i % len(MARKERS)], markersize=4,
                          linewidth=1.2, color=colors.get(adapter, "#333333"), label=adapter)
        line.set_gid(f"series-{slug(adapter)}")
        drawn += len(pts)
    ax.axhline(1.0, color="#b00020", linestyle="--", linewidth=1)
    ax.text(0.01, 1.15, "bound", color="#b00020", transform=ax.get_yaxis_transform())
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_ticks(ax.xaxis)
    ax.set_ylim(FLOOR / 2, max(10.0, max((_value(y) for p in series.values() for _, y in p),
                                         default=10.0) * 3))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("error / bound (≤0.001 incl. exact)")
    ax.set_title(title)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    return _svg(fig, prefix), drawn


@_quiet
def speed_chart(rows: Sequence[Mapping[str, Any]], colors: Mapping[str, str], *,
                title: str, prefix: str) -> tuple[str, int]:
    """Horizontal bars: each (adapter, shape)'s time as a multiple of np.copyto."""
    ok = [r for r in rows if r.get("status") == "ok" and isinstance(r.get("ratio"), (int, float))]
    shapes = list(dict.fromkeys(r["shape"] for r in ok))
    adapters = list(dict.fromkeys(r["adapter"] for r in ok))
    fig = _figure(7.2, 0.8 + 0.17 * max(len(ok), 1) + 0.28 * len(shapes))
    ax = fig.add_subplot()
    labels: list[str] = []
    ticks: list[float] = []
    y = 0.0
    for shape in shapes:
        ax.text(0.005, y - 0.45, shape, fontsize=8, fontweight="bold",
                transform=ax.get_yaxis_transform(), ha="left", va="bottom")
        y += 0.6
        for adapter in adapters:
            r = next((r for r in ok if r["shape"] == shape and r["adapter"] == adapter), None)
            if r is None:
                continue
            bars = ax.barh(y, r["ratio"], color=colors.get(adapter, "#333333"), height=0.8)
            for patch in bars.patches:
                patch.set_gid(f"series-{slug(adapter)}--{len(ticks)}")
            ax.text(r["ratio"], y, f" {r['ratio']:.3g}×", va="center", fontsize=7)
            labels.append(adapter)
            ticks.append(y)
            y += 1
        y += 0.9
    ax.set_yticks(ticks, labels)
    ax.set_ylim(y - 0.5, -1.3)  # top to bottom, the first shape's label inside
    ax.set_xscale("log")
    ax.axvline(1.0, color="#b00020", linestyle="--", linewidth=1)
    ax.set_xlabel("time ÷ np.copyto of the same bytes (1 = memory-bound floor; lower is faster)")
    ax.set_title(title)
    ax.grid(True, axis="x", linewidth=0.4, alpha=0.5)
    return _svg(fig, prefix), len(ticks)
