"""Opening untrusted bytes: identify, enforce limits, decode no more than needed, orient.

Every failure leaves here as a ``PermanentImageError`` subclass with a one-line message, so
callers never see a Pillow exception type.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from typing import TYPE_CHECKING

from PIL import Image, ImageFile

from imgfan_core.engine import colour, plugins
from imgfan_core.errors import CorruptImage, ImageTooLarge, NotAnImage, UnsupportedImage

if TYPE_CHECKING:
    from imgfan_core.engine.models import InputLimits

# Formats we decode. Anything else Pillow could open (EPS via Ghostscript, PSD, ICO...) is
# refused: each extra decoder is attack surface and none of them is an upload format we promise.
ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "TIFF", "AVIF", "HEIF")
# Formats whose extra frames are an animation. MPO's second frame is a stereo view or gain map,
# a HEIF's extra top-level images are bursts or depth maps: both keep their primary image.
ANIMATED_FORMATS = ("GIF", "PNG", "WEBP", "AVIF")
ORIENTATION_TAG = 0x0112
# libjpeg decodes a baseline JPEG at 1/2, 1/4 or 1/8 scale and never holds the whole picture. A
# progressive JPEG needs every DCT coefficient (2 bytes a sample) before its first pixel, and the
# other decoders hand over the full-size image: those answer to limits.max_full_decode_pixels.
SCALED_DECODE_FORMATS = ("JPEG", "MPO")
# How many times the memory of an opaque PNG (the picture at 4 bytes a pixel) each decoder needs at
# its peak, measured by benchmarks/memory.py: Pillow's WebP decoder holds libwebp's two canvases
# and a copy of the pixels besides the picture; libavif and libheif keep their YUV planes and
# a copy. Such a source may have that many times fewer pixels than max_full_decode_pixels.
DECODE_COST = {"WEBP": 4, "AVIF": 2, "HEIF": 2}
# A picture with alpha costs a PNG twice as much too: Pillow resamples it from a premultiplied copy.
ALPHA_COST = 2
# ISO-BMFF brands handled by pillow-heif; AVIF brands stay with Pillow's built-in plugin.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _is_heif(data: bytes) -> bool:
    if data[4:8] != b"ftyp":
        return False
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(len(data), 64), 4)}
    return data[8:12] not in _AVIF_BRANDS and bool(brands & _HEIF_BRANDS)


_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _signature(data: bytes) -> str | None:
    """The format a file claims by its magic bytes, even when its header is unreadable."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _AVIF_BRANDS:
        return "AVIF"
    return "HEIF" if _is_heif(data) else None


