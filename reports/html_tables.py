"""report.html's tables: the summary, the verdict per op (adapter × dtype, coloured by the
error relative to the bound), errors by case family, the agreement heatmaps and the
conventions grid. Each draws numbers computed into report.json; none is recomputed."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from reports.markdown import num, ratio_text
from reports.order import ordered_dtypes, report_ops

__all__ = ["agreement_tables", "bucket", "choices_table", "conventions_table",
           "family_tables", "summary_table", "verdict_tables"]

Report = Mapping[str, Any]
e = html.escape
_SCALE = (("r0", "≤ 0.5"), ("r1", "≤ 1 (the bound)"), ("r2", "≤ 4"), ("r3", "≤ 100"),
          ("r4", "≤ 10^6"), ("r5", "> 10^6, ∞ or NaN"), ("rn", "not run"))


def bucket(ratio: Any, flagged: bool = False) -> str:
    """The colour class of an error given as a multiple of its bound."""
    if ratio is None:
        return "rn"
    if not isinstance(ratio, (int, float)):
        return "r5"  # "inf" or "nan"
    level = 0 if ratio <= 0.5 else 1 if ratio <= 1 else 2 if ratio <= 4 else \
        3 if ratio <= 100 else 4 if ratio <= 1e6 else 5
    return f"r{max(level, 3) if flagged else level}"


def _scale() -> str:
    return '<p class="scale">' + "".join(
        f'<span class="{c}">{e(t)}</span>' for c, t in _SCALE) + "</p>"




THREAD = "thread"  # the adapters' family of the Q&A threads' variants (shown apart)


def _families(report: Report) -> dict[str, str]:
    return {a["name"]: a.get("family", "") for a in report["adapters"]}


def _split(report: Report, rows: list[tuple[str, str]], header: str, table_class: str = ""
           ) -> str:
    """(adapter, row HTML) as a table of the libraries and the reference, then the
    threads' variants in a table of their own, folded (they are there to show bugs)."""
    family = _families(report)
    mine = [html_row for name, html_row in rows if family.get(name) != THREAD]
    threads = [html_row for name, html_row in rows if family.get(name) == THREAD]
    cls = f' class="{table_class}"' if table_class else ""
    out = f"<div class=\"scroll\"><table{cls}>{header}{''.join(mine)}</table></div>" if mine \
        else ""
    if threads:
        out += (f"<details><summary>The Q&amp;A threads' variants ({len(threads)}), kept "
                "with their bugs</summary><div class=\"scroll\">"
                f"<table{cls}>{header}{''.join(threads)}</table></div></details>")
    return out


def summary_table(report: Report) -> str:
    ops = {a["name"]: a.get("ops", []) for a in report["adapters"]}
    family = _families(report)
    speed = report.get("speed", {}).get("by_adapter", {})
    rows = []
    for s in report["summaries"]:
        name = s["adapter"]
        sp = "<br>".join(f"{e(op)} {v:.3g}×" for op, v in speed.get(name, {}).items()
                         if isinstance(v, (int, float))) or "–"
        cls = {"conforming": "r0", "defects as expected": "r2", "unavailable": "rn"}.get(
            s["verdict"], "r5")
        worst = s.get("worst_case") or {}
        rows.append((name,
            f'<tr data-op="{e(" ".join(ops.get(name, [])))}"><td><code>{e(name)}</code></td>'
            f'<td>{e(family.get(name, ""))}</td><td>{e(", ".join(ops.get(name, [])))}</td>'
            f'<td class="{cls}">{e(s["verdict"])}</td><td>{e(s.get("plain", ""))}</td>'
            f'<td>{e(worst.get("detail", "")) if worst else "–"}</td>'
            + (f'<td class="speed">{sp}</td>' if speed else "") + "</tr>"))
    header = ("<tr><th>adapter</th><th>family</th><th>ops</th><th>verdict</th>"
              "<th>in plain words</th><th>worst finding</th>"
              + ("<th>speed (× copy)</th>" if speed else "") + "</tr>")
    timed = ("its speed as a multiple of np.copyto (the geometric mean over the shapes timed)"
             if speed else "no speed: this run was not timed (conformance run --bench)")
    return ('<section id="summary"><h2>Summary</h2><p class="lead">One line per adapter: its '
            "verdict (<i>conforming</i>; <i>defects as expected</i>: exactly the defects "
            "declared for it, as the threads' variants keep their bugs; <i>unexpected "
            "defects</i> or <i>expected defects not seen</i> fail the run), the verdict in "
            f"plain words and its worst finding; {timed}.</p>{_split(report, rows, header)}"
            "</section>")


