"""The Markdown verdict of ``conformance check`` (for $GITHUB_STEP_SUMMARY): one line,
then each failing check with its cause, fix and reproducer. Renders the check JSON only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_check_markdown"]


def render_check_markdown(report: Mapping[str, Any]) -> str:
    outcomes = report["outcomes"]
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o["status"]] = counts.get(o["status"], 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    ok = report["conforms"]
    lines = [f"## conformance check `{report['target']}`", "",
             f"**{'✅' if ok else '❌'} {report['target']} "
             f"{'conforms' if ok else 'does NOT conform'}** (policy {report['policy']}, "
             f"dtypes {' '.join(report['dtypes'])}): {tally}.", ""]
    failing = [o for o in outcomes if o["status"] in ("FAIL", "XPASS")]
    if failing:
        lines += ["| check | dtype | what went wrong | cause |", "|---|---|---|---|"]
        for o in failing:
            d = o.get("diagnosis") or {}
            what = (d.get("message") or o.get("reason") or o["description"]).replace("|", "\\|")
            lines.append(f"| {o['check']} | {o['dtype']} | {what} | {d.get('cause') or '–'} |")
        lines.append("")
        for o in failing:
            d = o.get("diagnosis") or {}
            if d.get("reproducer"):
                lines += [f"<details><summary>{o['check']}[{o['dtype']}]: reproducer"
                          "</summary>", "", "```python", d["reproducer"], "```", "</details>",
                          ""]
    return "\n".join(lines).rstrip() + "\n"
