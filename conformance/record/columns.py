"""The columns of report.json's two tables (conformance.record.table): what a run writes
and what a reader of a report may rely on (conformance.record.consistency)."""

from __future__ import annotations

__all__ = ["RESULT_BOOLEANS", "RESULT_CATEGORICAL", "RESULT_COLUMNS", "RESULT_DEFAULTS",
           "VIOLATION_CATEGORICAL", "VIOLATION_COLUMNS"]

RESULT_COLUMNS = ("adapter", "case", "op", "status", "error", "nan_count", "inf_count",
                  "nan_on_finite_input", "row_sum_error", "max_ulp_error", "max_cond_error",
                  "sums_to_one_along", "out_of_range", "row_ratio_spread", "flushed",
                  "max_cond_error_normal", "shape_ok", "dtype_ok", "out_dtype",
                  "input_mutated", "microseconds", "warnings", "stdout")
RESULT_CATEGORICAL = ("adapter", "case", "op", "status", "error", "out_dtype", "stdout",
                      "warnings", "sums_to_one_along")
RESULT_BOOLEANS = ("nan_on_finite_input", "shape_ok", "dtype_ok", "input_mutated")
RESULT_DEFAULTS = {"warnings": [], "stdout": ""}

VIOLATION_COLUMNS = ("adapter", "op", "case", "defect", "detail", "alternative")
VIOLATION_CATEGORICAL = ("adapter", "op", "case", "defect", "alternative")
