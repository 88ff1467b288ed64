"""Helpers for engine tests: fixture bytes, presets, and pixel comparisons.

A plain module (not conftest) so test files can import it: test folders are not packages."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from imgfan_core.presets import Preset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_preset(**fields) -> Preset:
    fields.setdefault("name", "t")
    fields.setdefault("format", "png")
    return Preset(**fields)


def open_variant(variant) -> Image.Image:
    image = Image.open(io.BytesIO(variant.data))
    image.load()
    return image


def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255, after matching size and mode."""
    a = a.convert("RGB")
    b = b.convert("RGB")
    if a.size != b.size:
        b = b.resize(a.size, Image.Resampling.LANCZOS)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


