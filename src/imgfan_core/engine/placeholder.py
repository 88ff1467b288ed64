"""A per-image placeholder for the manifest: a tiny blurred data URI, a dominant colour and a ThumbHash."""

from __future__ import annotations

import base64
import io

from PIL import Image

from imgfan_core.engine import plugins
from imgfan_core.engine.thumbhash import thumbhash_base64

PLACEHOLDER_SIZE = 16
# ThumbHash keeps at most 7 cosine terms a side: 32 px carries them all, at a quarter of the
# encoder's time at 64 px (it is plain Python, about 5 ms here).
THUMBHASH_SOURCE_SIZE = 32
_PALETTE_SIZE = 6


def _opaque(image: Image.Image) -> Image.Image:
    if image.mode in ("LA", "RGBA"):
        canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
        canvas.alpha_composite(image.convert("RGBA"))
        return canvas.convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def dominant_colour(image: Image.Image) -> str:
    """The most common colour of a 6-colour median-cut palette, as #rrggbb.

    The mean colour of a photo is usually a muddy grey-brown; the largest palette bucket is
    what the eye reads as "the colour" of the picture.
    """
    small = _opaque(image)
    small = small.resize((min(64, small.width), min(64, small.height)), Image.Resampling.BOX)
    quantized = small.quantize(colors=_PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    counts = quantized.getcolors() or [(1, 0)]
    _, index = max(counts)
    assert isinstance(index, int), index  # a "P" image's colours are palette indexes
    palette = quantized.getpalette() or [0, 0, 0]
    r, g, b = palette[index * 3 : index * 3 + 3]
    return f"#{r:02x}{g:02x}{b:02x}"


def data_uri(image: Image.Image) -> str:
    """A <=16 px WebP, a few hundred bytes of base64, meant to be shown blurred and stretched."""
    thumb = image.convert("RGBA" if image.mode in ("LA", "RGBA") else "RGB")
    ratio = PLACEHOLDER_SIZE / max(thumb.size)
    size = (max(1, round(thumb.width * ratio)), max(1, round(thumb.height * ratio)))
    thumb = thumb.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    buffer = io.BytesIO()
    plugins.register("WEBP")
    thumb.save(buffer, format="WEBP", quality=40, method=4)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbhash(image: Image.Image) -> str:
    """The picture's ThumbHash in base64, with its alpha when it has some."""
    rgba = image.convert("RGBA")
    ratio = min(1.0, THUMBHASH_SOURCE_SIZE / max(rgba.size))
    size = (max(1, round(rgba.width * ratio)), max(1, round(rgba.height * ratio)))
    small = rgba.resize(size, Image.Resampling.BOX) if size != rgba.size else rgba
    return thumbhash_base64(small.width, small.height, small.tobytes())


def placeholder(image: Image.Image) -> dict[str, str]:
    return {
        "data_uri": data_uri(image),
        "dominant_color": dominant_colour(image),
        "thumbhash": thumbhash(image),
    }
