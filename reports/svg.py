"""The few SVG primitives report.html's charts are drawn with (reports.charts): escaped
text, numbers written short and the same every time, text widths estimated without a font,
and log axes with ticks at 1, 2 and 5 times powers of ten, thinned until their labels fit.

Widths are estimated from a table of a wide sans-serif's advances (DejaVu Sans), so a
browser's narrower system font only leaves a little more room than was planned."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["FONT", "INK", "MUTED", "Axis", "document", "esc", "limits", "minor_ticks", "n",
           "text", "text_width", "ticks"]

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
INK, MUTED = "#1f2328", "#57606a"
_EPS = 1e-9

# advance widths in em; characters not listed count as a lower-case letter (0.6)
_WIDTHS = {**dict.fromkeys("0123456789", 0.64), **dict.fromkeys(".,:;'|!", 0.32),
           **dict.fromkeys("ijlI", 0.28), **dict.fromkeys("frt()[]/ ", 0.4),
           **dict.fromkeys("mwMW", 0.95), **dict.fromkeys("+=<>×÷≤≥~", 0.84),
           **dict.fromkeys("ABCDEFGHJKLNOPQRSTUVXYZ", 0.72), "-": 0.36, "_": 0.5}


def esc(value: object) -> str:
    """Text or an attribute value, escaped for XML (and so for HTML)."""
    return html.escape(str(value), quote=True)


def n(v: float) -> str:
    """A coordinate to a tenth of a pixel, without trailing zeros: short and deterministic."""
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def text_width(s: str, size: float, bold: bool = False) -> float:
    """An estimate of the width in pixels of ``s`` set in ``size`` pixel type."""
    return sum(_WIDTHS.get(c, 0.6) for c in s) * size * (1.07 if bold else 1.0)


def text(x: float, y: float, s: str, *, size: float | None = None, anchor: str = "start",
         fill: str | None = None, extra: str = "") -> str:
    """A <text> element; ``extra`` is further attributes, already escaped."""
    attrs = [f'x="{n(x)}"', f'y="{n(y)}"']
    if size is not None:
        attrs.append(f'font-size="{n(size)}"')
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if fill is not None:
        attrs.append(f'fill="{esc(fill)}"')
    if extra:
        attrs.append(extra)
    return f"<text {' '.join(attrs)}>{esc(s)}</text>"


def document(width: float, height: float, *, title: str, prefix: str, size: float,
             body: Iterable[str]) -> str:
    """The <svg> element: scales with its box (viewBox), announced as one image titled
    ``title``; every id in ``body`` starts with ``prefix`` so it is unique in the page."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-labelledby="{esc(prefix)}-title" viewBox="0 0 {n(width)} {n(height)}" '
            f'width="{n(width)}" height="{n(height)}" font-family="{esc(FONT)}" '
            f'font-size="{n(size)}" fill="{INK}">'
            f'<title id="{esc(prefix)}-title">{esc(title)}</title>'
            f'<rect width="{n(width)}" height="{n(height)}" fill="#fff"/>'
            + "".join(body) + "</svg>")


@dataclass(frozen=True)
class Axis:
    """A log10 axis: ``lo``..``hi`` (log10 of the values) drawn from pixel ``start`` to
    pixel ``end`` (``end`` < ``start`` for a vertical axis drawn upwards)."""

    lo: float
    hi: float
    start: float
    end: float

    def at(self, log_value: float) -> float:
        return self.start + (log_value - self.lo) / (self.hi - self.lo) * (self.end - self.start)

    def of(self, value: float) -> float:
        return self.at(math.log10(value))

    @property
    def per_decade(self) -> float:
        return abs(self.end - self.start) / (self.hi - self.lo)


def _label(m: int, e: int) -> str:
    """m × 10^e written as Python's ``f"{v:g}"`` writes it (0.001, 50000, 1e+06), exactly
    also where v would be subnormal or beyond a float."""
    if -4 <= e < 6:
        return f"{m * 10.0 ** e:g}"
    return f"{m}e{e:+03d}"


def _candidates(lo: float, hi: float, level: tuple[int, ...] | int) -> list[tuple[float, str]]:
    """The ticks of one level within lo..hi: mantissas at every decade, or every
    ``level``-th decade."""
    out = []
    for e in range(math.floor(lo) - 1, math.ceil(hi) + 1):
        for m in (level if isinstance(level, tuple) else (1,)):
            at = e + math.log10(m)
            if (isinstance(level, tuple) or e % level == 0) and lo - _EPS <= at <= hi + _EPS:
                out.append((at, _label(m, e)))
    return out


_LEVELS: tuple[tuple[int, ...] | int, ...] = ((1, 2, 5), (1,), 2, 5, 10, 20, 50, 100, 200, 500)


def ticks(axis: Axis, gap: Callable[[str, str], float]) -> list[tuple[float, str]]:
    """The densest ticks (log10 position, label) whose neighbours stand at least
    ``gap(label, next_label)`` pixels apart: 1, 2 and 5 times each power of ten, else
    each power of ten, else every 2nd, 5th, 10th, ... power of ten."""
    found: list[tuple[float, str]] = []
    for level in _LEVELS:
        found = _candidates(axis.lo, axis.hi, level)
        if all((b[0] - a[0]) * axis.per_decade >= gap(a[1], b[1])
               for a, b in pairwise(found)):
            return found
    return found


def minor_ticks(axis: Axis, major: Sequence[tuple[float, str]]) -> list[float]:
    """Unlabelled ticks between the labelled ones: at 1 to 9 times each power of ten where
    they stand 3 pixels apart, else at each power of ten where those do, else none."""
    taken = {round(at, 6) for at, _ in major}
    if axis.per_decade * math.log10(10 / 9) >= 3:
        found = _candidates(axis.lo, axis.hi, tuple(range(1, 10)))
    elif axis.per_decade >= 4:
        found = _candidates(axis.lo, axis.hi, (1,))
    else:
        found = []
    return [at for at, _ in found if round(at, 6) not in taken]


def _round125(p: float, up: bool) -> float:
    """The nearest 1, 2 or 5 times a power of ten below (or above) 10^p, as its log10."""
    e = math.floor(p)
    steps = [e + math.log10(m) for m in (1, 2, 5, 10)]
    return min(s for s in steps if s >= p - _EPS) if up else max(s for s in steps
                                                                  if s <= p + _EPS)


def limits(values: Sequence[float], pad: float = 0.05) -> tuple[float, float]:
    """log10 limits for positive ``values``: the data, widened to a decade's span between
    1-2-5 ticks when it spans less (so an axis always has two labels), then padded by
    ``pad`` of the span at each end so markers at the ends stay inside."""
    logs = [math.log10(v) for v in values] or [0.0]
    lo, hi = min(logs), max(logs)
    if hi - lo < 1:
        if hi - lo < _EPS:
            lo, hi = lo - 0.5, hi + 0.5
        lo, hi = _round125(lo, up=False), _round125(hi, up=True)
    span = hi - lo
    return lo - pad * span, hi + pad * span
