"""The one error the command line turns into exit 2 and a one-line reason."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A bad name, value or file on the command line: exit 2 with a one-line reason."""
