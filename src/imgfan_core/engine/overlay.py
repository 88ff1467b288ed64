"""A preset's overlay (a watermark or logo) drawn on each of its variants.

The caller reads the overlay picture (an S3 object, a local file) and passes its bytes as an
``OverlayImage``; the engine never fetches anything. ``OverlayImage.revision`` is a digest of those
bytes, so a new logo can change the variant's fingerprint (its key) like any other input.

The logo is scaled to ``width`` x the variant's width (keeping its aspect, and smaller if it
would not fit inside the margins), its alpha multiplied by ``opacity``, and composited at the
compass ``position``, ``margin`` pixels in from the edges. It is decoded with the same checks as a
source; any problem with it is ``InvalidOverlay``, a permanent error of that preset's variant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from imgfan_core.engine import colour, decode, position
from imgfan_core.engine.models import InputLimits
from imgfan_core.errors import InvalidOverlay, PermanentImageError

if TYPE_CHECKING:
    from imgfan_core.engine.models import OverlaySpec

# A logo has no business being large; this also bounds what a bad overlay can cost every render.
OVERLAY_LIMITS = InputLimits(max_input_pixels=16_000_000, max_input_bytes=10 * 1024 * 1024,
                             max_animation_frames=1000, max_full_decode_pixels=16_000_000)


@dataclass(frozen=True)
class OverlayImage:
    """The overlay picture's bytes, as the caller read them (typically a PNG with alpha)."""

    data: bytes = field(repr=False)

    @property
    def revision(self) -> str:
        """16 hex characters of the bytes' SHA-256: what the variant fingerprint can include."""
        return hashlib.sha256(self.data).hexdigest()[:16]


@dataclass(frozen=True)
class Placed:
    """An overlay ready for one canvas size: RGBA pixels (opacity applied) and where they go."""

    image: Image.Image
    at: tuple[int, int]


def _decoded(overlay: OverlayImage) -> Image.Image:
    """The overlay's first frame, upright, in sRGB, as RGBA."""
    try:
        image = decode.open_image(overlay.data, OVERLAY_LIMITS)
        orientation = decode.orientation(image)
        icc = image.info.get("icc_profile") or None
        pixels = decode.upright(colour.normalize(decode.load(image)), orientation)
        pixels, _ = colour.to_srgb(pixels, icc)
    except PermanentImageError as exc:
        raise InvalidOverlay(f"overlay image: {exc}") from None
    except (ValueError, OSError) as exc:
        raise InvalidOverlay(f"overlay image: {' '.join(str(exc).split())}") from None
    return pixels.convert("RGBA")


def _size(logo: tuple[int, int], spec: OverlaySpec, canvas: tuple[int, int]) -> tuple[int, int]:
    """``spec.width`` of the canvas, aspect kept, shrunk to fit inside the margins."""
    room = (max(1, canvas[0] - 2 * spec.margin), max(1, canvas[1] - 2 * spec.margin))
    width = min(spec.width * canvas[0], room[0])
    height = width * logo[1] / logo[0]
    if height > room[1]:
        width, height = width * room[1] / height, room[1]
    return max(1, round(width)), max(1, round(height))


def prepare(overlay: OverlayImage, spec: OverlaySpec, canvas: tuple[int, int]) -> Placed:
    """The overlay scaled, faded and positioned for a variant of size ``canvas``."""
    logo = _decoded(overlay)
    size = _size(logo.size, spec, canvas)
    logo = logo.resize(size, Image.Resampling.LANCZOS)
    if spec.opacity < 1:
        logo.putalpha(logo.getchannel("A").point(lambda value: round(value * spec.opacity)))
    slack = (max(0, canvas[0] - 2 * spec.margin - size[0]), max(0, canvas[1] - 2 * spec.margin - size[1]))
    ox, oy = position.gravity_offset(slack, spec.position)
    return Placed(logo, (spec.margin + round(ox), spec.margin + round(oy)))


def composite(image: Image.Image, placed: Placed) -> Image.Image:
    """``image`` (drawn on in place when RGBA) with the overlay; greyscale becomes RGB so that a
    coloured logo stays coloured."""
    has_alpha = image.mode in ("LA", "RGBA")
    base = image if image.mode == "RGBA" else image.convert("RGBA")
    base.alpha_composite(placed.image, dest=placed.at)
    return base if has_alpha else base.convert("RGB")
