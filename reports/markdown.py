"""report.md: a pull-request comment (at most 65,536 characters). Renders report.json's
content only: the verdict line, the summary with a plain-words column, the worst finding
per adapter, each op's accuracy as a multiple of its bound, the conventions, the
glossary, and relative links to report.html and report.json for the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reports.order import ordered_dtypes, report_ops

__all__ = ["LIMIT", "counterexample_lines", "num", "ratio_text", "render_markdown",
           "render_verdict", "scope"]

Report = Mapping[str, Any]  # report.json as read (conformance.record.types describes it)
LIMIT = 65_536  # characters in a GitHub pull-request comment
_MARGIN = 1_500  # kept free for the note on what was left out


def num(v: Any) -> str:
    """A number as the reports print it (3 significant digits; ∞, NaN, – for none)."""
    if v is None:
        return "–"
    if v in ("inf", "-inf", "nan"):
        return {"inf": "∞", "-inf": "-∞", "nan": "NaN"}[v]
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if v == 0:
        return "0"
    return f"{v:.3g}"


def ratio_text(v: Any) -> str:
    """An error as a multiple of its bound: 0, <0.01, 0.25, 12, 3.1e+04, ∞."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 0.01:
        return "<0.01"
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 100:
        return f"{v:.0f}" if v < 1e4 else f"{v:.1e}"
    if isinstance(v, float):
        return f"{v:.2g}"
    return num(v)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row)
            + " |" for row in rows]
    return out + [""]




def _adapter_ops(report: Report) -> dict[str, list[str]]:
    return {a["name"]: list(a.get("ops", [])) for a in report["adapters"]}


def _speed(report: Report, adapter: str) -> str:
    by = report.get("speed", {}).get("by_adapter", {}).get(adapter, {})
    vals = [f"{v:.2g}×" for v in by.values() if isinstance(v, (int, float))]
    return ", ".join(vals) or "–"


def _verdict_lines(report: Report) -> list[str]:
    v = report.get("verdict") or {}
    mark = "✅" if v.get("status") == "pass" else "❌"
    return [f"**{mark} {v.get('text', '')}**", "",
            "Full report: [report.html](report.html) (charts, agreement, every defect with "
            "its reproducer, filters) · record: [report.json](report.json)", ""]


def _summary_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    ops = _adapter_ops(report)
    speed = bool(report.get("speed"))
    header = ["adapter", "ops", "verdict", "in plain words", "declared defects"]
    header += ["speed (× copy)"] if speed else []
    rows = []
    for s in report["summaries"]:
        row = [f"`{s['adapter']}`", ", ".join(ops.get(s["adapter"], [])), s["verdict"],
               s.get("plain", ""), ", ".join(s["expected"]) or "none"]
        rows.append(row + ([_speed(report, s["adapter"])] if speed else []))
    return header, rows


def render_verdict(report: Mapping[str, Any]) -> str:
    """The verdict line and the summary table (what CI appends to its job summary)."""
    header, rows = _summary_rows(report)
    return "\n".join(["## softmax-conformance", "", *_verdict_lines(report),
                      *_table(header, rows)]).rstrip() + "\n"


def scope(report: Report) -> str:
    """How many cases and adapters the report covers (and the cases for some adapters only,
    as --quick's thread prints, run by the variant that printed them)."""
    n_avail = sum(a["available"] for a in report["adapters"])
    few = sum(bool(c.get("only")) for c in report["cases"])
    some = f"; {few} cases run only by the adapters they name" if few else ""
    return (f"{len(report['cases'])} cases × {n_avail} available adapters "
            f"({len(report['adapters'])} registered{some})")


