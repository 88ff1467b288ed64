"""Output format choice and encoder settings.

Images reach here in sRGB with ``info`` cleared: nothing is written unless passed explicitly,
so EXIF, GPS, XMP and comments cannot leak from the source by accident.
"""

from __future__ import annotations

import io

from PIL import Image

from imgfan_core.engine import colour, jxl, plugins
from imgfan_core.formats import CONTENT_TYPES

# Source formats browsers display everywhere; 'original' keeps them.
WEB_SAFE = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "AVIF": "avif"}
ALPHA_FORMATS = ("png", "webp", "avif", "gif", "jxl")
# jxl 80: its worst photo in benchmarks/quality.py --formats scores near WebP 80's and AVIF 60's
# worst (75 gives the same median but a worst photo 8 points lower); docs/jpeg-xl.md.
DEFAULT_QUALITY = {"jpeg": 80, "webp": 80, "avif": 60, "jxl": 80}
DEFAULT_WEBP_METHOD = 4
# libaom's speed (libavif's 0-10, 10 fastest): chosen with benchmarks/encoder_settings.py,
# docs/engine/quality.md "AVIF encoder speed".
DEFAULT_AVIF_SPEED = 6
# AVIF encoder threads. The resizer runs one variant per invocation with about one vCPU (1536 MB;
# Lambda gives a full vCPU at 1,769 MB), so more threads cannot finish sooner. libavif also picks
# its tile layout from the thread count (autotiling), so a fixed count keeps the bytes, and with
# them fingerprinted keys, the same on a laptop and on Lambda. Pillow's default would be every
# CPU the process may use.
AVIF_THREADS = 1
# libaom's tuning, named rather than left to libavif: with none named, Pillow 13's libavif (1.4.2)
# encodes as tune=iq and Pillow 12's (1.3.0) as tune=ssim. iq writes files about 30 % larger at the
# same quality (and scores higher), so a preset's quality would mean something else after an upgrade.
# At equal SSIMULACRA2 the two are within about 1 % of bytes, and iq costs 13 % more CPU
# (benchmarks/encoder_settings.py --tunes ssim iq; docs/engine/quality.md, "AVIF encoder speed").
AVIF_CODEC_OPTIONS = (("tune", "ssim"),)
# libjxl's effort (1-9 here, as in sharp). 5 rather than libjxl's own 7: +0.8 % bytes at equal
# SSIMULACRA2 for 0.66x the CPU (benchmarks/encoder_settings.py --format jxl, docs/jpeg-xl.md).
DEFAULT_JXL_EFFORT = 5
# zlib level 9 ("optimize") costs 3x the time of level 6 on photographic PNGs for about 1%
# smaller files; worth it for icons and thumbnails, not for multi-megapixel variants.
PNG_OPTIMIZE_MAX_PIXELS = 1_000_000


def resolve_format(requested: str, source_format: str | None, alpha: bool, animate: bool = False) -> str:
    """The concrete output format for a preset's ``format``."""
    if requested != "original":
        return requested
    kept = WEB_SAFE.get(source_format or "")
    if kept == "gif" and not animate:
        # A still frame of a GIF is better served losslessly, with its transparency.
        return "png"
    if kept:
        return kept
    return "png" if alpha else "jpeg"


def parse_colour(value: str) -> tuple[int, int, int, int]:
    text = value.lstrip("#")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    a = int(text[6:8], 16) if len(text) == 8 else 255
    return r, g, b, a


def flatten(image: Image.Image, background: str) -> Image.Image:
    """Composite alpha onto the background: transparent pixels never turn black."""
    if image.mode not in ("LA", "RGBA"):
        return image
    r, g, b, _ = parse_colour(background)
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (r, g, b, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("LA", "RGBA") and image.getchannel("A").getextrema()[0] == 255:
        return image.convert(image.mode[:-1])
    return image


def for_format(image: Image.Image, fmt: str, background: str) -> Image.Image:
    """Convert to a mode the encoder accepts."""
    if fmt == "jpeg":
        image = flatten(image, background)
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if fmt in ("webp", "avif"):
        if image.mode == "L":
            return image.convert("RGB")
        if image.mode == "LA":
            return image.convert("RGBA")
    if fmt == "jxl" and image.mode not in jxl.MODES:
        return image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return image


def save_options(
    fmt: str, quality: int | None, effort: int | None, pixels: int = 0, progressive: bool = True
) -> dict:
    if fmt == "jpeg":
        # Progressive scans are Huffman-optimised by libjpeg anyway; baseline asks for it.
        return {"quality": quality or DEFAULT_QUALITY["jpeg"], "progressive": progressive, "optimize": True}
    if fmt == "png":
        return {"optimize": True} if pixels <= PNG_OPTIMIZE_MAX_PIXELS else {"compress_level": 6}
    if fmt == "webp":
        method = DEFAULT_WEBP_METHOD if effort is None else min(effort, 6)
        return {"quality": quality or DEFAULT_QUALITY["webp"], "method": method}
    if fmt == "avif":
        speed = DEFAULT_AVIF_SPEED if effort is None else 10 - effort
        return {"quality": quality or DEFAULT_QUALITY["avif"], "speed": speed, "max_threads": AVIF_THREADS,
                "advanced": AVIF_CODEC_OPTIONS}
    if fmt == "gif":
        return {"optimize": True}
    raise ValueError(f"unknown output format '{fmt}'")


def encode(
    image: Image.Image,
    fmt: str,
    quality: int | None = None,
    effort: int | None = None,
    icc: bytes | None = None,
    exif: bytes | None = None,
    extra: dict | None = None,
    progressive: bool = True,
) -> bytes:
    image.info = {}
    if fmt == "jxl":
        return _encode_jxl(image, quality, effort, icc, exif)
    options = save_options(fmt, quality, effort, image.width * image.height, progressive)
    if icc and fmt != "gif":
        options["icc_profile"] = icc
    if exif and fmt in ("jpeg", "png", "webp", "avif"):
        options["exif"] = exif
    if extra:
        options.update(extra)
        for frame in options.get("append_images", ()):
            frame.info = {}
    buffer = io.BytesIO()
    plugins.register(fmt)
    image.save(buffer, format=fmt.upper(), **options)
    return buffer.getvalue()


def _encode_jxl(
    image: Image.Image, quality: int | None, effort: int | None, icc: bytes | None, exif: bytes | None
) -> bytes:
    if icc and not colour.is_srgb(icc):
        # The presets refuse jxl with convert_to_srgb false; reaching here is a caller's bug, and
        # writing the pixels as sRGB would show them in the wrong colours.
        raise ValueError("JPEG XL variants are sRGB: imagecodecs cannot embed another ICC profile")
    return jxl.encode(
        image, quality or DEFAULT_QUALITY["jxl"], DEFAULT_JXL_EFFORT if effort is None else effort, exif
    )


def content_type(fmt: str) -> str:
    return CONTENT_TYPES[fmt]
