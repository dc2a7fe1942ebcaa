"""A few lines of Python that rebuild a case's input and call the implementation."""

from __future__ import annotations

import re

import numpy as np

from cases.model import Case

__all__ = ["impl_reproducer", "input_lines", "reproducer"]

MAX_LITERAL = 64  # elements; a larger input is rebuilt from the catalogue by id


def _literal(case: Case) -> list[str]:
    values = case.x.astype(np.float64) if case.x.dtype.kind != "i" else case.x
    body = (
        np.array2string(
            np.asarray(values),
            separator=", ",
            threshold=max(MAX_LITERAL, values.size) + 1,
            floatmode="unique",
            max_line_width=88,
        )
        .replace("inf", "np.inf")
        .replace("nan", "np.nan")
    )
    if case.dtype == "bfloat16":
        return ["import ml_dtypes", f"x = np.array({body}, dtype=ml_dtypes.bfloat16)"]
    return [f"x = np.array({body}, dtype=np.{case.dtype})"]


def _from_catalogue(case: Case) -> list[str]:
    source = "golden_cases()" if case.origin == "seed-golden" else "catalog()"
    if case.origin == "generated":
        found = re.search(r"generated_cases\(seed=(\d+), examples=(\d+)\)", case.note)
        seed, examples = found.groups() if found else ("0", "5")
        source = f"generated_cases(seed={seed}, examples={examples})"
    return [
        f"from cases import {source.split('(')[0]}",
        f"case = next(c for c in {source} if c.id == {case.id!r})",
        "x = case.input_copy()",
    ]


def _inline(case: Case) -> bool:
    small = case.x.size <= MAX_LITERAL and case.x.flags.c_contiguous
    return small or (case.origin == "generated" and "generated_cases(" not in case.note)


def input_lines(case: Case) -> list[str]:
    """Lines that rebuild the case's input as ``x`` (and, when rebuilt from the catalogue,
    the case as ``case``)."""
    return ["import numpy as np", *(_literal(case) if _inline(case) else _from_catalogue(case))]


def _extra_lines(case: Case, op: str) -> list[str]:
    """The cotangent g (softmax_vjp) or the labels (cross_entropy) the harness fed: inline
    beside an inline input, else derived from the case as the harness does."""
    from conformance.op_inputs import cotangent, labels

    derived = {"softmax_vjp": ("g", "cotangent"), "cross_entropy": ("labels", "labels")}
    if op in derived and not _inline(case):
        var, fn = derived[op]
        return [f"from conformance.op_inputs import {fn}", f"{var} = {fn}(case)"]
    if op == "softmax_vjp":
        g = cotangent(case)
        body = np.array2string(g.astype(np.float64), separator=", ", floatmode="unique",
                               threshold=g.size + 1, max_line_width=88)
        dt = "ml_dtypes.bfloat16" if case.dtype == "bfloat16" else f"np.{g.dtype.name}"
        return [f"g = np.array({body}, dtype={dt})"]
    if op == "cross_entropy":
        lab = labels(case)
        body = np.array2string(lab, separator=", ", threshold=lab.size + 1)
        return [f"labels = np.array({body}, dtype=np.int64)"]
    return []


def impl_reproducer(case: Case, import_lines: list[str], call_lines: list[str],
                    op: str = "softmax") -> str:
    """Rebuild the input and call an external implementation directly."""
    return "\n".join([*input_lines(case), *_extra_lines(case, op), *import_lines, *call_lines,
                      "print(y)"])


def reproducer(case: Case, adapter_name: str, op: str = "softmax") -> str:
    """Rebuild the input and call a registered adapter."""
    lines = input_lines(case) + _extra_lines(case, op)
    args = {"softmax_vjp": "loaded.to_native(x), loaded.to_native(g)",
            "cross_entropy": "loaded.to_native(x), loaded.to_native(labels)"}.get(
        op, "loaded.to_native(x)")
    lines += [
        "from adapters import get",
        f"loaded = get({adapter_name!r}).load()",
        f"y = loaded.to_numpy(loaded.ops[{op!r}]({args}, {case.axis}))",
        "print(y)",
    ]
    return "\n".join(lines)
