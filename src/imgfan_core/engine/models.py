"""What the engine is asked (one variant's options, input limits, metadata rules) and what it answers.

Plain frozen dataclasses, so the resizer reads a preset from its event without importing
pydantic (its cold start). The defaults here are the engine's: the presets model takes its
own defaults from these classes, and an execution started before an upgrade, whose preset dict
lacks a newer option, renders with the option's default, which is always the old behaviour.
Option names follow sharp (``fit``, ``position``, ``enlarge`` for ``withoutEnlargement``); the
values each allows are imgfan_core.vocabulary's, shared with the presets model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

from imgfan_core.vocabulary import (
    AnimationPolicy,
    AutoQuality,
    Fit,
    GainMapPolicy,
    Gravity,
    KeptMetadata,
    OutputFormat,
    Position,
)


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
class OverlaySpec(FlatRecord):
    """A watermark or logo drawn on a preset's variants (the preset's ``overlay``).

    ``image`` names the overlay picture: a key in the source bucket on AWS and the embedded
    cloud, a path relative to the presets file for ``imgfan render``. The caller reads it and
    hands the engine its bytes (``engine.OverlayImage``).
    """

    image: str
    position: Gravity = "southeast"
    width: float = 0.2  # of the variant's width
    margin: int = 8  # pixels from the variant's edges
    opacity: float = 1.0


@dataclass(frozen=True)
class RenderSpec(FlatRecord):
    """One preset: how to turn a source into one variant."""

    name: str
    width: int | None = None
    height: int | None = None
    fit: Fit = "inside"
    position: Position = "center"
    enlarge: bool = False
    format: OutputFormat = "original"
    # An encoder quality 1-100, "auto" or {"target": score} (engine/quality.py), as in the JSON.
    quality: int | AutoQuality | dict[str, int] | None = None
    effort: int | None = None
    progressive: bool = True
    background: str = "#ffffff"
    animation: AnimationPolicy = "first-frame"
    # png only: quantise to at most ``colours`` colours, dithered at level ``dither`` (sharp's names)
    palette: bool = False
    colours: int = 256
    dither: float = 1.0
    overlay: OverlaySpec | None = None
    # An Ultra HDR source's gain map: "keep" writes it into jpeg variants, "drop" writes SDR only.
    gain_map: GainMapPolicy = "keep"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        overlay = data.get("overlay")
        if isinstance(overlay, dict):
            data = {**data, "overlay": OverlaySpec.from_dict(overlay)}
        return super().from_dict(data)


@dataclass(frozen=True)
class InputLimits(FlatRecord):
    """Sources over any limit are refused with ImageTooLarge before their pixels are decoded.

    The defaults come from measured peak memory (``benchmarks/memory.py``, docs/engine/features.md
    "Input limits, set from measured memory"): a baseline JPEG is decoded at 1/2, 1/4 or 1/8
    scale, so a 200 MP phone photo costs little; every other source (and a progressive JPEG,
    whose coefficients libjpeg keeps whole) is held at full size, so it gets a limit of its own.
    """

    max_input_pixels: int = 268_402_689
    max_input_bytes: int = 100 * 1024 * 1024
    max_animation_frames: int = 200
    max_full_decode_pixels: int = 100_000_000


@dataclass(frozen=True)
class MetadataSpec(FlatRecord):
    """What of the source's metadata survives: by default nothing, and colours in sRGB.

    ``keep`` names EXIF groups kept even when stripping (``copyright``: Artist and Copyright).
    GPS is never kept, not even with ``strip`` off.
    """

    strip: bool = True
    convert_to_srgb: bool = True
    keep: tuple[KeptMetadata, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        # JSON has no tuples: a list comes back, and the record must stay hashable and equal.
        return super().from_dict({**data, "keep": tuple(data.get("keep") or ())})


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
    # "gain-map" for an Ultra HDR JPEG (an SDR picture and a gain map for HDR screens), else None.
    hdr: str | None = None


@dataclass(frozen=True)
class RenderedVariant:
    data: bytes
    width: int
    height: int
    format: str
    content_type: str
    # True when the variant carries the source's gain map (an Ultra HDR JPEG): its key's fingerprint
    # says so, because the preset alone does not decide it.
    gain_map: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Everything but the pixels, e.g. for a manifest."""
        return {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "content_type": self.content_type,
            "bytes": len(self.data),
        }
