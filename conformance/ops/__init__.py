"""The ops, one record each (conformance.ops.base explains how to add one).

``OPS`` maps each op's name to its record, in the order reports list them;
``OP_NAMES`` is that order. Nothing outside a record branches on an op's name:
look the record up with ``get_op``.
"""

from __future__ import annotations

from types import MappingProxyType

from conformance.ops.base import OpCase, OpInfo, Reference
from conformance.ops.cross_entropy import CROSS_ENTROPY
from conformance.ops.log_softmax import LOG_SOFTMAX
from conformance.ops.softmax import SOFTMAX
from conformance.ops.softmax_vjp import SOFTMAX_VJP

__all__ = ["OPS", "OP_NAMES", "OpCase", "OpInfo", "Reference", "get_op"]

OPS = MappingProxyType({op.name: op for op in (SOFTMAX, LOG_SOFTMAX, SOFTMAX_VJP, CROSS_ENTROPY)})
OP_NAMES: tuple[str, ...] = tuple(OPS)


def get_op(name: str) -> OpInfo:
    """The record of the op called ``name``; ValueError naming the known ones."""
    try:
        return OPS[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; choose from {', '.join(OP_NAMES)}") from None
