"""Data flows one way: cases, adapters and reports never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cases", "adapters", "reports")


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_none_of_the_others(package):
    forbidden = (set(PACKAGES) - {package}) | {"conformance"}
    assert not (_imports(package) & forbidden)


def test_backends_are_not_imported_at_start_up():
    import subprocess
    import sys

    code = (
        "import sys, adapters, cases, conformance.cli; adapters.all_adapters(); "
        "print(sorted(m for m in ('torch','tensorflow','scipy','sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