def _header(report: Report) -> list[str]:
    env = report["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v != "not installed")
    t = report["timing"]
    wall = f" in {t['wall']:.0f} s" if isinstance(t.get("wall"), (int, float)) else ""
    return [
        "# softmax-conformance report",
        "",
        *_verdict_lines(report),
        f"{scope(report)}{wall}, Python {env['python']} on "
        f"{env['platform']}, {report['generated']}. Versions: {versions}.",
        "",
        *_cases_line(report),
        *[f"> {note}" for note in report.get("notes", [])],
    ]


def _cases_line(report: Report) -> list[str]:
    """How many cases came from where (report.html has the table by family)."""
    by_origin: dict[str, int] = {}
    for f in report.get("case_families") or []:
        by_origin[f["origin"]] = by_origin.get(f["origin"], 0) + f["cases"]
    if not by_origin:
        return []
    cfg = report.get("config", {})
    words = {"catalog": "from the catalogue", "seed-golden": "printed in the threads",
             "generated": "generated" + (f" (seed {cfg['seed']}, {cfg['examples']} per family "
                                         "and dtype)" if "seed" in cfg else "")}
    return ["Cases: " + ", ".join(f"{n} {words.get(o, o)}" for o, n in by_origin.items())
            + ".", ""]


def _summary(report: Report) -> list[str]:
    header, rows = _summary_rows(report)
    return ["## Summary", "",
            "*verdict*: *conforming* (no defect), *defects as expected* (exactly the defects "
            "declared for it: the threads' variants keep their bugs), *unexpected defects* "
            "or *expected defects not seen* (either fails the run).", ""] + _table(header, rows)


def _choices(report: Report) -> list[str]:
    data = report.get("choices") or {}
    if not data:
        return []
    dtypes = ordered_dtypes(report, {dt for s in report["summaries"] for per in
                               s.get("per_op", {}).values() for dt in per})
    rows = []
    for op in [o for o in report_ops(report) if o in data]:
        cells = []
        for dt in dtypes:
            picks = data[op].get(dt, [])
            shown = [f"`{c['adapter']}` {ratio_text(c['ratio'])}" for c in picks[:3]]
            more = f" +{len(picks) - 3}" if len(picks) > 3 else ""
            cells.append(", ".join(shown) + more if shown else "none")
        rows.append([op, *cells])
    return ["## Which library for which dtype", "",
            "The libraries (and the reference) with no defect in that op and dtype and every "
            "error within the bound, best first (worst error as a multiple of the bound).", ""
            ] + _table(["op", *dtypes], rows)


def _worst(report: Report) -> list[str]:
    rows = []
    for s in report["summaries"]:
        w = s.get("worst_case")
        if not w:
            continue
        rows.append([f"`{s['adapter']}`", w.get("op", ""), w["defect"],
                     w.get("dtype", ""), f"`{w['case']}`", w["detail"]])
    if not rows:
        return ["## Worst finding per adapter", "", "None: every adapter conforms.", ""]
    return ["## Worst finding per adapter", "",
            "The most severe defect each adapter shows, on one case; report.html has one "
            "example with a reproducer per defect.", ""] + _table(
        ["adapter", "op", "defect", "dtype", "case", "what was measured"], rows)


def _accuracy(report: Report) -> list[str]:
    out = ["## Accuracy per op", "",
           "Worst condition-aware error as a multiple of the bound (1 is the bound, 0 exact) "
           "over the cases with a defined answer; ✗ marks a dtype where a defect was "
           "detected (see the summary). The ULP error is not shown: near zero an ulp is tiny, "
           "so a negligible absolute error can count 10^15 ulp (report.json keeps it).", ""]
    for op in report_ops(report):
        rows_by = [(s, s["per_op"][op]) for s in report["summaries"] if op in s.get("per_op", {})]
        dtypes = ordered_dtypes(report, {dt for _, per in rows_by for dt in per})
        rows = []
        for s, per in rows_by:
            cells = []
            for dt in dtypes:
                cell = per.get(dt)
                if cell is None:
                    cells.append("–")
                    continue
                mark = "✗ " if cell.get("findings") else ""
                cells.append(mark + ratio_text(cell.get("ratio")))
            rows.append([f"`{s['adapter']}`", *cells])
        contract = report.get("ops", {}).get(op, {}).get("contract", "")
        out += [f"### {op}", "", f"`{contract}`" if contract else "", ""]
        out += _table(["adapter", *dtypes], rows)
    return out


def _conventions(report: Report) -> list[str]:
    conv = report["conventions"]
    if not conv:
        return []
    kinds = report.get("convention_kinds") or sorted({k for c in conv.values() for k in c})
    rows = [[f"`{name}`", *[conv[name].get(k, "–") for k in kinds]] for name in conv]
    return ["## Conventions", "",
            "What each adapter returns where there is no single right answer: a fully masked "
            "row, +inf, NaN, empty input; and the dtype it returns for integer input.", ""
            ] + _table(["adapter", *kinds], rows)


def _golden(report: Report) -> list[str]:
    golden = report.get("golden") or []
    if not golden:
        return []
    ok = sum(g["reproduced"] for g in golden)
    missed = [f"`{g['adapter']}` ({g['where']})" for g in golden if not g["reproduced"]]
    return ["## What the threads printed", "",
            f"{ok} of {len(golden)} outputs printed in the threads are reproduced by the "
            f"wrapped code{': not ' + ', '.join(missed) if missed else ''}.", ""]


def _glossary(report: Report) -> list[str]:
    out = ["## Glossary", ""]
    for title, key in (("Terms", "terms"), ("Defects", "defect_definitions"),
                       ("Cause codes", "cause_definitions")):
        items = report.get(key) or {}
        if items:
            out += [f"**{title}**", ""]
            out += [f"- `{k}`: {v}" for k, v in items.items()] + [""]
    return out if len(out) > 2 else []


def _unavailable(report: Report) -> list[str]:
    rows = [[f"`{a['name']}`", (a["reason"] or "").splitlines()[0] if a["reason"] else ""]
            for a in report["adapters"] if not a["available"]]
    return ["## Unavailable adapters", ""] + _table(["adapter", "reason"], rows) if rows else []


def _array(values: Any) -> str:
    text = _fmt(values)
    return text if len(text) < 400 else text[:400] + " ..."


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(u) for u in v) + "]"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)  # None, and "nan" / "inf" as JSON keeps them