def verdict_tables(report: Report) -> str:
    parts = ['<section id="verdicts"><h2>Verdict per op</h2><p class="lead">Each adapter '
             "and dtype: the worst condition-aware error over the cases with a defined answer, "
             "as a multiple of the accuracy bound (1 is the bound), coloured by it; ✗ marks a "
             "dtype where a defect was detected, named under the number. Hover a cell for the "
             "reason, the worst ULP error and row check, and the case.</p>" + _scale()]
    for op in report_ops(report):
        rows_by = [(s, s["per_op"][op]) for s in report["summaries"] if op in s.get("per_op", {})]
        dtypes = ordered_dtypes(report, {dt for _, per in rows_by for dt in per})
        head = "".join(f'<th data-dtype="{e(dt)}">{e(dt)}</th>' for dt in dtypes)
        rows: list[tuple[str, str]] = []
        for s, per in rows_by:
            cells = []
            for dt in dtypes:
                c = per.get(dt)
                if c is None:
                    cells.append(f'<td class="cell rn" data-dtype="{e(dt)}">–</td>')
                    continue
                found = list(c.get("findings", {}))
                tip = (f"{s['adapter']} {op} {dt}: {c.get('reason', '')}. Worst condition-"
                       f"aware error {num(c.get('worst_cond_error'))} (bound "
                       f"{num(c.get('bound'))}), worst ULP error {num(c.get('worst_ulp_error'))}"
                       f", worst row check {num(c.get('worst_row_sum_error'))} eps, "
                       f"{c.get('cases', 0)} cases; worst on {c.get('worst_case') or '–'}")
                mark = "✗ " if found else ""
                small = f"<small>{e(', '.join(found[:2]))}</small>" if found else \
                    "<small>ok</small>"
                cells.append(f'<td class="cell {bucket(c.get("ratio"), bool(found))}" '
                             f'data-dtype="{e(dt)}" title="{e(tip)}">{mark}'
                             f'{e(ratio_text(c.get("ratio")))}{small}</td>')
            rows.append((s["adapter"],
                         f"<tr><td><code>{e(s['adapter'])}</code></td>{''.join(cells)}</tr>"))
        contract = report.get("ops", {}).get(op, {}).get("contract", "")
        parts.append(f'<div data-op="{e(op)}" data-plot="verdict" data-points="{len(rows)}">'
                     f'<h3>{e(op)} <code>{e(contract)}</code></h3>'
                     f'{_split(report, rows, f"<tr><th>adapter</th>{head}</tr>")}</div>')
    parts.append("</section>")
    return "".join(parts)


def family_tables(report: Report) -> str:
    data = report.get("figures", {}).get("by_family", {})
    parts = ['<section id="families"><h2>Error by case family</h2><p class="lead">The '
             "charted adapters' worst error per case family (over every dtype), as a multiple "
             "of the bound: which kinds of input break which library.</p>"]
    for op in [o for o in report_ops(report) if o in data]:
        fams = sorted({f for row in data[op].values() for f in row})
        head = "".join(f'<th class="col" data-family="{e(f)}">{e(f)}</th>' for f in fams)
        rows = []
        for adapter, row in data[op].items():
            cells = "".join(
                f'<td class="cell {bucket(row.get(f))}" data-family="{e(f)}" '
                f'title="{e(adapter)} on {e(f)}: {e(num(row.get(f)))} × the bound">'
                f'{e(ratio_text(row.get(f)))}</td>' for f in fams)
            rows.append(f"<tr><td><code>{e(adapter)}</code></td>{cells}</tr>")
        parts.append(f'<div data-op="{e(op)}" data-plot="families" data-points="{len(rows)}">'
                     f'<h3>{e(op)}</h3><div class="scroll"><table class="heat"><tr>'
                     f'<th>adapter</th>{head}</tr>{"".join(rows)}</table></div></div>')
    parts.append("</section>")
    return "".join(parts)


