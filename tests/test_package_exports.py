"""A package's ``__all__`` names what other packages import from it, and only what exists."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ("src", "tests", "benchmarks", "scripts", "functions", "infra")
PACKAGES = ("imgfan.local", "imgfan.local.moto")


def imported_names(tree: ast.AST, package: str) -> set[str]:
    """The submodules and names of ``package`` that the module ``tree`` imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            names |= {alias.name for alias in node.names}
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        names |= {module[len(package) + 1:].split(".")[0] for module in modules if module.startswith(package + ".")}
    return names


def importers_outside(package: str) -> dict[str, list[str]]:
    """Each name imported from ``package`` by a file outside it, with those files."""
    folder = REPO_ROOT / "src" / Path(*package.split("."))
    found: dict[str, list[str]] = {}
    for path in sorted(p for top in SEARCHED for p in (REPO_ROOT / top).rglob("*.py")):
        if folder not in path.parents:
            for name in imported_names(ast.parse(path.read_text(encoding="utf-8")), package):
                found.setdefault(name, []).append(str(path.relative_to(REPO_ROOT)))
    return found


def test_imports_are_found():
    # The check below passes vacuously if the scan finds nothing.
    assert {"cloud", "faults", "moto"} <= importers_outside("imgfan.local").keys()
    assert {"speedups", "server", "assert_hooks_present"} <= importers_outside("imgfan.local.moto").keys()


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_every_name_other_packages_import(package):
    exported = set(importlib.import_module(package).__all__)
    missing = {name: files for name, files in importers_outside(package).items() if name not in exported}
    assert missing == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_only_what_the_package_has(package):
    module = importlib.import_module(package)
    submodules = {name for _, name, _ in pkgutil.iter_modules(module.__path__)}
    assert [name for name in module.__all__ if name not in submodules and not hasattr(module, name)] == []
