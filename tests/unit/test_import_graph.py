"""The layering, checked on the source (issue 13 point 2): no import cycles between cbportal's
modules, and no import across a forbidden edge (services know nothing of Reflex, the pages
or the API; the tables know nothing of the services; pages bind to state, not tables)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cbportal"

FORBIDDEN = [  # (importer prefix, imported prefix, why)
    ("cbportal.services", "cbportal.state", "services know nothing of page state"),
    ("cbportal.services", "cbportal.pages", "services know nothing of pages"),
    ("cbportal.services", "cbportal.components", "services know nothing of pages"),
    ("cbportal.services", "cbportal.api", "services know nothing of the REST API"),
    ("cbportal.services", "reflex", "services know nothing of Reflex"),
    ("cbportal.models", "cbportal.services", "tables know nothing of the rules"),
    ("cbportal.pages", "cbportal.models", "pages bind to state classes, not tables"),
    ("cbportal.components", "cbportal.models", "components bind to state classes, not tables"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if ".web" not in p.parts}


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module imported anywhere in the file (function-level imports included: they
    hide a cycle, they do not remove it), resolved to the modules of the package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in known)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports_of(path, known) if m in known and m != name}
            for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_package_has_no_import_cycles():
    assert cycles(graph()) == []


def test_no_module_imports_across_a_forbidden_edge():
    known = modules()
    broken = sorted(f"{name} imports {target}: {why}"
                    for name, path in known.items()
                    for target in imports_of(path, known)
                    for importer, imported, why in FORBIDDEN
                    if under(name, importer) and under(target, imported))
    assert broken == []


def test_the_checker_sees_a_cycle_and_a_forbidden_edge():
    """The checks above can fail: a made-up cycle is found, and a real service module is
    seen importing what it imports."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    known = modules()
    refunds = next(p for name, p in known.items() if name.endswith(".refunds"))
    assert "cbportal.models" in imports_of(refunds, known)
