"""PNG palette output (sharp's ``palette``): at most 256 colours, alpha kept, optional dithering.

Pillow quantises an opaque picture with median cut and can map it onto that palette with
Floyd-Steinberg error diffusion, but only at full strength. sharp's ``dither`` is a level from
0 to 1, so the picture is first blended with its undithered mapping: at level d the error left to
diffuse is d times the full error (0 diffuses nothing, 1 everything).

Pillow quantises a picture with alpha only with its fast octree, which keeps alpha in the palette
(PNG tRNS) but cannot diffuse error: such pictures are never dithered. The octree averages the
alpha of a bucket, so an opaque area that shares a bucket with a few soft edge pixels comes out
at 254; entries within ``_ALPHA_SNAP`` of opaque or clear are snapped back, which keeps opaque
areas opaque and clear ones clear (a difference of 2% opacity is invisible).
"""

from __future__ import annotations

from PIL import Image

_ALPHA_SNAP = 5


def quantize(image: Image.Image, colours: int, dither: float) -> Image.Image:
    """``image`` (L, LA, RGB or RGBA) as a mode P picture of at most ``colours`` colours."""
    if image.mode in ("LA", "RGBA"):
        return _snap_alpha(image.convert("RGBA").quantize(colours, method=Image.Quantize.FASTOCTREE))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    mapped = rgb.quantize(colours, method=Image.Quantize.MEDIANCUT)
    if dither <= 0:
        return mapped
    target = rgb if dither >= 1 else Image.blend(mapped.convert("RGB"), rgb, dither)
    return target.quantize(palette=mapped, dither=Image.Dither.FLOYDSTEINBERG)


def _snap_alpha(image: Image.Image) -> Image.Image:
    entries = image.getpalette("RGBA") or []
    for index in range(3, len(entries), 4):
        if entries[index] >= 255 - _ALPHA_SNAP:
            entries[index] = 255
        elif entries[index] <= _ALPHA_SNAP:
            entries[index] = 0
    image.putpalette(entries, "RGBA")
    return image
