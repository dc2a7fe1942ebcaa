"""The reference oracle: correctly rounded softmax, fast, checked against mpmath, cached."""

from __future__ import annotations

from conformance.oracle.cache import ORACLE_VERSION, Oracle
from conformance.oracle.mp import reference_softmax_mpmath
from conformance.oracle.reference import reference_softmax
from conformance.oracle.rounding import round_to_format

__all__ = [
    "ORACLE_VERSION",
    "Oracle",
    "reference_softmax",
    "reference_softmax_mpmath",
    "round_to_format",
]