def _identify_other(data: bytes) -> str | None:
    """The format of an image we refuse, or None when it is not an image at all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as other:
                return other.format or "unknown"
    except Exception:
        return None


def open_image(data: bytes, limits: InputLimits) -> ImageFile.ImageFile:
    """Read the header only (no pixel decode) and enforce byte and pixel limits."""
    if len(data) > limits.max_input_bytes:
        raise ImageTooLarge(f"{len(data)} bytes exceeds the limit of {limits.max_input_bytes} bytes")
    if not data:
        raise NotAnImage("empty file")
    claimed = _signature(data)
    plugins.register(claimed)
    # Pillow's bomb guard is the pixel limit: it trips on the header, before any pixel buffer
    # exists, for every format. Aimed at the configured limit, it lets a config go above Pillow's
    # default of about 89 MP. It is a process-wide setting, so it is put back for whatever else
    # in the process opens images.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Corrupt-EXIF and similar warnings are noise on stderr; the bomb warning is a verdict.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = limits.max_input_pixels
            image = Image.open(io.BytesIO(data), formats=[f for f in ALLOWED_FORMATS if f in Image.OPEN])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(_bomb_message(exc, limits)) from None
    except Image.UnidentifiedImageError:
        if claimed is not None:
            raise CorruptImage(f"{claimed} header is damaged or incomplete") from None
        other = _identify_other(data)
        if other is None:
            raise NotAnImage("not a recognised image format") from None
        raise UnsupportedImage(f"{other} images are not supported") from None
    except Exception as exc:
        raise classify(exc) from None
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
    _check_full_decode(image, limits)
    return image


def decode_cost(fmt: str | None, alpha: bool = False) -> int:
    """A full-size decode's memory per pixel, in multiples of an opaque PNG's."""
    return max(DECODE_COST.get(fmt or "", 1), ALPHA_COST if alpha else 1)


def pixel_limit(
    limits: InputLimits, fmt: str | None, progressive: bool = False, alpha: bool = False
) -> tuple[str, int]:
    """The pixel limit a source answers to: the name of the setting it comes from, and its value."""
    if fmt in SCALED_DECODE_FORMATS and not progressive:
        return "max_input_pixels", limits.max_input_pixels
    full = limits.max_full_decode_pixels // decode_cost(fmt, alpha)
    if full >= limits.max_input_pixels:
        return "max_input_pixels", limits.max_input_pixels
    return "max_full_decode_pixels", full


def _check_full_decode(image: Image.Image, limits: InputLimits) -> None:
    """The header check for sources held at full size (Pillow's guard covered max_input_pixels)."""
    progressive = bool(image.info.get("progressive"))
    alpha = colour.has_alpha(image)
    name, limit = pixel_limit(limits, image.format, progressive, alpha)
    pixels = image.width * image.height
    if name != "max_full_decode_pixels" or pixels <= limit:
        return
    declared = f"the header declares {pixels} pixels ({image.width}x{image.height})"
    cost = decode_cost(image.format, alpha)
    if cost > 1:
        what = f"a {image.format} image" + (" with alpha" if alpha else "")
        raise ImageTooLarge(
            f"{declared}, over the {limit} allowed for {what}: it needs {cost}x the memory of an opaque "
            f"PNG's, so it gets 1/{cost} of limits.max_full_decode_pixels ({limits.max_full_decode_pixels})"
        )
    what = "a progressive JPEG" if progressive else f"a {image.format} image"
    raise ImageTooLarge(
        f"{declared}, over limits.max_full_decode_pixels of {limit}: {what} is decoded at full size "
        "(only a baseline JPEG is decoded at reduced scale)"
    )


def _bomb_message(exc: BaseException, limits: InputLimits) -> str:
    # Pillow's own text names twice the limit for its hard error; say the configured one.
    declared = re.search(r"\((\d+) pixels\)", str(exc))
    if declared is None:
        return _one_line(exc)
    return f"the header declares {declared.group(1)} pixels, over the limit of {limits.max_input_pixels}"


def frame_count(image: Image.Image, limits: InputLimits) -> int:
    if image.format not in ANIMATED_FORMATS:
        return 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frames = int(getattr(image, "n_frames", 1))
    except Exception as exc:
        raise classify(exc) from None
    if frames > limits.max_animation_frames:
        raise ImageTooLarge(f"{frames} animation frames, over the limit of {limits.max_animation_frames}")
    return frames


def orientation(image: Image.Image) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:
        # A broken EXIF block must not cost the picture; treat it as upright.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def draft(image: Image.Image, needed: tuple[float, float], orient: int) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result still covers ``needed``
    (HEIF: use an embedded thumbnail that covers it).

    ``needed`` is in upright pixels; the JPEG is stored before orientation, so the axes swap
    for orientations 5-8. Pillow picks the largest DCT scale whose output is at least the
    requested size, so the final resample always downsamples.
    """
    if image.format not in ("JPEG", "MPO", "HEIF"):
        return
    w, h = max(1, int(needed[0] + 0.999)), max(1, int(needed[1] + 0.999))
    if image.format == "HEIF":
        # pillow-heif picks the smallest embedded thumbnail that is a faithful scaled copy and
        # at least this big (iPhones embed one of ~320 px), else decodes the full image.
        # libheif has already applied the rotation, so there is no axis swap here.
        image.draft(None, (w, h))
        return
    if orient in (5, 6, 7, 8):
        w, h = h, w
    if w * 2 > image.width or h * 2 > image.height:
        return
    image.draft(None, (w, h))


def load(image: Image.Image) -> Image.Image:
    """Decode pixels, mapping truncation and corruption to permanent errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
    except Exception as exc:
        raise classify(exc) from None
    return image


def upright(image: Image.Image, orient: int) -> Image.Image:
    """Apply EXIF orientation on whatever size was decoded (draft keeps the EXIF tag)."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orient)
    if method is None:
        return image
    turned = image.transpose(method)
    turned.info = dict(image.info)
    return turned


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def classify(exc: BaseException) -> Exception:
    message = _one_line(exc)
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return ImageTooLarge(message)
    if isinstance(exc, ValueError) and "too large" in message.lower():
        # PNG zlib bombs in text/ICC chunks surface as ValueError("Decompressed data too large").
        return ImageTooLarge(message)
    if isinstance(exc, MemoryError):
        return ImageTooLarge("not enough memory to decode")
    if isinstance(exc, OSError) and "truncated" in message.lower():
        return CorruptImage(f"truncated: {message}")
    if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
                        zlib.error, AttributeError)) or exc.__class__.__name__ == "error":
        return CorruptImage(message)
    return CorruptImage(f"{type(exc).__name__}: {message}")
