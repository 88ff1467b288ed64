"""What the engine is asked (one variant's options, input limits, metadata rules) and what it answers.

Plain frozen dataclasses, so the resizer reads a preset from its event without importing
pydantic (its cold start). The defaults here are the engine's: the presets model takes its
own defaults from these classes, and an execution started before an upgrade, whose preset dict
lacks a newer option, renders with the option's default, which is always the old behaviour.
Option names follow sharp (``fit``, ``position``, ``enlarge`` for ``withoutEnlargement``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self


class FlatRecord:
    """``to_dict``/``from_dict`` for a frozen dataclass whose fields are all JSON values."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        # Unknown keys come from a newer release's dispatcher; they cannot change what this one
        # renders, and refusing them would fail every execution in flight during a rollback.
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{name: value for name, value in data.items() if name in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class RenderSpec(FlatRecord):
    """One preset: how to turn a source into one variant."""

    name: str
    width: int | None = None
    height: int | None = None
    fit: str = "inside"
    position: str = "center"
    enlarge: bool = False
    format: str = "original"
    # An encoder quality 1-100, "auto" or {"target": score} (engine/quality.py), as in the JSON.
    quality: int | str | dict[str, int] | None = None
    effort: int | None = None
    progressive: bool = True
    background: str = "#ffffff"
    animation: str = "first-frame"


@dataclass(frozen=True)
class InputLimits(FlatRecord):
    """Sources over any limit are refused with ImageTooLarge before their pixels are decoded."""

    max_input_pixels: int = 50_000_000
    max_input_bytes: int = 50 * 1024 * 1024
    max_animation_frames: int = 200


@dataclass(frozen=True)
class MetadataSpec(FlatRecord):
    """What of the source's metadata survives: by default nothing, and colours in sRGB."""

    strip: bool = True
    convert_to_srgb: bool = True


@dataclass(frozen=True)
class SourceInfo(FlatRecord):
    """What ``analyze`` learns about a source: the manifest's ``source`` fields and placeholder."""

    format: str
    width: int
    height: int
    orientation: int
    has_alpha: bool
    animated: bool
    frames: int
    colour_profile: str | None
    bytes: int
    placeholder: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedVariant:
    data: bytes
    width: int
    height: int
    format: str
    content_type: str

    def to_dict(self) -> dict[str, Any]:
        """Everything but the pixels, e.g. for a manifest."""
        return {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "content_type": self.content_type,
            "bytes": len(self.data),
        }
