"""JUnit XML for CI systems: one test case per check and dtype, failures carry the diagnosis."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

__all__ = ["render_junit", "render_run_junit"]


def _diagnosis_text(d: dict[str, Any]) -> str:
    lines = [
        d["message"],
        f"case {d['case']} (shape {tuple(d['shape'])}, axis {d['axis']}), "
        f"{d['failures']} failing input(s)",
    ]
    if d.get("cause"):
        lines.append(f"cause: {d['cause']}")
    if d.get("fix"):
        lines.append(f"fix: {d['fix']}")
    if d.get("reproducer"):
        lines += ["reproducer:", d["reproducer"]]
    return "\n".join(lines)


def render_junit(check_report: dict[str, Any]) -> str:
    outcomes = check_report["outcomes"]
    suite = ET.Element(
        "testsuite",
        {
            "name": f"softmax-conformance {check_report['target']}",
            "tests": str(len(outcomes)),
            "failures": str(sum(o["status"] in ("FAIL", "XPASS") for o in outcomes)),
            "skipped": str(sum(o["status"] in ("xfail", "n/a") for o in outcomes)),
        },
    )
    for o in outcomes:
        tc = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"conformance.{check_report['policy']}",
                "name": f"{o['check']}[{o['dtype']}]",
            },
        )
        if o["status"] == "FAIL":
            d = o["diagnosis"] or {}
            el = ET.SubElement(tc, "failure", {"message": d.get("message", o["description"])})
            el.text = _diagnosis_text(d) if d else o["description"]
        elif o["status"] == "XPASS":
            ET.SubElement(
                tc, "failure", {"message": f"expected to fail ({o['reason']}) but passed"}
            )
        elif o["status"] == "xfail":
            ET.SubElement(tc, "skipped", {"message": f"expected failure: {o['reason']}"})
        elif o["status"] == "n/a":
            ET.SubElement(tc, "skipped", {"message": "no input the capabilities accept"})
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def render_run_junit(report: dict[str, Any]) -> str:
    """A run's report.json as JUnit XML: one test suite per op, one test case per adapter
    and dtype; a cell with a defect the adapter does not declare fails, a declared one is
    skipped (expected), an unavailable adapter is skipped."""
    root = ET.Element("testsuites", {"name": "softmax-conformance run"})
    declared = {s["adapter"]: set(s.get("expected", [])) for s in report["summaries"]}
    for op in report.get("ops", {}) or sorted({o for s in report["summaries"]
                                               for o in s.get("per_op", {})}):
        cells = [(s, dt, c) for s in report["summaries"]
                 for dt, c in s.get("per_op", {}).get(op, {}).items()]
        suite = ET.SubElement(root, "testsuite", {"name": f"softmax-conformance {op}",
                                                  "tests": str(len(cells))})
        failures = skipped = 0
        for s, dt, c in cells:
            tc = ET.SubElement(suite, "testcase", {"classname": f"conformance.{op}",
                                                   "name": f"{s['adapter']}[{dt}]"})
            found = set(c.get("findings", {}))
            unexpected = sorted(found - declared.get(s["adapter"], set()))
            if unexpected:
                failures += 1
                el = ET.SubElement(tc, "failure", {"message": f"unexpected: "
                                                   f"{', '.join(unexpected)}"})
                el.text = c.get("reason", "")
            elif found:
                skipped += 1
                ET.SubElement(tc, "skipped", {"message": "declared defects: "
                                              + ", ".join(sorted(found))})
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
