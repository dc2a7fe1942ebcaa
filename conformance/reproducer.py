"""A few lines of Python that rebuild a case's input and call the implementation."""

from __future__ import annotations

import numpy as np

from cases.model import Case

__all__ = ["reproducer"]

MAX_LITERAL = 64  # elements; a larger input is rebuilt from the catalogue by id


def _literal(case: Case) -> list[str]:
    values = case.x.astype(np.float64) if case.x.dtype.kind != "i" else case.x
    body = (
        np.array2string(
            np.asarray(values),
            separator=", ",
            threshold=MAX_LITERAL + 1,
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
    return [
        f"from cases import {source.split('(')[0]}",
        f"x = next(c for c in {source} if c.id == {case.id!r}).input_copy()",
    ]


def reproducer(case: Case, adapter_name: str, op: str = "softmax") -> str:
    lines = ["import numpy as np"]
    small = case.x.size <= MAX_LITERAL and case.x.flags.c_contiguous
    lines += _literal(case) if small else _from_catalogue(case)
    lines += [
        "from adapters import get",
        f"loaded = get({adapter_name!r}).load()",
        f"y = loaded.to_numpy(loaded.ops[{op!r}](loaded.to_native(x), {case.axis}))",
        "print(y)",
    ]
    return "\n".join(lines)
