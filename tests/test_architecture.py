"""The map of the code, kept true: every import in src/ (at module level or inside a function,
type-only ones included) goes to a module of the same or a lower layer of docs/architecture.md,
and no import chain comes back to where it started."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "kerman_warning"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            named = [f"{stem}.{alias.name}" for alias in node.names]
            # `from . import x` imports the module x; the package itself is its parent
            targets = named if any(m in known for m in named) else [stem]
        for target in targets:
            while target and target not in known:  # `from . import x` may name a module
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith(PACKAGE):
                out.add(target)
    return out


def layers() -> list[list[str]]:
    """The layers listed in docs/architecture.md, lowest first (module names, with * globs)."""
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    rows = [line.split(".", 1)[1] for line in block.splitlines() if re.match(r"^\d+\.", line)]
    return [[m.strip(" `") for m in row.split(",") if m.strip()] for row in rows]


def layer_of(module: str, order: list[list[str]]) -> int:
    short = module.removeprefix(PACKAGE).lstrip(".") or "kerman_warning"
    for i, row in enumerate(order):
        for pattern in row:
            if re.fullmatch(pattern.replace(".", r"\.").replace("*", r"[a-z_]+"), short):
                return i
    raise AssertionError(f"{module} is in no layer of docs/architecture.md")


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_every_import_goes_to_the_same_or_a_lower_layer() -> None:
    order = layers()
    against = [
        f"{a} (layer {layer_of(a, order)}) imports {b} (layer {layer_of(b, order)})"
        for a, targets in graph().items()
        for b in sorted(targets)
        if layer_of(b, order) > layer_of(a, order)
    ]
    assert not against, "\n".join(against)


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_nothing_under_validate_imports_build_and_spec_imports_nothing() -> None:
    edges = graph()
    for name, targets in edges.items():
        if name.startswith(f"{PACKAGE}.validate"):
            assert f"{PACKAGE}.build" not in targets, name
    assert edges[f"{PACKAGE}.validate.spec"] == set()


def test_the_checker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from ..build import build\n    from . import api\n")
    known = {"kerman_warning.build", "kerman_warning.validate.api", "kerman_warning.validate"}
    found = imports("kerman_warning.validate.engine", path, known)
    assert found == {"kerman_warning.build", "kerman_warning.validate.api"}
