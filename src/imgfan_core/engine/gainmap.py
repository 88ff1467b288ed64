"""Ultra HDR gain maps: find a JPEG source's, and write a JPEG variant's.

An Ultra HDR JPEG (Google's format, developer.android.com/media/platform/hdr-image-format) is an
ordinary SDR JPEG followed by a second JPEG, the gain map, that tells an HDR screen how much
brighter each region may be. The primary carries ``hdrgm:Version`` and a GContainer directory in
its XMP, and an MPF APP2 segment (CIPA DC-007) giving the gain map's offset and size; the gain
map carries its own ``hdrgm`` XMP (GainMapMin/Max, Gamma, offsets, HDRCapacityMin/Max) and, in
version 1.1 files, the same values as ISO 21496-1 binary metadata in APP2.

The bytes are assembled here rather than by Pillow's MPO writer: that writer gives every appended
frame the primary's encoder settings and metadata (so the gain map could not have its own XMP),
re-encodes the primary, and places MPF assuming a fixed segment layout.

Only hdrgm values, the container directory, ISO 21496-1 metadata and MPF are written: nothing
else of the source's XMP (locations, faces, editing history) reaches a variant.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from imgfan_core.errors import UnsupportedImage

if TYPE_CHECKING:
    from imgfan_core.engine.models import InputLimits
    from imgfan_core.engine.overlay import Placed

HDRGM_NS = "http://ns.adobe.com/hdr-gain-map/1.0/"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
ISO_ID = b"urn:iso:std:iso:ts:21496:-1\x00"
MPF_ID = b"MPF\x00"
APP1, APP2, SOS = 0xE1, 0xE2, 0xDA
# The MP Entry attribute of a baseline primary image; the gain map's type is 0 ("undefined").
MP_PRIMARY = 0x030000
# Gain map banding shows as blotchy highlights on HDR screens, and the map has a sixteenth of
# the primary's pixels (a quarter a side, typically), so a high quality costs few bytes.
GAIN_MAP_QUALITY = 90
# hdrgm fields of the gain map's XMP, in the order Google's spec lists them.
HDRGM_FIELDS = ("Version", "BaseRenditionIsHDR", "GainMapMin", "GainMapMax", "Gamma", "OffsetSDR",
                "OffsetHDR", "HDRCapacityMin", "HDRCapacityMax")
_ATTRIBUTE = re.compile(rb'hdrgm:(\w+)\s*=\s*"([^"]*)"')
# A value's body is short; the bound keeps a hostile packet of unclosed tags from costing seconds.
_ELEMENT = re.compile(rb"<hdrgm:(\w+)>(.{0,4096}?)</hdrgm:\1>", re.DOTALL)
_LIST_ITEM = re.compile(rb"<rdf:li>([^<]*)</rdf:li>")
# Walks over untrusted bytes stop here: a real header has a few dozen segments (an ICC profile
# split into 64 KB chunks is the most), and an Ultra HDR file lists two images.
MAX_SEGMENTS = 1024
MAX_SECONDARY_IMAGES = 4


@dataclass(frozen=True)
class GainMapSource:
    """A source's gain map: its JPEG as stored and the metadata a variant carries over."""

    jpeg: bytes
    version: str
    # hdrgm field -> value as written (a tuple for per-channel values)
    fields: dict[str, str | tuple[str, ...]]
    iso_primary: bytes | None = None  # the primary's ISO 21496-1 APP2 payload (a version only)
    iso_gain_map: bytes | None = None  # the gain map's ISO 21496-1 APP2 payload (its values)


# ---- reading ---------------------------------------------------------------------------------


def app_segments(jpeg: bytes) -> list[tuple[int, int, bytes]]:
    """(marker, where the payload starts, payload) of every segment before the first scan;
    [] when ``jpeg`` is not a JPEG."""
    if not jpeg.startswith(b"\xff\xd8"):
        return []
    segments: list[tuple[int, int, bytes]] = []
    at = 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != SOS and len(segments) < MAX_SEGMENTS:
        length = struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
        segments.append((jpeg[at + 1], at + 4, jpeg[at + 4 : at + 2 + length]))
        at += 2 + length
    return segments


