"""The words a preset is written in: each option's allowed values, defined once.

The presets model validates against these types and the engine's ``RenderSpec`` carries them,
so a value added here is accepted and typed in both. Plain ``typing`` only: the resizer
imports the engine without pydantic. Names follow sharp (``fit``, ``position``) and imgproxy.
"""

from __future__ import annotations

from typing import Literal

Fit = Literal["cover", "contain", "fill", "inside", "outside"]
Gravity = Literal[
    "center", "north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"
]
# Content-aware crops, as sharp's strategy option names them.
Strategy = Literal["entropy", "attention"]
Position = Literal[Gravity, Strategy]
OutputFormat = Literal["jpeg", "png", "webp", "avif", "jxl", "original"]
AnimationPolicy = Literal["first-frame", "animate"]
GainMapPolicy = Literal["keep", "drop"]
AutoQuality = Literal["auto"]
KeyStyle = Literal["fingerprinted", "stable"]
# EXIF groups a preset may keep while stripping metadata; GPS is deliberately not one of them.
KeptMetadata = Literal["copyright"]
# The sources the pipeline picks up when a presets file leaves ``source.suffixes`` out.
DEFAULT_SOURCE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".avif", ".tif", ".tiff")
