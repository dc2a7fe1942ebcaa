"""report.html's charts: SVG written by this module at report time, inlined in the page.

Why SVG: the chart is finished when the file is written, so the page needs no script to
show it (nothing to fetch, nothing to fail in the browser), prints as it is seen, and
stays text (titles, labels and numbers are <text>, searchable; each point says its
value on hover; each adapter's line or bars are one SVG group ``<prefix>-series-<slug>``,
which the page's legend hides and shows). Why written here rather than by a plotting
library: the report needs only log-log lines with markers and log bars, a few hundred
lines of geometry (reports.svg); written directly, a page's thirty-odd charts take
milliseconds where a plotting library spent seconds laying out and measuring text, and
the report needs no dependency to have them. The same data gives the same bytes.

Each function takes data already computed into report.json (conformance.record.figures,
conformance.record.speed) and only draws it. Values are errors as a multiple of their
bound: 0 is drawn at ``FLOOR`` and infinity or NaN at ``CEILING``, with the axis saying so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from reports.svg import (
    MUTED,
    Axis,
    document,
    esc,
    limits,
    minor_ticks,
    n,
    text,
    text_width,
    ticks,
)

__all__ = ["CEILING", "FLOOR", "PALETTE", "error_chart", "slug", "speed_chart"]

FLOOR, CEILING = 1e-3, 1e8
# distinct first (Okabe-Ito's colour-blind-safe eight, then tab10's others)
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
           "#f0e442", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#843c39",
           "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1")
MARKERS = "osD^v<>ph*"
BOUND = "#b00020"
GRID = "#d8dee4"
SIZE, TITLE_SIZE, SMALL = 10.5, 12.0, 9.5  # px: 8, 9 and 7 pt at 96 dpi
YLABEL = "error / bound (≤0.001 incl. exact)"
XLABEL_SPEED = "time ÷ np.copyto of the same bytes (1 = memory-bound floor; lower is faster)"


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def _value(v: Any) -> float:
    """Where a value is drawn: between FLOOR and CEILING, infinity and NaN at CEILING."""
    f = float(v)  # "inf" and "nan" as report.json writes them
    return CEILING if not math.isfinite(f) else min(max(f, FLOOR), CEILING)


def _polygon(corners: int, radius: float, turn: float, inner: float = 0.0) -> str:
    """A marker's outline relative to its centre (after an ``M x y``): a regular polygon
    of ``corners`` corners, the first at ``turn`` degrees; a star when ``inner`` > 0."""
    points = []
    for k in range(corners * (2 if inner else 1)):
        r = inner if inner and k % 2 else radius
        a = math.radians(turn + k * 360 / (corners * (2 if inner else 1)))
        points.append((r * math.cos(a), r * math.sin(a)))
    steps = [f"m{n(points[0][0])} {n(points[0][1])}"]
    steps += [f"l{n(b[0] - a[0])} {n(b[1] - a[1])}" for a, b in pairwise(points)]
    return "".join(steps) + "z"


_R = 3.0  # a marker's radius, px: about 6 px across, as the 4 pt markers were
SHAPES = {
    "o": f"m{-_R} 0a{_R} {_R} 0 1 0 {2 * _R} 0a{_R} {_R} 0 1 0 {-2 * _R} 0z",
    "s": _polygon(4, _R * 1.3, 45),
    "D": _polygon(4, _R * 1.35, -90),
    "^": _polygon(3, _R * 1.35, -90),
    "v": _polygon(3, _R * 1.35, 90),
    "<": _polygon(3, _R * 1.35, 180),
    ">": _polygon(3, _R * 1.35, 0),
    "p": _polygon(5, _R * 1.2, -90),
    "h": _polygon(6, _R * 1.15, -90),
    "*": _polygon(5, _R * 1.6, -90, inner=_R * 0.7),
}


def _said(y: Any) -> str:
    """A point's value as its hover text says it."""
    if isinstance(y, str):
        return y
    return "0 (exact)" if float(y) == 0 else f"{float(y):.3g}"


Box = tuple[float, float, float, float]  # left, top, right, bottom, px


def _x_gap(a: str, b: str) -> float:
    """How far apart two x tick labels must stand: half of each, and a space between."""
    return (text_width(a, SIZE) + text_width(b, SIZE)) / 2 + 10


