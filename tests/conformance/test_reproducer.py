"""A reproducer rebuilds exactly what the harness fed (input, cotangent, labels) and calls
the adapter: run as written, it gives the harness's own output, for every op, for inputs
written inline and for inputs rebuilt from the catalogue."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from adapters import get
from cases import catalog
from conformance.contract.reproducer import MAX_LITERAL, reproducer
from conformance.execute.executors import call_adapter
from conformance.ops import OP_NAMES as OPS
from conformance.ops import get_op


def _cases():
    cases = [c for c in catalog(dtypes=("float32",)) if c.x.dtype.kind == "f"]
    small = next(c for c in cases if c.x.ndim == 2 and c.x.size <= MAX_LITERAL)
    large = next(c for c in cases if c.x.ndim == 2 and c.x.size > MAX_LITERAL)
    return {"inline": small, "from the catalogue": large}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("kind", ["inline", "from the catalogue"])
def test_reproducer_runs_and_gives_the_harness_output(op, kind):
    case = _cases()[kind]
    code = reproducer(case, "numpy.reference", op)
    assert len(code.splitlines()) < 40 or kind == "inline", "large inputs are not inlined"
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<reproducer>", "exec"), namespace)  # noqa: S102
    want = call_adapter(get("numpy.reference").load(), get_op(op).prepare(case)).y
    np.testing.assert_array_equal(namespace["y"], want)
