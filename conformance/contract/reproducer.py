"""A few lines of Python that rebuild a case's input and call the implementation."""

from __future__ import annotations

import re

import numpy as np

from cases.model import Case
from conformance.ops import OpInfo, get_op

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


def _array_lines(name: str, a: np.ndarray) -> list[str]:
    """``name = np.array(...)`` rebuilding ``a`` exactly (floats at their shortest unique
    digits, bfloat16 through ml_dtypes)."""
    if a.dtype.kind in "iu":
        body = np.array2string(a, separator=", ", threshold=a.size + 1)
        return [f"{name} = np.array({body}, dtype=np.{a.dtype.name})"]
    body = np.array2string(a.astype(np.float64), separator=", ", floatmode="unique",
                           threshold=a.size + 1, max_line_width=88)
    dtype = "ml_dtypes.bfloat16" if a.dtype.name == "bfloat16" else f"np.{a.dtype.name}"
    return [f"{name} = np.array({body}, dtype={dtype})"]


def _extra_lines(case: Case, op: OpInfo) -> list[str]:
    """The arrays the op derives from the case (a cotangent, labels) as the harness fed them:
    inline beside an inline input, else rebuilt from the case by the function that built
    them (conformance.ops.inputs)."""
    lines: list[str] = []
    names, extras = op.args[1:], op.prepare(case).extras
    for name, fn, a in zip(names, op.derived_by, extras, strict=True):
        if _inline(case):
            lines += _array_lines(name, a)
        else:
            lines += [f"from conformance.ops.inputs import {fn}", f"{name} = {fn}(case)"]
    return lines


def impl_reproducer(case: Case, import_lines: list[str], call_lines: list[str],
                    op: str = "softmax") -> str:
    """Rebuild the input and call an external implementation directly."""
    return "\n".join([*input_lines(case), *_extra_lines(case, get_op(op)), *import_lines,
                      *call_lines, "print(y)"])


def reproducer(case: Case, adapter_name: str, op: str = "softmax") -> str:
    """Rebuild the input and call a registered adapter."""
    record = get_op(op)
    lines = input_lines(case) + _extra_lines(case, record)
    args = ", ".join(f"loaded.to_native({a})" for a in record.args)
    lines += [
        "from adapters import load",
        f"loaded = load({adapter_name!r})",
        f"y = loaded.to_numpy(loaded.ops[{op!r}]({args}, {case.axis}))",
        "print(y)",
    ]
    return "\n".join(lines)
