"""report.md: readable as a pull-request comment. Renders report.json's content only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["counterexample_lines", "render_markdown"]

Report = Mapping[str, Any]  # report.json as read (conformance.record.types describes it)


def _num(v: Any) -> str:
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


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out + [""]


def _ordered(report: Report, seen: set[str]) -> list[str]:
    """The dtypes seen, in the report's order (then any others, sorted)."""
    order = [d for d in report.get("dtype_order", []) if d in seen]
    return order + sorted(seen - set(order))


def _dtypes(report: Report) -> list[str]:
    return _ordered(report, {dt for s in report["summaries"] for dt in s["per_dtype"]})


def _op_note(report: Report, op: str, key: str) -> str:
    """What the report says of an op (its accuracy columns, its agreement rule)."""
    return str(report.get("ops", {}).get(op, {}).get(key, ""))


def _header(report: Report) -> list[str]:
    env = report["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v != "not installed")
    t = report["timing"]
    n_avail = sum(a["available"] for a in report["adapters"])
    return [
        "# softmax-conformance report",
        "",
        f"{len(report['cases'])} cases × {n_avail} available adapters "
        f"({len(report['adapters'])} registered), {len(report['results'])} results. "
        f"Generated {report['generated']} on Python {env['python']}, {env['platform']}.",
        "",
        f"Versions: {versions}.",
        "",
        f"Timing: wall {t['wall']:.1f} s, imports {t['imports']:.1f} s, "
        f"in adapters {t['in_adapters']:.1f} s, oracle {t['oracle']:.1f} s.",
        "",
    ]


def _cases(report: Report) -> list[str]:
    fams = report.get("case_families")
    if not fams:
        return []
    rows = [[f["origin"], f["family"], str(f["cases"]), ", ".join(f["dtypes"])] for f in fams]
    cfg = report.get("config", {})
    seed = f" (generated with seed {cfg['seed']}, {cfg['examples']} per family and dtype)" if (
        "seed" in cfg) else ""
    return ["<details>", f"<summary>Cases by origin and family{seed}</summary>", ""] + _table(
        ["origin", "family", "cases", "dtypes"], rows) + ["</details>", ""]


def _summary(report: Report) -> list[str]:
    rows = []
    ops = {a["name"]: a.get("ops", ["softmax"]) for a in report["adapters"]}
    for s in report["summaries"]:
        expected = ", ".join(s["expected"]) or "conforming"
        detected = ", ".join(s["detected"]) or "none"
        rows.append(
            [
                f"`{s['adapter']}`",
                s["verdict"],
                ", ".join(ops.get(s["adapter"], ["softmax"])),
                str(s["cases_run"]),
                str(s["errors"]),
                str(s["nan_on_finite_input"]),
                str(s["input_mutated"]),
                detected,
                expected,
            ]
        )
    return [
        "## Summary",
        "",
        "Defects are detected from the metrics on cases with a defined answer; "
        "special values are conventions (below). An adapter providing several ops runs each "
        "case once per op (\"runs\").",
        "",
    ] + _table(
        [
            "adapter",
            "verdict",
            "ops",
            "runs",
            "errors",
            "NaN on finite input",
            "input mutated",
            "detected defects",
            "expected",
        ],
        rows,
    )


def _accuracy(report: Report) -> list[str]:
    dtypes = _dtypes(report)
    rows = []
    ops = {a["name"]: a.get("ops", ["softmax"]) for a in report["adapters"]}
    for s in report["summaries"]:
        if "softmax" not in ops.get(s["adapter"], ["softmax"]):
            continue  # its ops have sections of their own
        cells = []
        for dt in dtypes:
            d = s["per_dtype"].get(dt)
            cells.append(
                "–"
                if d is None
                else f"{_num(d['worst_ulp_error'])} / {_num(d['worst_cond_error'])} / "
                f"{_num(d['worst_row_sum_error'])}"
            )
        rows.append([f"`{s['adapter']}`", *cells])
    return [
        "## Accuracy per dtype",
        "",
        "Worst ULP error / worst condition-aware error / worst row-sum error (in epsilons), "
        "against the correctly rounded reference, over cases with a defined answer.",
        "",
    ] + _table(["adapter", *dtypes], rows)


def _other_ops(report: Report) -> list[str]:
    seen = {op for s in report["summaries"] for op in s.get("per_op", {})}
    listed = [op for op in report.get("ops", {}) if op in seen]
    ops = listed + sorted(seen - set(listed))
    out: list[str] = []
    for op in ops:
        dtypes = _ordered(report, {d for s in report["summaries"]
                                   for d in s.get("per_op", {}).get(op, {})})
        rows = []
        for s in report["summaries"]:
            per = s.get("per_op", {}).get(op)
            if not per:
                continue
            cells = ["–" if per.get(dt) is None else
                     f"{_num(per[dt]['worst_ulp_error'])} / {_num(per[dt]['worst_cond_error'])}"
                     f" / {_num(per[dt]['worst_row_sum_error'])}" for dt in dtypes]
            rows.append([f"`{s['adapter']}`", *cells])
        out += [f"## {op}", "", _op_note(report, op, "accuracy"), ""]
        out += _table(["adapter", *dtypes], rows)
        ag = report.get("agreement_by_op", {}).get(op)
        if ag and len(ag["adapters"]) > 1:
            out += [f"Agreement on {op} (%): {_op_note(report, op, 'agreement')}", ""]
            out += _matrix_table(ag)
    return out


def _matrix_table(ag: dict) -> list[str]:
    """An agreement matrix as a table, columns numbered as the rows."""
    names = ag["adapters"]
    rows = []
    for i, (name, row) in enumerate(zip(names, ag["matrix"], strict=True)):
        cells = [
            "·" if i == j else ("–" if v is None else f"{100 * v:.0f}") for j, v in enumerate(row)
        ]
        rows.append([f"{i + 1} `{name}`", *cells])
    return _table(["adapter", *[str(i + 1) for i in range(len(names))]], rows)


def _agreement(report: Report) -> list[str]:
    ag = report["agreement"]
    if not ag["adapters"]:
        return []
    return [
        "## Agreement",
        "",
        "Share (%) of the cases both adapters ran on which their outputs agree "
        "(within 8 epsilon relative, below the smallest normal number counts as equal, "
        "NaN in the same places). Columns are numbered as the rows.",
        "",
    ] + _matrix_table(ag)


def _families(report: Report) -> list[str]:
    rows = []
    for s in report["summaries"]:
        if s["families_broken"]:
            cells = "; ".join(
                f"**{d}**: {', '.join(fams)}" for d, fams in s["families_broken"].items()
            )
            rows.append([f"`{s['adapter']}`", cells])
    if not rows:
        return ["## Case families that break adapters", "", "None.", ""]
    return ["## Case families that break adapters", ""] + _table(
        ["adapter", "defect: case families"], rows
    )


def _conventions(report: Report) -> list[str]:
    conv = report["conventions"]
    kinds = report.get("convention_kinds") or sorted({k for c in conv.values() for k in c})
    rows = [[f"`{name}`", *[conv[name].get(k, "–") for k in kinds]] for name in conv]
    return [
        "## Conventions",
        "",
        "What each adapter returns where softmax has no single right answer: "
        "a fully masked row, +inf, NaN, empty input; and the dtype it returns for "
        "integer input.",
        "",
    ] + _table(["adapter", *kinds], rows)


def _golden(report: Report) -> list[str]:
    if not report.get("golden"):
        return []
    rows = [
        [
            g["where"],
            f"`{g['adapter']}`",
            "yes" if g["reproduced"] else "**no**",
            g["detail"] + (f" — {g['note']}" if g["note"] else ""),
        ]
        for g in report["golden"]
    ]
    ok = sum(g["reproduced"] for g in report["golden"])
    return [
        "## What the threads printed",
        "",
        f"{ok} of {len(rows)} printed outputs reproduced by the wrapped code.",
        "",
    ] + _table(["where", "adapter", "reproduced", "detail"], rows)


def _defect_examples(report: Report) -> list[str]:
    out = ["## Each defect with a reproducer", "",
           "For every non-conforming adapter, each defect it shows on its smallest case: what "
           "was measured and the lines that rebuild the input (and the cotangent or labels the "
           "op was fed) and call it.", ""]
    for s in report["summaries"]:
        examples = s.get("examples") or ([s["worst_case"]] if s.get("worst_case") else [])
        for w in examples:
            el = w.get("element")
            where = ""
            if el:
                idx = ", ".join(map(str, el["index"]))
                where = (
                    f" out[{idx}]={_num(el['got'])}, expected {_num(el['expected'])} "
                    f"(x={_num(el['x'])})."
                )
            op = w.get("op", "softmax")
            out += [
                "<details>",
                f"<summary><code>{s['adapter']}</code>: {w['defect']}"
                f"{'' if op == 'softmax' else f' ({op})'} on case <code>{w['case']}</code>"
                "</summary>",
                "",
                f"{w['detail']}.{where}",
                "",
                "```python",
                w["reproducer"],
                "```",
                "</details>",
                "",
            ]
    return out


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


def _unavailable(report: Report) -> list[str]:
    rows = [[f"`{a['name']}`", a["reason"] or ""] for a in report["adapters"] if not a["available"]]
    return ["## Unavailable adapters", ""] + _table(["adapter", "reason"], rows) if rows else []


def render_markdown(report: Mapping[str, Any]) -> str:
    parts = (
        _header,
        _cases,
        _summary,
        _accuracy,
        _families,
        _conventions,
        _agreement,
        _other_ops,
        _golden,
        _defect_examples,
        _counterexamples,
        _unavailable,
    )
    lines: list[str] = []
    for part in parts:
        lines += part(report)
    return "\n".join(lines).rstrip() + "\n"