def agreement_tables(report: Report) -> str:
    parts = ['<section id="agreement"><h2>Agreement</h2><p class="lead">For each op, the '
             "share (%) of the cases two adapters both ran on which their outputs agree "
             "(the op's rule below); columns are numbered as the rows. Hover a cell for the "
             "pair and the number of common cases.</p>"]
    for op, ag in report.get("agreement", {}).items():
        names = ag.get("adapters", [])
        if len(names) < 2:
            continue
        counts = ag.get("common_cases") or [[None] * len(names) for _ in names]
        head = "".join(f'<th class="col" title="{e(n)}">{i + 1}</th>'
                       for i, n in enumerate(names))
        rows = []
        for i, (a, row, crow) in enumerate(zip(names, ag["matrix"], counts, strict=False)):
            cells = []
            for j, (b, v) in enumerate(zip(names, row, strict=False)):
                if i == j:
                    cells.append('<td class="cell rn">·</td>')
                    continue
                n = crow[j] if j < len(crow) else None
                share = None if v is None else 100 * float(v)
                cls = "rn" if share is None else "r0" if share >= 99.5 else "r1" if \
                    share >= 95 else "r2" if share >= 80 else "r3" if share >= 50 else "r5"
                cells.append(f'<td class="cell {cls}" title="{e(a)} vs {e(b)}: '
                             f'{"–" if share is None else f"{share:.1f}%"} of {num(n)} common '
                             f'cases">{"–" if share is None else f"{share:.0f}"}</td>')
            rows.append(f"<tr><td>{i + 1} <code>{e(a)}</code></td>{''.join(cells)}</tr>")
        rule = str(report.get("ops", {}).get(op, {}).get("agreement", "")).rstrip(".")
        basis = f" {ag['basis']}." if ag.get("basis") else ""
        parts.append(f'<div data-op="{e(op)}" data-plot="agreement" data-points="{len(rows)}">'
                     f'<h3>{e(op)}</h3><p class="note">Agree: {e(rule)}.{e(basis)}</p>'
                     f'<div class="scroll"><table class="heat"><tr><th>adapter</th>{head}</tr>'
                     f'{"".join(rows)}</table></div></div>')
    parts.append("</section>")
    return "".join(parts)


_CONVENTION_COLORS = ("r0", "r2", "r3", "r1", "r4")


def conventions_table(report: Report) -> str:
    conv = report.get("conventions", {})
    kinds = report.get("convention_kinds") or sorted({k for c in conv.values() for k in c})
    seen: dict[str, dict[str, int]] = {k: {} for k in kinds}
    rows: list[tuple[str, str]] = []
    for name, by_kind in conv.items():
        cells = []
        for k in kinds:
            v = by_kind.get(k, "–")
            idx = seen[k].setdefault(v, len(seen[k])) if v not in ("–", "unsupported") else -1
            cls = "rn" if idx < 0 else _CONVENTION_COLORS[idx % len(_CONVENTION_COLORS)]
            cells.append(f'<td class="cell {cls}" title="{e(name)}, {e(k)}: {e(v)}">{e(v)}</td>')
        rows.append((name, f"<tr><td><code>{e(name)}</code></td>{''.join(cells)}</tr>"))
    head = "".join(f"<th>{e(k)}</th>" for k in kinds)
    return ('<section id="conventions"><h2>Conventions</h2><p class="lead">Where there is no '
            "single right answer — a fully masked row, +inf, NaN, empty input — what each "
            "adapter returns, and the dtype it returns for integer input, side by side (one "
            "colour per behaviour within a column). Not judged: a policy may require one."
            f'</p><div data-plot="conventions" data-points="{len(rows)}">'
            f'{_split(report, rows, f"<tr><th>adapter</th>{head}</tr>", "heat")}</div></section>')


def _breakable(name: str) -> str:
    """An adapter's name that may wrap after its dots (a narrow column, not a scroll)."""
    return ".<wbr>".join(e(part) for part in name.split("."))


def choices_table(report: Report) -> str:
    """Which library conforms for each op and dtype, best first."""
    data = report.get("choices") or {}
    if not data:
        return ""
    listed = report_ops(report)
    ops = [op for op in listed if op in data] + sorted(set(data) - set(listed))
    dtypes = ordered_dtypes(report, {dt for by in data.values() for dt in by}
                      | {dt for s in report["summaries"] for per in s.get("per_op", {}).values()
                         for dt in per})
    head = "".join(f'<th data-dtype="{e(dt)}">{e(dt)}</th>' for dt in dtypes)
    rows = []
    for op in ops:
        cells = []
        for dt in dtypes:
            picks = data[op].get(dt, [])
            inner = "".join(f'<span class="pick"><code>{_breakable(c["adapter"])}</code> '
                            f'{e(ratio_text(c["ratio"]))}</span>' for c in picks) or "<i>none</i>"
            cells.append(f'<td class="cell choice {"r0" if picks else "r4"}" '
                         f'data-dtype="{e(dt)}">{inner}</td>')
        rows.append(f'<tr data-op="{e(op)}"><th>{e(op)}</th>{"".join(cells)}</tr>')
    return ('<section id="choices"><h2>Which library for which dtype</h2><p class="lead">'
            "For each op and dtype, the libraries (and the reference) with no defect "
            "detected there and every error within the bound, best first, with their worst "
            "error as a multiple of the bound. A dtype where none qualifies says "
            "<i>none</i>: read its verdict table below for why.</p>"
            f'<div data-plot="choices" data-points="{len(rows)}" class="scroll"><table>'
            f'<tr><th>op</th>{head}</tr>{"".join(rows)}</table></div></section>')
