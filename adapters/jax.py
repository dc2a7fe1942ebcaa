"""JAX: the NumPy <-> array converters (``--impl ... --framework jax`` uses them).

JAX is imported inside the functions; without it, what needs it is unavailable with the
extra to install.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.base import import_module

__all__ = ["converters"]


def converters() -> tuple[Any, Any]:
    """(to_native, to_numpy): NumPy arrays to JAX arrays on the default device, and back."""
    jnp = import_module("jax.numpy")
    return jnp.asarray, np.asarray
