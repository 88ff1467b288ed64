"""House rules that a reader of the code relies on, checked so they stay true by themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# A function a reader can hold at once; the longest today is the engine's geometry plan (51).
MAX_FUNCTION_LINES = 60


# The benchmarks too: they are read to trust their numbers.
CHECKED_FOLDERS = ("src", "functions", "infra", "benchmarks")


# Written by a generator and checked against its input instead (tests/manifest/test_manifest_validator.py).
GENERATED = (REPO_ROOT / "src" / "imgfan_core" / "manifest_validator.py",)


def python_files():
    for folder in CHECKED_FOLDERS:
        yield from (path for path in sorted((REPO_ROOT / folder).rglob("*.py")) if path not in GENERATED)


def test_every_checked_folder_holds_python():
    # A renamed folder would leave the rule below checking nothing there.
    assert all(any((REPO_ROOT / folder).rglob("*.py")) for folder in CHECKED_FOLDERS)


def test_no_function_is_longer_than_a_reader_can_hold():
    too_long = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert too_long == []


@pytest.mark.parametrize("handler", sorted((REPO_ROOT / "functions").glob("*/handler.py")), ids=lambda p: p.parent.name)
def test_handlers_stay_thin(handler):
    # The logic lives in imgfan_core; a handler wires clients, reads its event and calls it.
    assert len(handler.read_text(encoding="utf-8").splitlines()) <= 80
