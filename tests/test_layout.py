"""The package's layout shows the path a document takes: no import cycles between modules or between the
stage packages (imports inside functions count: they only hide a cycle), and no module over 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "builder"
MAX_LINES = 400


def _module(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """builder modules imported anywhere in the file, also under TYPE_CHECKING and inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        found |= {n for n in names if n in modules}
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        # a package's own __init__ is no dependency of its modules: importing builder.x.y runs it first
        graph[name] = {m for m in _imports(path, modules) if m != name and not name.startswith(m + ".")}
        graph[name] -= {m for m in graph[name] if files[m].name == "__init__.py" and m.count(".") == 0}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def test_no_import_cycle_between_modules():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_no_import_cycle_between_stage_packages():
    packages: dict[str, set[str]] = {}
    for module, deps in _graph().items():
        packages.setdefault(_package(module), set()).update(_package(d) for d in deps if _package(d) != _package(module))
    cycle = _cycle(packages)
    assert cycle is None, "packages import each other: " + " → ".join(cycle)


def test_no_module_is_over_400_lines():
    long = {p.relative_to(REPO).as_posix(): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_tests_mirror_the_packages():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    folders = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert folders == packages, f"tests/ folders {sorted(folders)} vs builder/ packages {sorted(packages)}"
