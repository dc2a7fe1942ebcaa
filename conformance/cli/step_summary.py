"""GitHub's job summary: ``run`` and ``check`` append their Markdown verdict to the file
$GITHUB_STEP_SUMMARY names, when it is set."""

from __future__ import annotations

import os
import sys

__all__ = ["append_step_summary"]


def append_step_summary(markdown: str) -> bool:
    """Append ``markdown`` to $GITHUB_STEP_SUMMARY; False (and one line on stderr) when it
    cannot be written, False silently when the variable is not set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(markdown.rstrip("\n") + "\n\n")
    except OSError as exc:
        print(f"GITHUB_STEP_SUMMARY={target}: cannot append the verdict: {exc}",
              file=sys.stderr)
        return False
    return True