def _find(segments: list[tuple[int, int, bytes]], marker: int, ident: bytes) -> tuple[int, bytes] | None:
    """Where the first ``marker`` segment starting with ``ident`` has its data after ``ident``, and that data."""
    return next(((at + len(ident), data[len(ident):]) for m, at, data in segments
                 if m == marker and data.startswith(ident)), None)


def _payload(segments: list[tuple[int, int, bytes]], marker: int, ident: bytes) -> bytes | None:
    found = _find(segments, marker, ident)
    return found[1] if found else None


def mp_entries(mp: bytes) -> list[tuple[int, int, int]]:
    """(attribute, size, offset) of each image an MPF block (after ``MPF\\0``) lists.

    Offsets count from the block's start, except the first image's, which is 0.
    """
    order = {b"MM": ">", b"II": "<"}.get(mp[:2])
    if order is None:
        return []
    try:
        ifd = struct.unpack(order + "I", mp[4:8])[0]
        (count,) = struct.unpack(order + "H", mp[ifd : ifd + 2])
        for i in range(count):
            tag, _, n, value = struct.unpack(order + "HHII", mp[ifd + 2 + 12 * i : ifd + 14 + 12 * i])
            if tag == 0xB002:
                raw = mp[value : value + n]
                return [struct.unpack(order + "III", raw[k : k + 12]) for k in range(0, len(raw) - 15, 16)]
    except struct.error:
        # A block cut short: an upload's MPF is as untrusted as the rest of it.
        return []
    return []


def hdrgm_fields(xmp: bytes) -> dict[str, str | tuple[str, ...]]:
    """hdrgm values of an XMP packet, written as attributes or as elements (rdf:Seq per channel)."""
    found: dict[str, str | tuple[str, ...]] = {}
    for name, value in _ATTRIBUTE.findall(xmp):
        found[name.decode()] = _unescaped(value)
    for name, body in _ELEMENT.findall(xmp):
        items = _LIST_ITEM.findall(body)
        found[name.decode()] = tuple(_unescaped(i) for i in items) if items else _unescaped(body)
    return {name: found[name] for name in HDRGM_FIELDS if name in found}


