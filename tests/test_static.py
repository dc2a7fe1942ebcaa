"""ruff and mypy stay clean: the README's test command runs them, and so does CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["conformance", "adapters", "cases", "reports"]


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True,
                          text=True)


def test_ruff_is_clean():
    out = _run("ruff", "check", *SOURCES, "tests")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_is_clean():
    out = _run("mypy", *SOURCES)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
