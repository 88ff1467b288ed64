"""A preset's ``quality``: a fixed encoder quality, or a target score reached per image.

``"auto"`` or ``{"target": N}`` works like Cloudinary's ``q_auto``: for each variant, the lowest
encoder quality whose output reaches the target score (SSIMULACRA2's 0-100 scale: 90 is
visually lossless, 70 high quality, 50 medium), as estimated by ``fidelity``. Only presets that
ask for it import ``fidelity``, and the search encodes the already-resized variant a bounded
number of times: a binary search over ``LADDER``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from PIL import Image

from imgfan_core.vocabulary import AutoQuality

AUTO: Final = "auto"
# "auto" keeps the median score the default presets reach on photos (77 in benchmarks/quality.py;
# a rung lands about 2 above its target) and lifts the worst: hard images get more bytes.
AUTO_TARGET = 75
# Below 30 every photo passes at the lowest rung; above 90 webp never gets there (4:2:0 chroma).
MIN_TARGET, MAX_TARGET = 30, 90
# 16 rungs: the binary search encodes at most 4 of them, plus the top one when none passes.
LADDER = tuple(range(25, 101, 5))
LOSSY_FORMATS = ("jpeg", "webp", "avif", "jxl")
# Transparent pixels are scored as seen over this grey, SSIMULACRA2's background for alpha.
ALPHA_BACKGROUND = (128, 128, 128)



class HasTarget(Protocol):
    """The presets model's QualityTarget, as the engine sees it."""

    @property
    def target(self) -> int: ...


QualitySetting = int | AutoQuality | dict[str, Any] | HasTarget | None
Encoder = Callable[[int | None], bytes]


def target_score(setting: QualitySetting) -> int | None:
    """The score a setting aims for, or None for a fixed quality (or the format's default)."""
    if setting is None or isinstance(setting, int):
        return None
    if setting == AUTO:
        return AUTO_TARGET
    # A RenderSpec carries the JSON object; the presets model's QualityTarget has the attribute.
    return int(setting["target"] if isinstance(setting, dict) else setting.target)


def fixed_quality(setting: QualitySetting) -> int | None:
    """The quality to pass to the encoder when no search runs: None means the format's default."""
    return setting if isinstance(setting, int) else None


@dataclass(frozen=True)
class Choice:
    quality: int | None
    data: bytes


def choose(setting: QualitySetting, fmt: str, image: Image.Image, encode_at: Encoder) -> Choice:
    """Encode one still variant with ``encode_at(quality)``, searching the quality for a target."""
    target = target_score(setting)
    if target is None or fmt not in LOSSY_FORMATS:
        return Choice(fixed_quality(setting), encode_at(fixed_quality(setting)))
    from imgfan_core.engine import fidelity  # only presets with a target pay for the metric

    reference = fidelity.Reference(opaque(image))
    encoded: dict[int, bytes] = {}

    def reaches(quality: int) -> bool:
        encoded[quality] = encode_at(quality)
        return reference.score(decoded_pixels(encoded[quality])) >= target

    low, high = 0, len(LADDER) - 1
    while low < high:
        middle = (low + high) // 2
        if reaches(LADDER[middle]):
            high = middle
        else:
            low = middle + 1
    quality = LADDER[low]
    if quality not in encoded:  # the top rung, reached only when every probe fell short
        encoded[quality] = encode_at(quality)
    return Choice(quality, encoded[quality])


def decoded_pixels(data: bytes) -> Image.Image:
    """An encoded variant as the metric sees it: RGB, any transparency over ``ALPHA_BACKGROUND``."""
    from imgfan_core.engine import jxl

    if jxl.is_jxl(data):  # Pillow has no JPEG XL reader
        return opaque(jxl.decode(data))
    image = Image.open(io.BytesIO(data))
    image.load()
    return opaque(image)


def opaque(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    return image.convert("RGB")
