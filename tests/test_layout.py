"""The package's rooms and the arrows between them (design.md, "Inside generator/").

cli → features (rulebook, reports, packets) → documents → tickets (the work procedure) and
warranty (the law's periods) → render / records → the base (errors, workspace).
An import may only point down; a module never imports a room above its own, and no two rooms
import each other. Imports inside functions count too: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__import__("generator").__file__).parent

# Higher may import lower. Rooms on one level never import each other.
LEVELS = {
    "__main__": 7,
    "cli": 6,
    "rulebook": 5, "reports": 5, "packets": 5, "batch": 5,
    # the checkup of machine and workspace: looks at documents, render and records
    "doctor": 5,
    "documents": 4,
    "tickets": 3, "warranty": 3,
    "render": 2, "records": 2,
    "workspace": 1,
    # the configuration's schema: what the workspace loads; checks prefixes with the name rules
    "config": 0.75,
    # name rules and safe writing: below the workspace, which checks its prefixes with them
    "names": 0.5, "files": 0.5,
    "errors": 0, "__init__": 0,
}


def room(module: str) -> str:
    """`generator.records.index` → records; `generator.errors` → errors."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    """Every generator module `path` imports, at any depth of the file."""
    found = set()
    tree = ast.parse(path.read_text("utf-8"))
    for block in ast.walk(tree):  # `if TYPE_CHECKING:` imports are for type hints only
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "generator":
                found |= {f"generator.{alias.name}" for alias in node.names
                          if (PACKAGE / alias.name).is_dir()
                          or (PACKAGE / f"{alias.name}.py").is_file()}
            elif node.module.startswith("generator."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("generator.")}
    return found


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if "migrations" in relative.parts:
            continue  # Alembic's scripts are loaded by Alembic, not imported by us
        yield "generator." + ".".join(relative.parts), path


def test_every_room_has_a_level():
    rooms = {room(name) for name, _ in modules()}
    assert rooms <= set(LEVELS), f"give these a level in LEVELS: {rooms - set(LEVELS)}"


def test_imports_point_down():
    upward = []
    for name, path in modules():
        here = room(name)
        for target in imports(path):
            there = room(target)
            if there == here or there == "__init__":
                continue
            if LEVELS[there] >= LEVELS[here]:
                upward.append(f"{name} imports {target} ({here} {LEVELS[here]} → "
                              f"{there} {LEVELS[there]})")
    assert not upward, "\n".join(upward)


def test_no_import_circles_between_modules():
    graph = {name: {t for t in imports(path) if t != name} for name, path in modules()}
    known = set(graph)
    # `from generator.cli import common` names a module; `from generator.x import y` may name
    # a function: keep edges to modules only
    graph = {name: {t for t in targets if t in known} for name, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package's __init__ that gathers its submodules (cli) is not a circle of its own
    cycles = [c for c in cycles if not c.startswith("generator.cli →")]
    assert not cycles, "\n".join(cycles)
