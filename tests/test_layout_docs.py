"""The Layout table of docs/contributing.md matches the tree: every package folder and top-level
folder has a row, and every path a row lists exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGE = REPO_ROOT / "docs" / "contributing.md"
PACKAGES = ("src/imgfan", "src/imgfan_core")
TOP_LEVEL_FOLDERS = ("functions", "infra", "statemachine", "benchmarks", "tests", "docs", "examples", "scripts")


def layout_section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("\n## Layout\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def listed_paths() -> list[str]:
    """The backticked paths in the first column of the table's rows."""
    rows = [line for line in layout_section().splitlines() if line.startswith("| `")]
    return [path for row in rows for path in re.findall(r"`([^`]+)`", row.split("|")[1])]


def required_folders() -> set[str]:
    packages = {f"{package}/{folder.name}/" for package in PACKAGES for folder in (REPO_ROOT / package).iterdir()
                if folder.is_dir() and not folder.name.startswith(("_", "."))}
    return packages | {f"{folder}/" for folder in TOP_LEVEL_FOLDERS}


def test_the_table_has_rows():
    # The checks below pass vacuously on an empty table.
    assert len(listed_paths()) >= len(TOP_LEVEL_FOLDERS)


def test_every_package_folder_and_top_level_folder_has_a_row():
    assert sorted(required_folders() - set(listed_paths())) == []


def test_every_listed_path_exists():
    assert [path for path in listed_paths() if not (REPO_ROOT / path).exists()] == []
