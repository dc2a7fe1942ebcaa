"""The machine and the versions a report was made with."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from collections.abc import Iterable

__all__ = ["environment"]

# hypothesis: another version may draw other generated cases for the same seed
ALWAYS = ("softmax-conformance", "numpy", "ml_dtypes", "mpmath", "gmpy2", "hypothesis")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(backends: Iterable[str] = ()) -> dict:
    names = dict.fromkeys([*ALWAYS, *backends])
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "versions": {name: _version(name) for name in names},
    }
