"""A full-size decode brought down to a workable size, band by band.

Only a JPEG can be decoded at reduced scale (``decode.draft``). Every other decoder hands over
the whole picture, and each whole-picture step after that costs another full-size copy:
converting a palette or 16-bit picture to a mode that resamples (``colour.normalize``), and
Pillow's premultiplied-alpha copy inside ``reduce``/``resize`` of RGBA and LA. A 100 MP RGBA PNG
would need three times its 400 MB.

So the picture is normalized and reduced by whole factors one horizontal band at a time, each
band a multiple of the factor tall, which gives exactly the result of one ``reduce`` of the
whole (blocks line up the same way) while the extra memory stays a band. The factor is what
Pillow's ``resize(reducing_gap=...)`` would have picked, so the final Lanczos pass still has at
least ``gap`` times downscaling to do. With nothing to reduce, a picture that needs converting
is still converted band by band.

What is left is Lanczos's premultiplied copy of a picture with alpha that cannot be reduced
first (less than ``2 x gap`` times downscaling); ``decode.pixel_limit`` accounts for it.
"""

from __future__ import annotations

from PIL import Image

from imgfan_core.engine import colour

# Enough rows per band to keep Python's per-band overhead negligible, few enough to stay small.
BAND_BYTES = 8 * 1024 * 1024
# Their normalization depends on the whole picture's range, so a band cannot decide it alone.
_WHOLE_PICTURE_MODES = ("I", "F")
# Modes colour.normalize leaves alone (unless a transparent colour key turns them into alpha).
_READY_MODES = ("L", "LA", "RGB", "RGBA", "CMYK")


def factors(size: tuple[int, int], needed: tuple[float, float], gap: float) -> tuple[int, int]:
    """Whole reduce factors per axis that keep at least ``gap`` times downscaling for the rest."""
    return tuple(  # type: ignore[return-value]
        max(1, int(whole / max(wanted, 1.0) / gap)) for whole, wanted in zip(size, needed)
    )


def normalized_and_reduced(image: Image.Image, needed: tuple[float, float], gap: float) -> Image.Image:
    """``colour.normalize(image)`` reduced by ``factors(...)``, with ``image.info`` kept.

    ``needed`` is in the decoded image's axes (not upright).
    """
    fx, fy = factors(image.size, needed, gap)
    ready = image.mode in _READY_MODES and "transparency" not in image.info
    if image.mode in _WHOLE_PICTURE_MODES or (ready and (fx, fy) == (1, 1)):
        whole = colour.normalize(image)  # returns a ready picture itself: no copy
        return whole if (fx, fy) == (1, 1) else _keep_info(whole.reduce((fx, fy)), image)
    width, height = image.size
    rows = fy * max(1, BAND_BYTES // (width * 4 * fy))
    out: Image.Image | None = None
    for top in range(0, height, rows):
        band = colour.normalize(image.crop((0, top, width, min(height, top + rows))))
        small = band.reduce((fx, fy)) if (fx, fy) != (1, 1) else band
        if out is None:
            out = Image.new(small.mode, (-(-width // fx), -(-height // fy)))
        out.paste(small, (0, top // fy))
    assert out is not None
    return _keep_info(out, image)


def _keep_info(reduced: Image.Image, source: Image.Image) -> Image.Image:
    reduced.info = dict(source.info)
    return reduced
