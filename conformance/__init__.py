"""The engine: oracle, metrics, runner, report model and command line.

The only package that imports the other three (cases, adapters, reports).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
