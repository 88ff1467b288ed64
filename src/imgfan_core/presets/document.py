"""Reading a presets document, from text, a dict or a file, into a validated ``PresetsConfig``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from imgfan_core.errors import InvalidPresets
from imgfan_core.presets.model import PresetsConfig
from imgfan_core.presets.problems import format_error


def parse_presets(document: str | bytes | dict[str, Any]) -> PresetsConfig:
    """Parse and validate a presets document, raising InvalidPresets with one line per problem."""
    try:
        data = json.loads(document) if isinstance(document, (str, bytes)) else document
    except json.JSONDecodeError as exc:
        raise InvalidPresets(f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidPresets("(document): expected a JSON object with a 'presets' list")
    try:
        return PresetsConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidPresets("\n".join(format_error(e, PresetsConfig, data) for e in exc.errors())) from None


@dataclass(frozen=True)
class PresetsFile:
    """A presets file as read from disk: its path, its text and the validated model."""

    path: Path
    text: str
    config: PresetsConfig

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.text)


def load_presets_file(path: str | Path) -> PresetsFile:
    """Read and validate a presets file; InvalidPresets names the file, then one line per problem.

    The one loader behind ``imgfan presets``, ``imgfan render`` and ``cdk synth``, so all three
    refuse the same files with the same words.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidPresets.unreadable(path, exc) from None
    return check_presets_bytes(path, data)


def check_presets_bytes(path: Path, data: bytes) -> PresetsFile:
    """Validate the bytes already read from ``path``, refusing them in ``load_presets_file``'s words."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPresets(f"{path} is not UTF-8 text: byte {exc.start} (0x{data[exc.start]:02x}) is not "
                             "valid UTF-8; save the file as UTF-8") from None
    try:
        return PresetsFile(path, text, parse_presets(text))
    except InvalidPresets as exc:
        indented = "\n".join(f"  {line}" for line in str(exc).splitlines())
        raise InvalidPresets(f"{path} is invalid:\n{indented}") from None
