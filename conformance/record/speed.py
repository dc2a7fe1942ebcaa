"""conformance bench's results: the bench JSON, and the speed section of a report.

The bench JSON (schema softmax-conformance/bench/1) holds every measurement; a report
takes it as ``speed`` (``conformance run --bench``, or ``conformance report FILE --bench
bench.json``) with, per adapter and op, the geometric mean of its ratios to np.copyto
over the shapes it ran: the summary's speed column.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.execute.bench import Measurement, Shape
from conformance.measure.records import to_jsonable
from conformance.record.environment import environment

__all__ = ["BENCH_SCHEMA", "bench_json", "with_speed"]

BENCH_SCHEMA = "softmax-conformance/bench/1"


def bench_json(measurements: Sequence[Measurement], shapes: Sequence[Shape],
               copy: Mapping[str, float], config: Mapping[str, Any], wall: float,
               backends: Sequence[str] = ()) -> dict[str, Any]:
    """What ``conformance bench --out`` writes."""
    return to_jsonable({
        "schema": BENCH_SCHEMA,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "environment": environment(backends),
        "config": dict(config),
        "shapes": [{"label": s.label, "shape": list(s.shape), "dtype": s.dtype,
                    "axis": s.axis, "bytes": s.nbytes, "copy_seconds": copy.get(s.label)}
                   for s in shapes if s.label in copy],
        "measurements": [vars(m) for m in measurements],
        "wall": wall,
    })


def _geomean(values: list[float]) -> float | None:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def with_speed(report: Mapping[str, Any], bench: Mapping[str, Any]) -> dict[str, Any]:
    """The report with the bench's results as its ``speed`` section."""
    ratios: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for m in bench["measurements"]:
        if m["status"] == "ok" and isinstance(m.get("ratio"), (int, float)):
            ratios[m["adapter"]][m["op"]].append(float(m["ratio"]))
    speed = {
        "shapes": bench["shapes"],
        "rows": bench["measurements"],
        "by_adapter": {a: {op: _geomean(v) for op, v in by_op.items()}
                       for a, by_op in sorted(ratios.items())},
        "budget": bench.get("config", {}).get("budget"),
        "environment": bench.get("environment", {}),
        "generated": bench.get("generated"),
    }
    return {**report, "speed": to_jsonable(speed)}