def _unescaped(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def _numbers(fields: dict[str, str | tuple[str, ...]]) -> bool:
    """Every value but the version and the HDR flag is a finite number, and Gamma is positive
    (the neutral value is computed from them)."""
    try:
        for name, value in fields.items():
            if name in ("Version", "BaseRenditionIsHDR"):
                continue
            numbers = [float(v) for v in (value if isinstance(value, tuple) else (value,))]
            if not numbers or not all(math.isfinite(v) for v in numbers):
                return False
            if name == "Gamma" and min(numbers) <= 0:
                return False
    except ValueError:
        return False
    return True


def find(image: Image.Image, data: bytes) -> GainMapSource | None:
    """The gain map of an Ultra HDR JPEG ``data`` (opened as ``image``), or None.

    Pillow has already read the primary's MPF and XMP (it opens the file as MPO when the XMP is
    written in element form); a JPEG without MPF costs one dict look-up.
    """
    primary_xmp = image.info.get("xmp") or b""
    if "mp" not in image.info or b"hdrgm" not in primary_xmp:
        return None
    version = hdrgm_fields(primary_xmp).get("Version")
    primary = app_segments(data)
    mpf = _find(primary, APP2, MPF_ID)
    if not isinstance(version, str) or mpf is None:
        return None
    base, mp = mpf
    for _, size, offset in mp_entries(mp)[1 : 1 + MAX_SECONDARY_IMAGES]:
        jpeg = data[base + offset : base + offset + size]
        segments = app_segments(jpeg)
        fields = hdrgm_fields(_payload(segments, APP1, XMP_ID) or b"")
        # GainMapMax and HDRCapacityMax have no default in the spec: without them it is no gain map.
        if "GainMapMax" in fields and "HDRCapacityMax" in fields and _numbers(fields):
            return GainMapSource(jpeg, version, fields, _payload(primary, APP2, ISO_ID),
                                 _payload(segments, APP2, ISO_ID))
    return None


def neutral(fields: dict[str, str | tuple[str, ...]], channels: int) -> tuple[int, ...]:
    """The stored value meaning "no brighter than SDR" (log2 gain 0), per channel.

    Where a variant has pixels the source lacked (a letterbox) or covers them (an overlay), the
    gain map must not brighten them on an HDR screen.
    """

    def channel(name: str, default: float, i: int) -> float:
        value = fields.get(name, str(default))
        value = value[min(i, len(value) - 1)] if isinstance(value, tuple) else value
        return float(value)

    out = []
    for i in range(channels):
        low, high = channel("GainMapMin", 0.0, i), channel("GainMapMax", 1.0, i)
        gamma = channel("Gamma", 1.0, i)
        level = 0.0 if high <= low else min(1.0, max(0.0, (0.0 - low) / (high - low)))
        out.append(round(255 * level**gamma))
    return tuple(out)


def pixels(source: GainMapSource, limits: InputLimits, primary: tuple[int, int]) -> Image.Image:
    """The gain map's pixels, L or RGB, as stored (not yet upright); the source's limits apply."""
    from imgfan_core.engine import decode

    image = decode.load(decode.open_image(source.jpeg, limits))
    if image.width > primary[0] or image.height > primary[1]:
        # The spec allows only maps no larger than the primary; a bigger one is not a map we know.
        raise UnsupportedImage(f"gain map {image.width}x{image.height} is larger than its image")
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


# ---- geometry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where a variant's pixels come from and where they go, in the primary's terms.

    ``box`` is the region of the upright source that was resampled, in fractions of its size;
    ``crop`` is the resampled picture's size and ``at`` where it sits on the ``canvas`` (a
    letterbox is the difference); ``overlay`` is the watermark drawn on the canvas, if any.
    """

    box: tuple[float, float, float, float]
    crop: tuple[int, int]
    canvas: tuple[int, int]
    at: tuple[int, int] = (0, 0)
    overlay: Placed | None = None


def resized(image: Image.Image, primary: tuple[int, int], place: Placement,
            fields: dict[str, str | tuple[str, ...]]) -> Image.Image:
    """The upright source gain map cut and scaled as the primary was, at the source's map-to-primary
    ratio; letterbox and overlay areas get the neutral (no boost) value."""
    rx, ry = image.width / primary[0], image.height / primary[1]

    def scaled(size: tuple[int, int], least: int = 1) -> tuple[int, int]:
        return max(least, round(size[0] * rx)), max(least, round(size[1] * ry))

    x0, y0, x1, y1 = place.box
    box = (x0 * image.width, y0 * image.height, x1 * image.width, y1 * image.height)
    out = image.resize(scaled(place.crop), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    fill = neutral(fields, len(image.getbands()))
    fill_colour = fill[0] if image.mode == "L" else fill
    if place.canvas != place.crop:
        canvas = Image.new(image.mode, scaled(place.canvas), fill_colour)
        canvas.paste(out, scaled(place.at, least=0))
        out = canvas
    if place.overlay is not None:
        # A logo is SDR artwork: the gain map must not brighten it with the photo beneath.
        mask = place.overlay.image.getchannel("A")
        mask = mask.resize(scaled(mask.size), Image.Resampling.BOX)
        left, top = scaled(place.overlay.at, least=0)
        out.paste(fill_colour, (left, top, left + mask.width, top + mask.height), mask)
    return out


# ---- writing ---------------------------------------------------------------------------------


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("an APP segment holds at most 65533 bytes")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _header_end(jpeg: bytes) -> int:
    """Where the leading APPn segments end: new APP segments go there, before the tables."""
    at = 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and 0xE0 <= jpeg[at + 1] <= 0xEF:
        at += 2 + struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
    return at


def _with_segments(jpeg: bytes, segments: bytes) -> bytes:
    at = _header_end(jpeg)
    return jpeg[:at] + segments + jpeg[at:]


def _xmp(attributes: str, body: str = "") -> bytes:
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    packet = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{rdf}">'
        f"<rdf:Description{attributes}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return XMP_ID + packet.encode("utf-8")


def primary_xmp(version: str, gain_map_length: int) -> bytes:
    """The primary's XMP: hdrgm:Version and the GContainer directory naming the gain map's length."""
    attributes = (
        ' xmlns:Container="http://ns.google.com/photos/1.0/container/"'
        ' xmlns:Item="http://ns.google.com/photos/1.0/container/item/"'
        f' xmlns:hdrgm="{HDRGM_NS}" hdrgm:Version="{_text(version)}"'
    )
    directory = (
        "<Container:Directory><rdf:Seq>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg"'
        f' Item:Length="{gain_map_length}"/></rdf:li>'
        "</rdf:Seq></Container:Directory>"
    )
    return _xmp(attributes, directory)


def gain_map_xmp(fields: dict[str, str | tuple[str, ...]]) -> bytes:
    """The gain map's XMP: the source's hdrgm values as written (resizing does not change them)."""
    attributes = f' xmlns:hdrgm="{HDRGM_NS}"'
    elements = ""
    for name, value in fields.items():
        if isinstance(value, tuple):
            items = "".join(f"<rdf:li>{_text(v)}</rdf:li>" for v in value)
            elements += f"<hdrgm:{name}><rdf:Seq>{items}</rdf:Seq></hdrgm:{name}>"
        else:
            attributes += f' hdrgm:{name}="{_text(value)}"'
    return _xmp(attributes, elements)


def _text(value: str) -> str:
    # Values come from an uploaded file: never let one close the attribute or open an element.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def encode(image: Image.Image, source: GainMapSource) -> bytes:
    """The variant's gain map JPEG, with its hdrgm XMP (and ISO 21496-1 metadata if the source had it)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=GAIN_MAP_QUALITY, optimize=True)
    segments = _segment(APP1, gain_map_xmp(source.fields))
    if source.iso_gain_map is not None:
        segments += _segment(APP2, ISO_ID + source.iso_gain_map)
    return _with_segments(buffer.getvalue(), segments)


