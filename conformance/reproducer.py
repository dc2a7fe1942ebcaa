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
        f"x = next(c for c in {source} if c.id == {case.id!r}).input_copy()",
    ]


def input_lines(case: Case) -> list[str]:
    """Lines that rebuild the case's input as ``x``."""
    small = case.x.size <= MAX_LITERAL and case.x.flags.c_contiguous
    small = small or (case.origin == "generated" and "generated_cases(" not in case.note)
    return ["import numpy as np", *(_literal(case) if small else _from_catalogue(case))]


def impl_reproducer(case: Case, import_lines: list[str], call_lines: list[str]) -> str:
    """Rebuild the input and call an external implementation directly."""
    return "\n".join([*input_lines(case), *import_lines, *call_lines, "print(y)"])


def reproducer(case: Case, adapter_name: str, op: str = "softmax") -> str:
    """Rebuild the input and call a registered adapter."""
    lines = input_lines(case)
    lines += [
        "from adapters import get",
        f"loaded = get({adapter_name!r}).load()",
        f"y = loaded.to_numpy(loaded.ops[{op!r}](loaded.to_native(x), {case.axis}))",
        "print(y)",
    ]
    return "\n".join(lines)
