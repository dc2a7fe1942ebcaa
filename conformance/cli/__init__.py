"""The command line (``conformance COMMAND``): a parser and one module per command.

Domain code never imports this package; it raises its own errors, which the
commands turn into :class:`~conformance.cli.errors.UsageError` (exit 2, one line).
"""

from __future__ import annotations

from conformance.cli.main import main

__all__ = ["main"]
