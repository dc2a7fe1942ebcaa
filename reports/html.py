"""report.html: one self-contained page (style, script and charts inline; nothing is
fetched) rendered from report.json's content only. Readable on a laptop, printable, with
filters by op, dtype and case family."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from reports import charts
from reports.html_assets import SCRIPT, STYLE
from reports.html_tables import (
    agreement_tables,
    choices_table,
    conventions_table,
    family_tables,
    summary_table,
    verdict_tables,
)
from reports.markdown import num, scope
from reports.order import ordered_dtypes, report_ops

__all__ = ["render_html"]

Report = Mapping[str, Any]
e = html.escape


def _colors(report: Report, op: str) -> dict[str, str]:
    """One colour per adapter of an op, the same in every chart of that op: the op's
    charted adapters (and those timed) in a stable order, each its own palette entry."""
    figs = report.get("figures", {})
    names = [a for a in figs.get("adapters", []) if any(
        a in by_a for key in ("error_vs_length", "error_vs_magnitude")
        for by_a in figs.get(key, {}).get(op, {}).values())]
    names += [m["adapter"] for m in report.get("speed", {}).get("rows", []) if m["op"] == op]
    names = list(dict.fromkeys(names))
    return {n: charts.PALETTE[i % len(charts.PALETTE)] for i, n in enumerate(names)}


def _legend(names: list[str], colors: Mapping[str, str]) -> str:
    buttons = "".join(
        f'<button type="button" data-series="{e(charts.slug(n))}" title="show or hide {e(n)}">'
        f'<span class="swatch" style="background:{colors.get(n, "#333")}"></span>{e(n)}'
        "</button>" for n in names)
    return f'<div class="legend" aria-label="adapters (click to hide)">{buttons}</div>'


def _filters(report: Report) -> str:
    ops = report_ops(report)
    dtypes = ordered_dtypes(report, {dt for s in report["summaries"] for per in
                               s.get("per_op", {}).values() for dt in per})
    families = sorted({c["family"] for c in report["cases"]})

    def select(key: str, label: str, values: list[str]) -> str:
        opts = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
        return (f'<label>{label}<select data-key="{key}" id="filter-{key}">'
                f'<option value="">all</option>{opts}</select></label>')

    links = " · ".join(f'<a href="#{k}">{t}</a>' for k, t in (
        ("choices", "by dtype"), ("summary", "summary"), ("verdicts", "verdicts"),
        ("length", "row length"), ("magnitude", "magnitude"), ("agreement", "agreement"),
        ("conventions", "conventions"),
        ("speed", "speed"), ("defects", "defects"), ("glossary", "glossary")))
    return (f'<nav class="filters">{select("op", "op", ops)}{select("dtype", "dtype", dtypes)}'
            f'{select("family", "case family", families)}<span>{links}</span></nav>')


def _header(report: Report) -> str:
    env = report["environment"]
    v = report.get("verdict") or {}
    versions = ", ".join(f"{k} {x}" for k, x in env["versions"].items() if x != "not installed")
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in report.get("notes", []))
    return (
        '<header class="top"><h1>softmax-conformance report</h1>'
        f'<div class="verdict {e(v.get("status", "fail"))}" id="verdict">{e(v.get("text", ""))}'
        '</div>'
        f'<p class="lead">{e(scope(report))}, every op each provides, measured against '
        f'the correctly rounded reference. Python {e(str(env["python"]))} on '
        f'{e(str(env["platform"]))}, {e(str(report["generated"]))}. Versions: {e(versions)}. '
        'Record: <a href="report.json">report.json</a> · <a href="report.md">report.md</a>'
        f'</p>{notes}</header>')


def _chart_section(report: Report, key: str, anchor: str, title: str, lead: str,
                   xlabel: str) -> str:
    figs = report.get("figures", {})
    data = figs.get(key, {})
    parts = [f'<section id="{anchor}"><h2>{title}</h2><p class="lead">{lead}</p>']
    if not data:
        parts.append('<p class="note">No case of this kind ran.</p></section>')
        return "".join(parts)
    for op in [o for o in report_ops(report) if o in data]:
        colors = _colors(report, op)
        names = sorted({a for by_a in data[op].values() for a in by_a},
                       key=lambda a: list(colors).index(a) if a in colors else 999)
        parts.append(f'<div data-op="{e(op)}"><h3>{e(op)}</h3>{_legend(names, colors)}'
                     '<div class="charts">')
        for dt in ordered_dtypes(report, set(data[op])):
            series = data[op][dt]
            svg, points = charts.error_chart(series, colors, xlabel=xlabel,
                                             title=f"{op}, {dt}",
                                             prefix=f"{anchor}-{op}-{dt}")
            parts.append(
                f'<figure class="chart" data-plot="{anchor}" data-dtype="{e(dt)}" '
                f'data-points="{points}">{svg}<figcaption>{e(op)} in {e(dt)}: {points} '
                f'points, {len(series)} adapters.</figcaption></figure>')
        parts.append("</div></div>")
    parts.append("</section>")
    return "".join(parts)


def _speed(report: Report) -> str:
    speed = report.get("speed")
    head = ('<section id="speed"><h2>Speed</h2><p class="lead">Each op timed on realistic '
            "shapes (a language model's logits; the axis last and not last): the best of "
            "several calls after a warm-up, as a multiple of np.copyto of the same bytes on "
            "the same machine in the same run — 1 is the memory-bound floor, lower is "
            "faster. Peak memory: the most a call allocates beyond its inputs, where the "
            "backend reports it (NumPy, SciPy and scikit-learn through tracemalloc; torch "
            "and TensorFlow report none on CPU).</p>")
    if not speed:
        return head + ('<p class="note">Not measured in this run: <code>conformance run '
                       "--bench</code>, or <code>conformance bench --out bench.json</code> then "
                       "<code>conformance report report.json --bench bench.json --format html"
                       "</code>.</p></section>")
    parts = [head]
    for op in list(dict.fromkeys(r["op"] for r in speed["rows"])):
        rows = [r for r in speed["rows"] if r["op"] == op]
        if not any(r["status"] == "ok" for r in rows):
            continue
        svg, points = charts.speed_chart(rows, _colors(report, op),
                                         title=f"{op}: time ÷ np.copyto", prefix=f"speed-{op}")
        parts.append(f'<figure class="chart wide" data-plot="speed" data-op="{e(op)}" '
                     f'data-points="{points}">{svg}<figcaption>{e(op)}: {points} '
                     "measurements.</figcaption></figure>")
    body, skipped = [], []
    for r in speed["rows"]:
        if r["status"] != "ok":
            skipped.append(r)
            continue
        body.append(f'<tr data-op="{e(r["op"])}"><td><code>{e(r["adapter"])}</code></td>'
                    f'<td>{e(r["op"])}</td><td>{e(r["shape"])}</td><td class="num">'
                    f'{r["ratio"]:.3g}×</td><td class="num">{r["seconds"] * 1e3:.3g} ms</td>'
                    f'<td class="num">{_size(r.get("peak_bytes"))}</td><td class="num">'
                    f'{r["repeats"]}</td></tr>')
    if skipped:
        counts: dict[str, int] = {}
        for r in skipped:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        body.append('<tr><td colspan="7"><details><summary>Not measured: '
                    f'{len(skipped)} ({e(tally)})</summary><table>' + "".join(
                        f'<tr data-op="{e(r["op"])}"><td><code>{e(r["adapter"])}</code></td>'
                        f'<td>{e(r["op"])}</td><td>{e(r["shape"])}</td><td>{e(r["status"])}: '
                        f'{e(r.get("detail", ""))}</td></tr>' for r in skipped)
                    + "</table></details></td></tr>")
    copies = "; ".join(f'{e(s["label"])}: {num(s.get("copy_seconds"))} s for '
                       f'{_size(s.get("bytes"))}' for s in speed["shapes"])
    env = speed.get("environment") or {}
    versions = ", ".join(f"{k} {v}" for k, v in (env.get("versions") or {}).items()
                         if v != "not installed")
    parts.append('<div class="scroll"><table><tr><th>adapter</th><th>op</th><th>shape</th>'
                 '<th>× copy</th><th>best</th><th>peak memory</th><th>repeats</th></tr>'
                 f'{"".join(body)}</table></div><p class="note">np.copyto: {copies}. Measured '
                 f'{e(str(speed.get("generated", "")))} on {e(str(env.get("cpu_count")))} CPUs '
                 f'({e(str(env.get("platform", "")))}; {e(versions)}) within a budget of '
                 f'{num(speed.get("budget"))} s. Times depend on the machine and on what else '
                 "runs on it (a backend's thread pool waits for busy cores): compare ratios "
                 "within one run.</p></section>")
    return "".join(parts)


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def _defects(report: Report) -> str:
    parts = ['<section id="defects"><h2>Each defect with a reproducer</h2><p class="lead">'
             "For every adapter that shows a defect, one example per defect on its smallest "
             "case: what was measured, the worst element, and the lines that rebuild the "
             "input (with the cotangent or labels the op was fed) and call it.</p>"]
    for s in report["summaries"]:
        for w in s.get("examples") or []:
            el = w.get("element")
            where = ""
            if el:
                idx = ", ".join(map(str, el["index"]))
                where = (f" Worst element out[{idx}] = {num(el['got'])}, expected "
                         f"{num(el['expected'])} (x = {num(el['x'])}).")
            pill = ('<span class="pill">declared</span>' if w.get("expected") else
                    '<span class="pill unexpected">unexpected</span>')
            parts.append(
                f'<details data-op="{e(w.get("op", ""))}" data-dtype="{e(w.get("dtype", ""))}" '
                f'data-family="{e(w.get("family", ""))}"><summary><code>{e(s["adapter"])}'
                f'</code>: <b>{e(w["defect"])}</b>{pill} — {e(w.get("op", ""))}, '
                f'{e(w.get("dtype", ""))}, {e(w.get("family", ""))} <code>{e(w["case"])}</code>'
                f'</summary><p>{e(w["detail"])}.{e(where)}</p><pre><code>'
                f'{e(w["reproducer"])}</code></pre></details>')
    parts.append("</section>")
    return "".join(parts)


def _glossary(report: Report) -> str:
    parts = ['<section id="glossary"><h2>Glossary</h2>']
    for title, key in (("Terms", "terms"), ("Defects", "defect_definitions"),
                       ("Cause codes", "cause_definitions")):
        items = report.get(key) or {}
        if items:
            parts.append(f"<h3>{title}</h3><dl class=\"glossary\">" + "".join(
                f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items.items()) + "</dl>")
    parts.append("</section>")
    return "".join(parts)


def _rest(report: Report) -> str:
    parts = ['<section id="more"><h2>Cases, threads and unavailable adapters</h2>']
    golden = report.get("golden") or []
    if golden:
        ok = sum(g["reproduced"] for g in golden)
        parts.append(f"<p>{ok} of {len(golden)} outputs printed in the threads are reproduced "
                     "by the wrapped code.</p>")
    gone = [a for a in report["adapters"] if not a["available"]]
    if gone:
        parts.append("<table><tr><th>unavailable adapter</th><th>reason</th></tr>" + "".join(
            f"<tr><td><code>{e(a['name'])}</code></td><td>{e(a['reason'] or '')}</td></tr>"
            for a in gone) + "</table>")
    fams = report.get("case_families") or []
    if fams:
        parts.append("<details><summary>Cases by origin and family</summary><table><tr>"
                     "<th>origin</th><th>family</th><th>cases</th><th>dtypes</th></tr>" + "".join(
                         f'<tr data-family="{e(f["family"])}"><td>{e(f["origin"])}</td><td>'
                         f'{e(f["family"])}</td><td class="num">{f["cases"]}</td><td>'
                         f'{e(", ".join(f["dtypes"]))}</td></tr>' for f in fams)
                     + "</table></details>")
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page."""
    long_row = report.get("figures", {}).get("long_row", 1000)
    body = [
        _header(report),
        _filters(report),
        "<main>",
        choices_table(report),
        summary_table(report),
        verdict_tables(report),
        _chart_section(report, "error_vs_length", "length", "Error against row length",
                       f"Rows of at least {long_row} elements (long and vocabulary-size rows):"
                       " the worst error at each length, as a multiple of the bound (dashed). "
                       "Errors that grow with the length show summation in a narrow type.",
                       "elements in the row"),
        _chart_section(report, "error_vs_magnitude", "magnitude",
                       "Error against input magnitude",
                       "Cases binned by the decade of their largest |x| (inputs of zeros "
                       "left out): a backward-stable implementation stays flat, since the "
                       "condition-aware error already allows for the magnitude.",
                       "largest |x| in the input (decade)"),
        family_tables(report),
        agreement_tables(report),
        conventions_table(report),
        _speed(report),
        _defects(report),
        _glossary(report),
        _rest(report),
        "</main>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            "<title>softmax-conformance report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}"
            f"<script>{SCRIPT}</script></body></html>\n")
