"""Ultra HDR sources: JPEG variants keep the gain map, resized like the picture; other outputs drop it.

The fixture ``gain-map.jpg`` (lovell/sharp) is 3840x2160 with a 960x540 greyscale gain map (a
quarter a side) whose XMP says GainMapMin 0, GainMapMax 6.64386, Gamma 1 (read with exiftool).
Structure is checked with ``ultrahdr_reader``, which shares no code with the engine.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import pytest
from engine_helpers import fixture_bytes, image_bytes, mean_difference
from PIL import Image
from ultrahdr_reader import segments_and_scan, split, xmp_value

from imgfan_core.engine import OverlayImage, OverlaySpec, RenderSpec, analyze, render_variant
from imgfan_core.engine.models import InputLimits, MetadataSpec

SOURCE = fixture_bytes("gain-map.jpg")
LIMITS = InputLimits()
SOURCE_MAP = split(SOURCE).gain_map_image()
COVER = RenderSpec("thumb", 400, 400, fit="cover", format="jpeg")


def _render(spec: RenderSpec, source: bytes = SOURCE, **options):
    return render_variant(source, spec, LIMITS, **options)


def _with_app1(data: bytes, payload: bytes) -> bytes:
    """``data`` with an APP1 segment inserted right after SOI (before the XMP and MPF segments, so
    the MPF offsets, which count from the MPF block, stay right)."""
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def _rotated_source(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _with_app1(SOURCE, b"Exif\0\0" + exif.tobytes())


def test_analysis_says_the_source_is_hdr_and_a_plain_jpeg_is_not():
    assert analyze(SOURCE, LIMITS).hdr == "gain-map"
    assert analyze(fixture_bytes("DSCN0010.jpg"), LIMITS).hdr is None
    assert analyze(fixture_bytes("iss634.webp"), LIMITS).hdr is None


def test_a_jpeg_variant_is_an_ultra_hdr_jpeg_with_mpf_pointing_at_its_gain_map():
    variant = _render(COVER)
    assert variant.gain_map is True
    hdr = split(variant.data)
    (a1, size1, start1), (a2, size2, start2) = hdr.mp_entries
    assert (a1 & 0x00FFFFFF, size1, start1) == (0x030000, len(hdr.primary), 0)  # baseline MP primary
    assert (a2, size2, start2) == (0, len(hdr.gain_map), len(hdr.primary))
    assert start2 + size2 == len(variant.data)
    primary_xmp = hdr.xmp(hdr.primary_segments)
    assert xmp_value(primary_xmp, "hdrgm:Version") == "1.0"
    assert 'Item:Semantic="Primary"' in primary_xmp and 'Item:Semantic="GainMap"' in primary_xmp
    assert xmp_value(primary_xmp, "Item:Length") == str(len(hdr.gain_map))


def test_the_gain_map_keeps_the_source_metadata_values():
    gain_map_xmp = (hdr := split(_render(COVER).data)).xmp(hdr.gain_map_segments)
    expected = {"Version": "1.0", "GainMapMin": "0", "GainMapMax": "6.64386", "Gamma": "1", "OffsetSDR": "0",
                "OffsetHDR": "0", "HDRCapacityMin": "0", "HDRCapacityMax": "6.64386", "BaseRenditionIsHDR": "False"}
    assert {name: xmp_value(gain_map_xmp, f"hdrgm:{name}") for name in expected} == expected
    assert "Container:Directory" not in gain_map_xmp


def test_the_gain_map_is_the_source_map_cut_and_scaled_like_the_picture():
    hdr = split(_render(COVER).data)
    got = hdr.gain_map_image()
    assert (got.mode, got.size) == ("L", (100, 100))  # a quarter of 400x400, one channel
    # cover keeps the centre 2160x2160 of 3840x2160: x 840-3000, which is 210-750 in the map
    expected = SOURCE_MAP.crop((210, 0, 750, 540)).resize((100, 100), Image.Resampling.LANCZOS)
    assert mean_difference(got, expected) < 2
    # not the picture itself in grey, and not the uncropped map squeezed
    primary = Image.open(io.BytesIO(hdr.primary)).convert("L").resize((100, 100))
    assert mean_difference(got, primary) > 15
    assert mean_difference(got, SOURCE_MAP.resize((100, 100))) > 5


@pytest.mark.parametrize(("orientation", "turn"), [(6, Image.Transpose.ROTATE_270), (3, Image.Transpose.ROTATE_180)])
def test_the_gain_map_turns_with_the_exif_orientation(orientation, turn):
    variant = _render(RenderSpec("t", 480, format="jpeg"), _rotated_source(orientation))
    got = split(variant.data).gain_map_image()
    upright = SOURCE_MAP.transpose(turn)
    assert abs(got.width - variant.width / 4) <= 1 and abs(got.height - variant.height / 4) <= 1
    assert mean_difference(got, upright.resize(got.size, Image.Resampling.LANCZOS)) < 2
    assert mean_difference(got, SOURCE_MAP.resize(got.size)) > 10


def test_a_letterbox_gets_no_boost_in_the_gain_map():
    variant = _render(RenderSpec("t", 400, 400, fit="contain", format="jpeg"))
    got = split(variant.data).gain_map_image()
    assert got.size == (100, 100)
    # the picture is 400x225 in the middle: map rows 0-21 and 78-99 are letterbox, GainMapMin 0 -> 0
    # (rows 16-23 share JPEG blocks with the picture's edge, so they ring a little)
    assert got.crop((0, 0, 100, 16)).getextrema() == (0, 0)
    assert got.crop((0, 80, 100, 100)).getextrema() == (0, 0)
    expected = SOURCE_MAP.resize((100, 56), Image.Resampling.LANCZOS)
    assert mean_difference(got.crop((0, 22, 100, 78)), expected) < 3


def test_an_overlay_gets_no_boost_in_the_gain_map():
    logo = OverlayImage(image_bytes(Image.new("RGBA", (100, 100), (255, 0, 0, 255)), "PNG"))
    spec = RenderSpec("t", 800, format="jpeg", overlay=OverlaySpec("logo.png", position="center", width=0.25, margin=0))
    got = split(_render(spec, overlay=logo).data).gain_map_image()
    # the 200x200 logo covers 300-500 x 125-325, which is 75-125 x 31-81 in the 200x112 map
    assert got.crop((78, 34, 122, 78)).getextrema()[1] <= 4
    assert SOURCE_MAP.resize(got.size).crop((78, 34, 122, 78)).getextrema()[1] > 60


def test_the_primary_is_todays_variant_byte_for_byte():
    kept = _render(COVER).data
    dropped = _render(RenderSpec("thumb", 400, 400, fit="cover", format="jpeg", gain_map="drop"))
    primary = split(kept).primary
    # removing exactly the XMP and MPF segments that were added must give the SDR-only bytes back
    segments, _ = segments_and_scan(primary)
    added = [b"\xff" + bytes([m]) + struct.pack(">H", len(p) + 2) + p for m, p in segments
             if p.startswith((b"MPF\0", b"http://ns.adobe.com/xap/1.0/\0"))]
    assert len(added) == 2
    for segment in added:
        primary = primary.replace(segment, b"", 1)
    assert primary == dropped.data
    assert dropped.gain_map is False and b"hdrgm" not in dropped.data and b"MPF\0" not in dropped.data


@pytest.mark.parametrize("fmt", ["webp", "png", "avif"])
def test_other_formats_drop_the_gain_map(fmt):
    variant = _render(RenderSpec("t", 200, format=fmt))
    assert variant.gain_map is False
    assert b"hdrgm" not in variant.data and b"MPF\0" not in variant.data
    assert Image.open(io.BytesIO(variant.data)).width == 200


def test_original_format_of_an_ultra_hdr_source_is_an_ultra_hdr_jpeg():
    variant = _render(RenderSpec("t", 640))
    assert variant.format == "jpeg" and variant.gain_map is True
    assert split(variant.data).gain_map_image().size == (160, 90)


def _primary_xmp_replaced(old: bytes, new: bytes) -> bytes:
    """The source with its primary XMP edited (the segment grows, and MPF, which counts from its
    own block, moves with the gain map)."""
    assert SOURCE[2:4] == b"\xff\xe1" and old in SOURCE[:1000]
    patched = SOURCE.replace(old, new, 1)
    (length,) = struct.unpack(">H", SOURCE[4:6])
    return patched[:4] + struct.pack(">H", length + len(new) - len(old)) + patched[6:]


def test_no_other_source_xmp_reaches_the_variant():
    version = b' hdrgm:Version="1.0"'
    patched = _primary_xmp_replaced(version, b' xmlns:exif="http://ns.adobe.com/exif/1.0/" '
                                             b'exif:GPSLatitude="52,22.1N"' + version)
    assert analyze(patched, LIMITS).hdr == "gain-map"
    variant = _render(COVER, patched, metadata=MetadataSpec(strip=False))
    assert variant.gain_map is True and b"GPSLatitude" not in variant.data and b"52,22" not in variant.data


def test_hdrgm_written_as_elements_is_found_too():
    # Pillow opens this one as MPO: its check for Ultra HDR looks for the attribute form only
    patched = _primary_xmp_replaced(b'\n      hdrgm:Version="1.0">', b">\n      <hdrgm:Version>1.0</hdrgm:Version>")
    info = analyze(patched, LIMITS)
    assert (info.format, info.hdr) == ("mpo", "gain-map")
    hdr = split(_render(COVER, patched).data)
    assert xmp_value(hdr.xmp(hdr.primary_segments), "hdrgm:Version") == "1.0"
    assert hdr.gain_map_image().size == (100, 100)


def test_a_gain_map_whose_values_are_not_numbers_is_not_one():
    # the same length, so MPF still points at the map
    patched = SOURCE.replace(b'hdrgm:GainMapMax="6.64386"', b'hdrgm:GainMapMax="bright!"', 1)
    assert patched != SOURCE
    assert analyze(patched, LIMITS).hdr is None
    assert _render(COVER, patched).gain_map is False


def test_a_damaged_gain_map_costs_the_hdr_rendition_not_the_variant():
    variant = _render(COVER, SOURCE[:-20000])
    assert variant.gain_map is False and b"MPF\0" not in variant.data
    assert Image.open(io.BytesIO(variant.data)).size == (400, 400)


def test_plain_jpegs_never_import_the_gain_map_module(tmp_path):
    (tmp_path / "in.jpg").write_bytes(fixture_bytes("DSCN0010.jpg"))
    probe = (
        "import sys\n"
        "from imgfan_core.engine import render_variant, analyze, RenderSpec, InputLimits\n"
        f"data = open({str(tmp_path / 'in.jpg')!r}, 'rb').read()\n"
        "analyze(data, InputLimits()); render_variant(data, RenderSpec('a', 64, format='jpeg'), InputLimits())\n"
        "print('imgfan_core.engine.gainmap' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]
