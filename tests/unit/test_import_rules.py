"""No module imports a project module inside a function (docs/ARCHITECTURE.md, « Layers and
imports »): a cycle is broken by moving the shared piece down or by an extension point, not
hidden in a function body. import-linter (pyproject.toml) checks the direction of the
imports; this checks that none escapes it that way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "shop",
    "members",
    "auth",
    "catalog",
    "orders",
    "vacations",
    "partners",
    "support",
    "demo",
)
# create_app wires the domains' blueprints when the app is built: the one allowed place.
ALLOWED = {"shop/__init__.py"}


def _function_imports(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_no_project_import_inside_a_function():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel in ALLOWED:
                continue
            offenders += _function_imports(path)
    assert offenders == []
