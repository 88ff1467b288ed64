"""Pixel modes and colour spaces: everything leaves as sRGB in L, LA, RGB or RGBA.

Two steps around the resample, so that the costly ICC transform runs on the small result:

* ``normalize`` (before resizing) turns exotic modes into one Pillow resamples well: P with
  transparency -> RGBA, 16-bit/32-bit greyscale -> L (scaled, not clipped), and so on.
  CMYK stays CMYK so that its profile can still be applied afterwards.
* ``to_srgb`` (after resizing) applies the embedded ICC profile, or a plain CMYK formula when
  a CMYK file has none.

Pillow reads every CMYK JPEG as Adobe-inverted ("CMYK;I"). Photoshop writes inverted CMYK
with an APP14 "Adobe" marker; a CMYK JPEG without that marker stores plain CMYK and must be
inverted back, or it comes out as a negative.
"""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING, cast

from PIL import Image

if TYPE_CHECKING:
    from PIL import ImageCms

_SRGB_HINTS = ("srgb", "iec61966-2.1", "iec 61966-2.1")
# sRGB-primaries profiles with another tone curve (Elle Stone's g10/g18, scRGB, "linear").
_NOT_SRGB_HINTS = ("linear", "g10", "g18", "g22", "scrgb", "elle")


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB", "I;16", "I;16B", "I;16L", "I") and "transparency" in image.info
    )


def fix_cmyk_inversion(image: Image.Image) -> Image.Image:
    if image.mode == "CMYK" and image.format in ("JPEG", "MPO") and "adobe" not in image.info:
        from PIL import ImageChops

        fixed = ImageChops.invert(image)
        fixed.info = dict(image.info)
        return fixed
    return image


def _sixteen_to_l(image: Image.Image) -> Image.Image:
    # Pillow's own I;16 -> L conversion clips at 255, turning most of the range white.
    wide = image if image.mode == "I" else image.convert("I")
    if image.mode.startswith("I;16"):
        divisor = 256
    else:
        # 32-bit "I" carries no bit depth; treat values above 255 as 16-bit data.
        # One band, so the extrema are two numbers, not a pair per band.
        divisor = 256 if (cast(tuple[float, float], wide.getextrema())[1] or 0) > 255 else 1
    return wide.point(lambda v: v / divisor).convert("L")


def _sixteen_transparency(image: Image.Image, grey: Image.Image) -> Image.Image:
    from PIL import ImageMath

    key = image.info["transparency"]
    wide = image if image.mode == "I" else image.convert("I")
    mask = ImageMath.lambda_eval(lambda a: (a["w"] != key) * 255, w=wide).convert("L")
    grey.putalpha(mask)
    return grey


def normalize(image: Image.Image) -> Image.Image:
    """A mode that resamples correctly: L, LA, RGB, RGBA or CMYK (info is kept)."""
    info = dict(image.info)
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        if mode in ("L", "RGB") and "transparency" in info:
            out = image.convert("LA" if mode == "L" else "RGBA")
        else:
            return image
    elif mode == "P":
        rgba_palette = image.palette is not None and image.palette.mode == "RGBA"
        out = image.convert("RGBA" if "transparency" in info or rgba_palette else "RGB")
    elif mode == "PA":
        out = image.convert("RGBA")
    elif mode == "1":
        out = image.convert("L")
    elif mode == "La":
        out = image.convert("LA")
    elif mode == "RGBa":
        out = image.convert("RGBA")
    elif mode.startswith("I;16") or mode == "I":
        grey = _sixteen_to_l(image)
        out = _sixteen_transparency(image, grey) if "transparency" in info else grey
    elif mode == "F":
        low, high = cast(tuple[float, float], image.getextrema())  # one band: (lowest, highest)
        span = (high - low) or 1.0
        out = image.point(lambda v: (v - low) * 255.0 / span).convert("L")
    else:
        out = image.convert("RGBA" if "A" in mode else "RGB")
    out.info = info
    return out


@functools.lru_cache(maxsize=16)
def profile_description(icc: bytes | None) -> str | None:
    if not icc:
        return None
    try:
        from PIL import ImageCms

        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or "unnamed"
    except Exception:
        return "invalid"


def is_srgb(icc: bytes | None) -> bool:
    """Whether a transform can be skipped: it costs ~45 ms on a 2 MP variant and would be a no-op."""
    desc = (profile_description(icc) or "").lower()
    return any(hint in desc for hint in _SRGB_HINTS) and not any(hint in desc for hint in _NOT_SRGB_HINTS)


@functools.lru_cache(maxsize=16)
def _transform(icc: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    from PIL import ImageCms

    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.createProfile("sRGB")
    intent = ImageCms.Intent.PERCEPTUAL
    return ImageCms.buildTransform(source, srgb, in_mode, out_mode, renderingIntent=intent)


def _cms(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Apply ``icc`` -> sRGB, or None when the profile does not fit the pixels (then ignore it)."""
    alpha = None
    base = image
    if image.mode in ("LA", "RGBA"):
        alpha = image.getchannel("A")
        base = image.convert(image.mode[:-1])
    out_mode = "RGB"
    try:
        converted = _transform(icc, base.mode, out_mode).apply(base)
    except Exception:
        return None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def to_srgb(image: Image.Image, icc: bytes | None, convert: bool = True) -> tuple[Image.Image, bytes | None]:
    """Returns the image in an output mode and the ICC profile the output should carry.

    Converted or untagged output carries no profile: untagged means sRGB on the web, and
    leaving it out saves a few hundred bytes per thumbnail.
    """
    if image.mode == "CMYK":
        # A browser cannot be trusted with CMYK, so CMYK is converted even when
        # convert_to_srgb is off.
        if icc:
            converted = _cms(image, icc)
            if converted is not None:
                return converted, None
        return image.convert("RGB"), None
    if icc and convert and not is_srgb(icc):
        converted = _cms(image, icc)
        if converted is not None:
            return converted, None
        return image, None
    if icc and not convert:
        return image, icc
    return image, None
