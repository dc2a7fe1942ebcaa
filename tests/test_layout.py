"""The layout the design promises, enforced: data flows one way, no import cycles, small
modules, no branching on an op's name outside its record."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cases", "adapters", "reports")
# conformance's roles, in the order data flows through them: a module may import its own
# role and the roles before it, never one after it (cli comes last and nothing imports it).
ROLES = ("tomlfile", "oracle", "measure", "ops", "execute", "contract", "record", "cli",
         "testing", "pytest_plugin", "__main__")
MAX_LINES = 600
MAX_TOP_LEVEL = 10  # modules directly in conformance/


def _modules() -> Iterator[tuple[str, Path]]:
    for package in ("conformance", *PACKAGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            yield ".".join(parts), path


MODULES = dict(_modules())


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports, at any level (a lazy import is a dependency)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names]
            # ``from package import module`` depends on the module (the package's own
            # __init__ runs first anyway); ``from module import name`` on the module
            targets = subs if all(t in MODULES for t in subs) else [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _role(module: str) -> str:
    return module.split(".")[1] if module.startswith("conformance.") else module.split(".")[0]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_none_of_the_others(package):
    forbidden = (set(PACKAGES) - {package}) | {"conformance"}
    for name, deps in GRAPH.items():
        if name.split(".")[0] == package:
            bad = {d for d in deps if d.split(".")[0] in forbidden}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_conformance_roles_import_only_earlier_roles():
    for name, deps in GRAPH.items():
        if not name.startswith("conformance.") or name == "conformance":
            continue
        mine = ROLES.index(_role(name))
        later = {d for d in deps if d.startswith("conformance.") and d != "conformance"
                 and ROLES.index(_role(d)) > mine}
        assert not later, f"{name} ({ROLES[mine]}) imports {sorted(later)}"


def test_every_conformance_module_has_a_role():
    unknown = {_role(n) for n in MODULES if n.startswith("conformance.")} - set(ROLES)
    assert not unknown, f"modules outside the roles {ROLES}: {sorted(unknown)}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (its nodes, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_modules_are_small():
    big = {name: n for name, path in MODULES.items()
           if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_conformance_keeps_its_top_level_small():
    top = sorted(p.name for p in (ROOT / "conformance").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_op_names_are_compared_only_in_a_handful_of_places():
    from conformance.ops import OP_NAMES

    names = "|".join(map(re.escape, OP_NAMES))
    compare = re.compile(rf"""(==|!=)\s*["']({names})["']|["']({names})["']\s*(==|!=)""")
    places = [f"{name}:{i}" for name, path in MODULES.items()
              if not name.startswith("conformance.ops")
              for i, line in enumerate(path.read_text().splitlines(), 1) if compare.search(line)]
    assert 0 < len(places) <= 5, places


def test_backends_are_not_imported_at_start_up():
    import subprocess
    import sys

    code = (
        "import sys, adapters, cases, conformance.cli; adapters.all_adapters(); "
        "print(sorted(m for m in ('torch','tensorflow','scipy','sklearn','jax','onnxruntime',"
        "'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
