"""JPEG XL output, written by libjxl through ``imagecodecs`` (BSD-3-Clause).

Pillow has no JPEG XL plugin, and the one on PyPI (``pillow-jxl-plugin``) is GPL-3.0, which an
MIT project cannot put in every user's Lambda layer. ``imagecodecs`` bundles libjxl (0.11.2 in
2026.3.6) with many other codecs; the layer keeps only its JPEG XL part (``imgfan/cdk/
bundling.py``). It needs numpy. Both are imported here on first use, so a function that writes
no JPEG XL never loads them (cold start). docs/jpeg-xl.md has the choice and the measurements.

Options follow sharp's ``jxl()``: ``quality`` 1-100 (libjxl maps it to a Butteraugli distance,
as ``cjxl -q`` does; 90 is distance 1.0, "visually lossless") and ``effort`` 1-9 (libjxl's effort,
higher is slower and smaller).

What is written matches the other formats' policy (``encode.py``): the pixels arrive in sRGB and
the codestream says sRGB. EXIF is written only when the metadata policy keeps some (an ``Exif``
box, so the file is then an ISO BMFF container); there is no XMP and no ICC profile. libjxl
takes no ICC profile through imagecodecs, so the presets refuse ``jxl`` with
``convert_to_srgb: false`` (``presets/model.py``), and ``encode`` refuses a non-sRGB profile too.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# A bare codestream starts with FF 0A; a container with its signature box (ISO/IEC 18181-2).
CODESTREAM_SIGNATURE = b"\xff\x0a"
CONTAINER_SIGNATURE = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
# The pixel layouts imagecodecs hands to libjxl as they are (grey, grey+alpha, colour, colour+alpha).
MODES = ("L", "LA", "RGB", "RGBA")
MIN_EFFORT, MAX_EFFORT = 1, 9
# One thread, like AVIF (encode.AVIF_THREADS): the resizer has about one vCPU, and a fixed
# count keeps the bytes independent of the machine's CPU count.
THREADS = 1


def codec_version() -> str:
    """imagecodecs' version, read from its metadata: importing it would load numpy."""
    from importlib.metadata import version

    return version("imagecodecs")


def is_jxl(data: bytes) -> bool:
    return data.startswith((CODESTREAM_SIGNATURE, CONTAINER_SIGNATURE))


def encode(image: Image.Image, quality: int, effort: int, exif: bytes | None = None) -> bytes:
    """``image`` (one of ``MODES``, sRGB) as JPEG XL; with ``exif`` (Pillow's ``Exif.tobytes()``),
    a container holding it in an ``Exif`` box."""
    import imagecodecs
    import numpy

    if image.mode not in MODES:
        raise ValueError(f"JPEG XL is written from {', '.join(MODES)} pixels, not {image.mode}")
    if not MIN_EFFORT <= effort <= MAX_EFFORT:
        raise ValueError(f"JPEG XL effort is {MIN_EFFORT}-{MAX_EFFORT}, got {effort}")
    codestream = imagecodecs.jpegxl_encode(
        numpy.asarray(image), level=quality, effort=effort, numthreads=THREADS
    )
    return bytes(codestream) if exif is None else container(bytes(codestream), exif)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def container(codestream: bytes, exif: bytes) -> bytes:
    """The ISO BMFF form: signature, ``ftyp``, ``Exif``, then the whole codestream in ``jxlc``.

    An ``Exif`` box holds a 4-byte offset to the TIFF header, then the TIFF data: Pillow's block
    without its ``Exif\\0\\0`` prefix. The orientation in it is 1 (``metadata.kept_exif``), and a
    JPEG XL reader takes the orientation from the codestream anyway.
    """
    tiff = exif.removeprefix(b"Exif\x00\x00")
    return (
        CONTAINER_SIGNATURE
        + _box(b"ftyp", b"jxl " + b"\x00\x00\x00\x00" + b"jxl ")
        + _box(b"Exif", b"\x00\x00\x00\x00" + tiff)
        + _box(b"jxlc", codestream)
    )


def decode(data: bytes) -> Image.Image:
    """The pixels of a JPEG XL variant (for ``quality``'s search, which scores its own encodes)."""
    import imagecodecs
    from PIL import Image

    return Image.fromarray(imagecodecs.jpegxl_decode(data, numthreads=THREADS))
