"""The commands the documentation shows, read out of its Markdown the way a reader copies them.

A command is a line of a fenced ``sh`` block (comments and blank lines aside, a trailing ``\\``
joining the next line), or a ``$ `` line of a fenced ``console`` block, whose following lines
(up to the next ``$ ``) are the output it shows. In that output ``…`` stands for anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
SHELL_LANGUAGES = {"sh", "bash", "shell"}
ELLIPSIS = "…"
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
# A comment after a command: whitespace, '#', whitespace (a '#' inside a URL or word stays).
_TRAILING_COMMENT = re.compile(r"\s+#\s.*$")


@dataclass(frozen=True)
class Block:
    page: Path
    lang: str
    line: int  # 1-based line of the opening fence
    lines: tuple[str, ...]


@dataclass
class Command:
    page: Path
    line: int
    text: str  # as the reader types it, comment included
    output: list[str] = field(default_factory=list)

    @property
    def bare(self) -> str:
        """The command without its trailing comment and surplus spaces: what identifies it."""
        return " ".join(_TRAILING_COMMENT.sub("", self.text).split())

    def where(self) -> str:
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Every documentation page, and README.md, which shows commands too."""
    return sorted(DOCS.rglob("*.md")) + [REPO_ROOT / "README.md"]


def blocks(page: Path) -> list[Block]:
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body, end = [], index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][len(indent):] if lines[end].startswith(indent) else lines[end].lstrip())
            end += 1
        found.append(Block(page, opening["lang"].lower(), index + 1, tuple(body)))
        index = end + 1
    return found


def commands(page: Path) -> list[Command]:
    found: list[Command] = []
    for block in blocks(page):
        if block.lang in SHELL_LANGUAGES:
            found.extend(_shell_commands(block))
        elif block.lang == "console":
            found.extend(_console_commands(block))
    return found


def _shell_commands(block: Block) -> list[Command]:
    found: list[Command] = []
    pending: list[str] = []
    for offset, line in enumerate(block.lines, start=1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending.append(line.rstrip())
        if line.rstrip().endswith("\\"):
            continue
        text = "\n".join(pending)
        found.append(Command(block.page, block.line + offset - len(pending) + 1, text))
        pending = []
    return found


def _console_commands(block: Block) -> list[Command]:
    found: list[Command] = []
    for offset, line in enumerate(block.lines, start=1):
        if line.startswith("$ "):
            found.append(Command(block.page, block.line + offset, line[2:].rstrip()))
        elif found and line.strip():
            found[-1].output.append(line.rstrip())
    return found


def output_pattern(shown: str) -> re.Pattern[str]:
    """A shown output line, stripped, as a pattern: ``…`` matches anything, a run of spaces any
    run of whitespace (column widths follow the longest value in a table)."""
    parts = [r"\s+".join(re.escape(word) for word in piece.split()) for piece in shown.split(ELLIPSIS)]
    return re.compile(".*".join(parts))


def missing_output(shown: list[str], printed: str) -> str | None:
    """The first shown line (bare ``…`` lines aside) that the printed output lacks in order."""
    actual = [line.rstrip() for line in printed.splitlines()]
    position = 0
    for line in shown:
        if line.strip() == ELLIPSIS:
            continue
        pattern = output_pattern(line.strip())
        while position < len(actual) and not pattern.fullmatch(actual[position].strip()):
            position += 1
        if position == len(actual):
            return line
        position += 1
    return None