def _axes(box: Box, width: float, x: Axis, y: Axis | None) -> list[str]:
    """The frame, the light grid at the labelled ticks, tick marks (short ones unlabelled
    between them), and the tick labels of the x axis below the box and of the y axis (if
    any) to its left; an x label near an edge is moved inside the image."""
    left, top, right, bottom = box
    x_major = ticks(x, _x_gap)
    y_major = ticks(y, lambda a, b: SIZE * 1.45) if y else []
    grid = "".join(f"M{n(x.at(t))} {n(top)}V{n(bottom)}" for t, _ in x_major)
    grid += "".join(f"M{n(left)} {n(y.at(t))}H{n(right)}" for t, _ in y_major if y)
    marks = "".join(f"M{n(x.at(t))} {n(bottom)}v4" for t, _ in x_major)
    marks += "".join(f"M{n(x.at(t))} {n(bottom)}v2" for t in minor_ticks(x, x_major))
    if y:
        marks += "".join(f"M{n(left)} {n(y.at(t))}h-4" for t, _ in y_major)
        marks += "".join(f"M{n(left)} {n(y.at(t))}h-2" for t in minor_ticks(y, y_major))
    out = [f'<path d="{grid}" stroke="{GRID}" stroke-width="0.7" fill="none"/>',
           f'<rect x="{n(left)}" y="{n(top)}" width="{n(right - left)}" '
           f'height="{n(bottom - top)}" fill="none" stroke="{MUTED}" stroke-width="0.8"/>',
           f'<path d="{marks}" stroke="{MUTED}" stroke-width="0.8"/>']
    for t, label in x_major:
        half = text_width(label, SIZE) / 2
        out.append(text(min(max(x.at(t), half + 1), width - half - 1), bottom + 15, label,
                        anchor="middle", fill=MUTED))
    out += [text(left - 6, y.at(t) + SIZE * 0.35, label, anchor="end", fill=MUTED)
            for t, label in y_major if y]
    return out


def _dashed(d: str) -> str:
    """The bound (error charts) or the memory-bound floor (speed): a dashed red line."""
    return (f'<path d="{d}" stroke="{BOUND}" stroke-width="1.3" stroke-dasharray="5 3" '
            'fill="none"/>')


def _haloed(x: float, y: float, s: str, fill: str, extra: str = "") -> str:
    """Text on a white halo, readable where it crosses a line."""
    return text(x, y, s, fill=fill, extra=f'paint-order="stroke" stroke="#fff" '
                f'stroke-width="3" stroke-linejoin="round"{extra}')


def error_chart(series: Mapping[str, Sequence[Sequence[Any]]], colors: Mapping[str, str], *,
                xlabel: str, title: str, prefix: str) -> tuple[str, int]:
    """A log-log line chart of error / bound, one line per adapter: (SVG, points drawn)."""
    width, height = 442.0, 278.0  # 4.6 × 2.9 in at 96 dpi
    lines = []
    for i, (adapter, points) in enumerate(series.items()):
        pts = sorted((float(x), _value(y), y) for x, y in points
                     if math.isfinite(float(x)) and float(x) > 0)
        if pts:
            lines.append((adapter, MARKERS[i % len(MARKERS)], pts))
    drawn = [p for _, _, pts in lines for p in pts]
    top, bottom, right = 26.0, height - 36, width - 12
    y = Axis(math.log10(FLOOR / 2), math.log10(max(10.0, max((p[1] for p in drawn),
                                                               default=10.0) * 3)),
             bottom, top)
    left = 26 + max(text_width(label, SIZE) for _, label in ticks(y, lambda a, b: SIZE * 1.45))
    x = Axis(*limits([p[0] for p in drawn]), left, right)
    one = y.of(1.0)
    body = [*_axes((left, top, right, bottom), width, x, y),
            _dashed(f"M{n(left)} {n(one)}H{n(right)}")]
    for adapter, marker, pts in lines:
        color = esc(colors.get(adapter, "#333333"))
        xy = [(x.of(px), y.of(py)) for px, py, _ in pts]
        body.append(f'<g id="{esc(prefix)}-series-{esc(slug(adapter))}" stroke="{color}" '
                    f'fill="{color}"><path d="M' + "L".join(f"{n(a)} {n(b)}" for a, b in xy)
                    + '" fill="none" stroke-width="1.6" stroke-linejoin="round"/>')
        body += [f'<path d="M{n(a)} {n(b)}{SHAPES[marker]}" stroke-width="0.6">'
                 f"<title>{esc(adapter)} at {px:g}: error / bound = {esc(_said(raw))}</title>"
                 "</path>" for (a, b), (px, _, raw) in zip(xy, pts, strict=True)]
        body.append("</g>")
    middle = left + (right - left) / 2
    body += [_haloed(left + 4, one - 4, "bound", BOUND),
             text(middle, 17, title, size=TITLE_SIZE, anchor="middle"),
             text(middle, height - 6, xlabel, anchor="middle"),
             text(0, 0, YLABEL, anchor="middle", extra='transform="translate(12 '
                  f'{n((top + bottom) / 2)}) rotate(-90)"')]
    return document(width, height, title=f"{title}: {YLABEL} against {xlabel}",
                    prefix=prefix, size=SIZE, body=body), len(drawn)