def counterexample_lines(items: list[dict[str, Any]]) -> list[str]:
    """The minimal counterexamples a hunt found: input, output, expected, reproducer."""
    if not items:
        return []
    out = ["## Minimal counterexamples", "",
           "Found and shrunk by `conformance hunt` (Hypothesis).", ""]
    for ce in items:
        out += [
            f"### `{ce['adapter']}` breaks {ce['check']}",
            "",
            f"{ce['message']}. {ce['dtype']}, shape {tuple(ce['shape'])}, axis {ce['axis']}.",
            "",
            f"- input: `{_array(ce['input'])}`",
            f"- output: `{_array(ce['output'])}`",
            f"- expected: `{_array(ce['expected'])}`",
            "",
            "```python",
            ce["reproducer"],
            "```",
            "",
        ]
    return out


def _counterexamples(report: Report) -> list[str]:
    return counterexample_lines(report.get("counterexamples", []))


def _speed_table(report: Report) -> list[str]:
    speed = report.get("speed")
    if not speed:
        return []
    rows = []
    for m in speed["rows"]:
        if m["status"] == "ok":
            rows.append([f"`{m['adapter']}`", m["op"], m["shape"], f"{m['ratio']:.2g}×",
                         f"{m['seconds'] * 1e3:.3g} ms"])
    return ["## Speed", "",
            "Best of the repeats after a warm-up, as a multiple of np.copyto of the same bytes "
            "on the same machine in the same run (1 = the memory-bound floor).", ""
            ] + _table(["adapter", "op", "shape", "× copy", "best"], rows)


# (title, section, required): optional sections are left out, last first, to fit LIMIT
SECTIONS: tuple[tuple[str, Callable[[Report], list[str]], bool], ...] = (
    ("header", _header, True),
    ("which library for which dtype", _choices, True),
    ("summary", _summary, True),
    ("worst findings", _worst, True),
    ("accuracy per op", _accuracy, False),
    ("speed", _speed_table, False),
    ("conventions", _conventions, False),
    ("threads' printed outputs", _golden, False),
    ("counterexamples", _counterexamples, False),
    ("unavailable adapters", _unavailable, False),
    ("glossary", _glossary, False),
)


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md; optional sections that would take it past LIMIT characters are left out
    (named at the end, with a pointer to report.html)."""
    parts = [(title, "\n".join(fn(report)), required) for title, fn, required in SECTIONS]
    total = sum(len(text) + 1 for _, text, _ in parts)
    left_out: list[str] = []
    for title, text, required in reversed(parts):
        if total <= LIMIT - _MARGIN:
            break
        if not required and text:
            left_out.append(title)
            total -= len(text) + 1
    body = "\n".join(text for title, text, _ in parts if text and title not in left_out)
    if left_out:
        body += (f"\n\n*Left out to fit a pull-request comment: {', '.join(reversed(left_out))}"
                 "; see [report.html](report.html).*")
    text = body.rstrip() + "\n"
    return text if len(text) <= LIMIT else text[: LIMIT - 80] + "\n\n*(cut to fit; see " \
        "report.html)*\n"
