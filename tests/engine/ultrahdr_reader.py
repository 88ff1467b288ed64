"""A reader of Ultra HDR JPEG structure for tests, written from the specs, sharing no code with
``imgfan_core.engine.gainmap`` (CIPA DC-007 for MPF, Google's Ultra HDR format for the XMP).

It finds the primary's end by its EOI marker (an entropy-coded 0xFF is always followed by 0x00 or
a restart marker, so the first FFD9 after the scans ends the image), then checks MPF against it.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from PIL import Image


@dataclass
class UltraHdr:
    primary: bytes
    gain_map: bytes
    primary_segments: list[tuple[int, bytes]]
    gain_map_segments: list[tuple[int, bytes]]
    # (attribute, size, absolute offset) per MP entry
    mp_entries: list[tuple[int, int, int]]

    def xmp(self, segments: list[tuple[int, bytes]]) -> str:
        packets = [p for m, p in segments if m == 0xE1 and p.startswith(b"http://ns.adobe.com/xap/1.0/\0")]
        assert len(packets) == 1, f"expected one XMP packet, found {len(packets)}"
        return packets[0].split(b"\0", 1)[1].decode()

    def gain_map_image(self) -> Image.Image:
        image = Image.open(io.BytesIO(self.gain_map))
        image.load()
        return image


def segments_and_scan(jpeg: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """Every marker segment up to the first SOS, and where the SOS starts."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    found, i = [], 2
    while jpeg[i + 1] != 0xDA:
        assert jpeg[i] == 0xFF, f"marker expected at {i}"
        (n,) = struct.unpack(">H", jpeg[i + 2 : i + 4])
        found.append((jpeg[i + 1], jpeg[i + 4 : i + 2 + n]))
        i += 2 + n
    return found, i


def split(data: bytes) -> UltraHdr:
    """The primary and the gain map of an Ultra HDR JPEG, with the primary's MPF read and checked."""
    segments, scan = segments_and_scan(data)
    end = data.index(b"\xff\xd9", scan) + 2
    mpf = [(m, p) for m, p in segments if m == 0xE2 and p.startswith(b"MPF\0")]
    assert len(mpf) == 1, "the primary must carry one MPF segment"
    # MPF offsets count from the TIFF header just after "MPF\0": find where that is in the file.
    base = data.index(b"MPF\0") + 4
    entries = _mp_entries(mpf[0][1][4:], base)
    gain_map = data[end:]
    gm_segments, _ = segments_and_scan(gain_map)
    return UltraHdr(data[:end], gain_map, segments, gm_segments, entries)


def _mp_entries(tiff: bytes, base: int) -> list[tuple[int, int, int]]:
    endian = ">" if tiff[:4] == b"MM\0*" else "<"
    assert tiff[:4] in (b"MM\0*", b"II*\0")
    (first_ifd,) = struct.unpack(endian + "L", tiff[4:8])
    (count,) = struct.unpack(endian + "H", tiff[first_ifd : first_ifd + 2])
    tags = {}
    for k in range(count):
        at = first_ifd + 2 + 12 * k
        tag, kind, n = struct.unpack(endian + "HHL", tiff[at : at + 8])
        tags[tag] = (kind, n, tiff[at + 8 : at + 12])
    assert tags[0xB000][2] == b"0100", "MPFVersion"
    number = struct.unpack(endian + "L", tags[0xB001][2])[0]
    kind, n, where = tags[0xB002]
    assert (kind, n) == (7, 16 * number), "MPEntry is UNDEFINED, 16 bytes an image"
    (start,) = struct.unpack(endian + "L", where)
    out = []
    for k in range(number):
        attribute, size, offset, _, _ = struct.unpack(endian + "LLLHH", tiff[start + 16 * k : start + 16 * k + 16])
        out.append((attribute, size, 0 if k == 0 else base + offset))
    return out


def xmp_value(xmp: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', xmp)
    return match.group(1) if match else None
