"""The reference oracle: correctly rounded softmax, log_softmax, softmax VJP and
cross-entropy, fast, checked against mpmath, cached."""

from __future__ import annotations

from conformance.oracle.cache import ORACLE_VERSION, Oracle
from conformance.oracle.log_softmax import (
    reference_cross_entropy,
    reference_cross_entropy_mpmath,
    reference_log_softmax,
    reference_log_softmax_mpmath,
)
from conformance.oracle.mp import reference_softmax_mpmath
from conformance.oracle.reference import reference_softmax
from conformance.oracle.rounding import round_to_format
from conformance.oracle.vjp import (
    reference_softmax_vjp,
    reference_softmax_vjp_mpmath,
    softmax_vjp_scale,
)

__all__ = [
    "ORACLE_VERSION",
    "Oracle",
    "reference_cross_entropy",
    "reference_cross_entropy_mpmath",
    "reference_log_softmax",
    "reference_log_softmax_mpmath",
    "reference_softmax",
    "reference_softmax_mpmath",
    "reference_softmax_vjp",
    "reference_softmax_vjp_mpmath",
    "round_to_format",
    "softmax_vjp_scale",
]