def _mpf(primary_length: int, gain_map_length: int, gain_map_offset: int) -> bytes:
    """An MPF block (big-endian, as libultrahdr writes it) listing the primary and the gain map."""
    entries_at = 8 + 2 + 3 * 12 + 4
    ifd = struct.pack(">H", 3)
    ifd += struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")  # MPFVersion
    ifd += struct.pack(">HHII", 0xB001, 4, 1, 2)  # NumberOfImages
    ifd += struct.pack(">HHII", 0xB002, 7, 32, entries_at)  # MPEntry
    ifd += struct.pack(">I", 0)  # no next IFD
    entries = struct.pack(">IIIHH", MP_PRIMARY, primary_length, 0, 0, 0)
    entries += struct.pack(">IIIHH", 0, gain_map_length, gain_map_offset, 0, 0)
    return b"MM\x00*" + struct.pack(">I", 8) + ifd + entries


MPF_SEGMENT_LENGTH = 4 + len(MPF_ID) + len(_mpf(0, 0, 0))


def attach(primary: bytes, gain_map: bytes, source: GainMapSource) -> bytes:
    """An Ultra HDR JPEG: ``primary``'s bytes with the hdrgm XMP and MPF added, then ``gain_map``.

    The primary's scans are copied untouched. MPF offsets count from the MPF block's own start.
    """
    extra = _segment(APP1, primary_xmp(source.version, len(gain_map)))
    if source.iso_primary is not None:
        extra += _segment(APP2, ISO_ID + source.iso_primary)
    at = _header_end(primary)
    total = len(primary) + len(extra) + MPF_SEGMENT_LENGTH
    mpf_base = at + len(extra) + 4 + len(MPF_ID)
    mpf = _segment(APP2, MPF_ID + _mpf(total, len(gain_map), total - mpf_base))
    return primary[:at] + extra + mpf + primary[at:] + gain_map
