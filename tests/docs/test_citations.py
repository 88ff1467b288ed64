"""The code's pointers into the documentation lead somewhere.

Code cites the contracts as "docs/design.md §N" and other pages by path, optionally with a quoted
heading ("docs/how-it-works.md, \"Long throttles and outages\""). Each cited page must exist, each
cited heading must be on it, and no pointer may name a document the repository does not have
(the old "DESIGN §") or a section of the README, which holds no sections any more.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doc_pages import DOCS, REPO_ROOT

FOLDERS = ("src", "infra", "functions", "tests", "benchmarks", "scripts")
THIS_FILE = Path(__file__).resolve()
PAGE = re.compile(r"docs/((?:[\w-]+/)*[\w-]+\.md)")
# A page, then (after a comma, spaces or a comment's line break) a quoted heading.
PAGE_AND_HEADING = re.compile(r"docs/((?:[\w-]+/)*[\w-]+\.md),?[\s#]*\"([^\"]+)\"")
DESIGN_SECTION = re.compile(r"docs/design\.md (§\d+(?: and §\d+)*)")
# Spelled in pieces, so that this file does not match itself.
OLD_DESIGN = re.compile("DESIGN" + r"\s*§")
README_SECTION = re.compile("READ" + r"ME(?:\.md)?(?:,\s*(?:section\s*)?|\s+)[\"'(]|the " + "READ" + r"ME\b")


def sources() -> list[Path]:
    return [path for folder in FOLDERS for path in sorted((REPO_ROOT / folder).rglob("*.py"))
            if path.resolve() != THIS_FILE]


def headings(page: Path) -> set[str]:
    return {" ".join(line.lstrip("#").replace("`", "").split())
            for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


SOURCES = sources()
TEXTS = {path: path.read_text(encoding="utf-8") for path in SOURCES}


def test_code_cites_the_documentation():
    # The checks below pass vacuously if nothing cites anything.
    cited = sum(len(PAGE.findall(text)) for text in TEXTS.values())
    assert cited >= 25


@pytest.mark.parametrize("pattern", [OLD_DESIGN, README_SECTION], ids=["DESIGN §", "README section"])
def test_no_pointer_to_a_document_or_section_that_is_gone(pattern):
    found = [f"{path.relative_to(REPO_ROOT)}:{text[:match.start()].count(chr(10)) + 1}"
             for path, text in TEXTS.items() for match in pattern.finditer(text)]
    assert found == []


def test_every_cited_page_exists():
    missing = sorted({f"{path.relative_to(REPO_ROOT)}: docs/{page}" for path, text in TEXTS.items()
                      for page in PAGE.findall(text) if not (DOCS / page).is_file()})
    assert missing == []


def test_every_cited_heading_is_on_its_page():
    missing = []
    for path, text in TEXTS.items():
        for page, heading in PAGE_AND_HEADING.findall(text):
            heading = " ".join(heading.replace("#", " ").split())
            if (DOCS / page).is_file() and heading not in headings(DOCS / page):
                missing.append(f"{path.relative_to(REPO_ROOT)}: docs/{page} \"{heading}\"")
    assert missing == []


def test_every_cited_design_section_exists():
    sections = {int(number) for number in re.findall(r"^## (\d+)\. ", (DOCS / "design.md").read_text(encoding="utf-8"),
                                                      re.MULTILINE)}
    assert sections == set(range(1, 9))
    cited = {int(number) for text in TEXTS.values() for group in DESIGN_SECTION.findall(text)
             for number in re.findall(r"§(\d+)", group)}
    assert cited and cited <= sections, cited - sections