def speed_chart(rows: Sequence[Mapping[str, Any]], colors: Mapping[str, str], *,
                title: str, prefix: str) -> tuple[str, int]:
    """Horizontal bars: each (adapter, shape)'s time as a multiple of np.copyto, grouped
    by shape under its heading, each bar labelled with its value: (SVG, bars drawn)."""
    ok = [r for r in rows if r.get("status") == "ok" and isinstance(r.get("ratio"), (int, float))
          and math.isfinite(r["ratio"]) and r["ratio"] > 0]
    adapters = list(dict.fromkeys(r["adapter"] for r in ok))
    first = {(r["shape"], r["adapter"]): r for r in reversed(ok)}  # each pair's first row
    groups = [(s, [first[s, a] for a in adapters if (s, a) in first])
              for s in dict.fromkeys(r["shape"] for r in ok)]
    row, heading, gap = 17.0, 20.0, 8.0
    width, top = 691.0, 30.0  # 7.2 in at 96 dpi
    bottom = top + 4 + sum(heading + row * len(g) + gap for _, g in groups)
    height = bottom + 36
    left, right = 14 + max((text_width(a, SIZE) for a in adapters), default=40), width - 12
    labels = {id(r): f"{r['ratio']:.3g}×" for r in ok}
    # the axis runs on past the data as far as the widest value label needs
    room = 8 + max((text_width(v, SMALL) for v in labels.values()), default=0)
    lo, hi = limits([r["ratio"] for r in ok] + [1.0])
    x = Axis(lo, hi + room / Axis(lo, hi, left, right - room).per_decade, left, right)
    body = _axes((left, top, right, bottom), width, x, None)
    headings, cursor, bars = [], top + 4, 0
    for shape, members in groups:
        headings.append(_haloed(left + 4, cursor + heading - 6, shape, "#1f2328",
                                ' font-weight="bold"'))
        cursor += heading
        for r in members:
            mid, end = cursor + row / 2, x.of(r["ratio"])
            seconds = r.get("seconds")
            said = f" ({seconds * 1e3:.3g} ms)" if isinstance(seconds, (int, float)) else ""
            body += [text(left - 6, mid + SIZE * 0.35, r["adapter"], anchor="end", fill=MUTED),
                     f'<g id="{esc(prefix)}-series-{esc(slug(r["adapter"]))}--{bars}">'
                     f'<path d="M{n(left)} {n(mid - 6)}H{n(end)}v12H{n(left)}z" '
                     f'fill="{esc(colors.get(r["adapter"], "#333333"))}"><title>'
                     f'{esc(r["adapter"])}, {esc(shape)}: {esc(labels[id(r)])} np.copyto'
                     f"{esc(said)}</title></path>"
                     + text(end + 3, mid + SMALL * 0.35, labels[id(r)], size=SMALL) + "</g>"]
            cursor += row
            bars += 1
        cursor += gap
    middle = left + (right - left) / 2
    body += [_dashed(f"M{n(x.of(1.0))} {n(top)}V{n(bottom)}"), *headings,
             text(middle, 19, title, size=TITLE_SIZE, anchor="middle"),
             text(middle, height - 6, XLABEL_SPEED, anchor="middle")]
    return document(width, height, title=f"{title} (bars; lower is faster)", prefix=prefix,
                    size=SIZE, body=body), bars
