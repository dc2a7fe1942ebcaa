"""A run's results in report.json (a compact table of every result's numbers) and their
per-element details in outputs.npz (each result's worst element and the rows it broke).

report.json's ``results`` is a table (conformance.record.table) with one row per
(adapter, case, op): status, error, counts, the error metrics, flags and seconds (three
significant digits: timings vary from run to run). What is per element, the worst
element's index and values and the indices of non-finite or all-zero rows, goes to
outputs.npz under ``DETAILS`` (JSON bytes, read without pickle), keyed
``adapter|case|op``. ``run --resume`` reads both back into the same Results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from conformance.measure.records import Result, result_from_json, to_jsonable
from conformance.record.columns import (
    RESULT_BOOLEANS,
    RESULT_CATEGORICAL,
    RESULT_COLUMNS,
    RESULT_DEFAULTS,
)
from conformance.record.table import decode_table, encode_table

__all__ = [
    "COLUMNS",
    "DETAILS",
    "DETAIL_FIELDS",
    "decode_details",
    "decode_results",
    "encode_details",
    "result_records",
    "results_from",
    "results_table",
]

COLUMNS = RESULT_COLUMNS
DETAIL_FIELDS = ("worst", "nonfinite_rows", "zero_rows")
DETAILS = "__details__"  # the key of outputs.npz holding the per-element details


def _key(r: Mapping[str, Any]) -> str:
    return f"{r['adapter']}|{r['case']}|{r['op']}"


def _seconds(value: Any) -> Any:
    return float(f"{value:.3g}") if isinstance(value, float) else value


def result_records(results: Iterable[Result]) -> list[dict[str, Any]]:
    """Each result as JSON values, seconds to three significant digits."""
    out = []
    for r in results:
        rec = to_jsonable(r)
        rec["seconds"] = _seconds(rec.get("seconds"))
        out.append(rec)
    return out


_METRICS = ("row_sum_error", "max_ulp_error", "max_cond_error", "max_cond_error_normal",
            "row_ratio_spread")
SIGNIFICANT = 4  # digits the table keeps of an error metric (the renderers print 3)


def _compact(rec: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(rec)
    for f in _METRICS:
        v = out.get(f)
        if isinstance(v, float) and math.isfinite(v):
            out[f] = float(f"{v:.{SIGNIFICANT}g}")
    if out.get("max_cond_error") is not None and \
            out.get("max_cond_error_normal") == out["max_cond_error"]:
        out["max_cond_error_normal"] = None  # the same: decode_results restores it
    seconds = out.pop("seconds", None)
    out["microseconds"] = round(seconds * 1e6) if isinstance(seconds, (int, float)) else None
    return out


def results_table(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """report.json's ``results``: the records' numbers as a compact table, the error
    metrics to SIGNIFICANT digits, max_cond_error_normal left out where it equals
    max_cond_error (the metrics make both None or neither), the time in whole
    microseconds."""
    return encode_table((_compact(r) for r in records), RESULT_COLUMNS,
                        categorical=RESULT_CATEGORICAL, booleans=RESULT_BOOLEANS,
                        defaults=RESULT_DEFAULTS)


def decode_results(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a ``results`` table, each with every column."""
    records = decode_table(table)
    for rec in records:
        if rec.get("max_cond_error_normal") is None and rec.get("max_cond_error") is not None:
            rec["max_cond_error_normal"] = rec["max_cond_error"]
        us = rec.pop("microseconds", None)
        rec["seconds"] = us / 1e6 if isinstance(us, (int, float)) else None
    return records


def encode_details(records: Iterable[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """outputs.npz's entry holding the per-element details of the records that have any."""
    details = {_key(r): [r.get(f) for f in DETAIL_FIELDS] for r in records
               if r.get("worst") or r.get("nonfinite_rows") or r.get("zero_rows")}
    text = json.dumps(details, separators=(",", ":"), allow_nan=False)
    return {DETAILS: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}


def decode_details(arrays: Mapping[str, np.ndarray], source: object = "outputs.npz"
                   ) -> dict[str, dict[str, Any]]:
    """``adapter|case|op`` -> {worst, nonfinite_rows, zero_rows} from outputs.npz (BadFile
    naming ``source`` when they are not)."""
    from conformance.record.files import BadFile

    raw = arrays.get(DETAILS)
    if raw is None:
        return {}
    try:
        data = json.loads(bytes(np.asarray(raw, dtype=np.uint8)).decode("utf-8"))
        if not isinstance(data, dict) or not all(
                isinstance(v, list) and len(v) == len(DETAIL_FIELDS) for v in data.values()):
            raise ValueError(f"expected an object of key -> [{', '.join(DETAIL_FIELDS)}]")
    except (ValueError, RecursionError) as exc:
        raise BadFile(f"{source}: its {DETAILS} entry is not the results' details "
                      f"({str(exc)[:120]}); expected the outputs.npz conformance run wrote "
                      "beside report.json") from None
    return {k: dict(zip(DETAIL_FIELDS, v, strict=True)) for k, v in data.items()}


def results_from(table: Mapping[str, Any], details: Mapping[str, Mapping[str, Any]]
                 ) -> list[Result]:
    """The Results of a report's table and its details (what ``run --resume`` goes on from)."""
    out = []
    for rec in decode_results(table):
        rec = {**rec, **details.get(_key(rec), {})}
        rec["warnings"] = rec.get("warnings") or []
        rec["stdout"] = rec.get("stdout") or ""
        rec["nonfinite_rows"] = rec.get("nonfinite_rows") or []
        rec["zero_rows"] = rec.get("zero_rows") or []
        out.append(result_from_json(rec))
    return out


def rename(records: Sequence[Mapping[str, Any]], names: Mapping[str, str]
           ) -> list[dict[str, Any]]:
    """The records with their adapters renamed (merge's columns adapter@label)."""
    return [{**r, "adapter": names.get(r["adapter"], r["adapter"])} for r in records]
