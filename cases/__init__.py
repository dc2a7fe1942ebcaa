"""What to feed: the edge-case catalogue, the generated corpus and the inputs the threads
printed."""

from __future__ import annotations

from cases.catalog import catalog
from cases.dtypes import FLOAT_DTYPES, Format, dtype_name, float_format, np_dtype, result_dtype
from cases.families import FAMILIES, GENERATED_FAMILIES
from cases.generated import DEFAULT_EXAMPLES, generated_cases
from cases.golden import golden_cases
from cases.model import ORIGINS, SPECIAL_TAGS, Case, Golden

__all__ = [
    "DEFAULT_EXAMPLES",
    "FAMILIES",
    "FLOAT_DTYPES",
    "ORIGINS",
    "SPECIAL_TAGS",
    "Case",
    "Format",
    "GENERATED_FAMILIES",
    "Golden",
    "catalog",
    "dtype_name",
    "float_format",
    "generated_cases",
    "golden_cases",
    "np_dtype",
    "result_dtype",
]
