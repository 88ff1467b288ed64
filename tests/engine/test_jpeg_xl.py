"""JPEG XL variants (``format: "jxl"``), read back with an independent decoder.

The engine writes JPEG XL with libjxl 0.11 through imagecodecs. The files are read here with
Debian's ``djxl``/``jxlinfo`` (libjxl-tools 0.7, a separate build of an older libjxl), never
with the encoder's own package, so a file only passes if another reader agrees. ``make test``
installs libjxl-tools the way it installs Chromium; without it these tests fail, they do not skip.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference
from PIL import Image, ImageOps

from imgfan.cli import main
from imgfan_core.engine import encode, render_variant
from imgfan_core.engine.models import MetadataSpec
from imgfan_core.presets import Limits

CODESTREAM = b"\xff\x0a"
CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
ARTIST, COPYRIGHT, GPS_IFD, ORIENTATION = 0x013B, 0x8298, 0x8825, 0x0112


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: Debian's libjxl-tools provides it ('make test' installs it)"
    return path


def djxl(data: bytes, tmp_path: Path) -> Image.Image:
    """The variant decoded by Debian's djxl to a PNG, as Pillow reads that PNG."""
    source, decoded = tmp_path / "variant.jxl", tmp_path / "decoded.png"
    source.write_bytes(data)
    subprocess.run([_tool("djxl"), str(source), str(decoded)], check=True, capture_output=True)
    image = Image.open(decoded)
    image.load()
    return image


def jxlinfo(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "info.jxl"
    source.write_bytes(data)
    return subprocess.run([_tool("jxlinfo"), "-v", str(source)], check=True, capture_output=True,
                          text=True).stdout


def boxes(data: bytes) -> dict[bytes, bytes]:
    """The top-level ISO BMFF boxes of a JPEG XL container, type -> payload (plain 32-bit sizes)."""
    found, offset = {}, 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        found[kind] = data[offset + 8:offset + size]
        offset += size
    return found


def upright(name: str) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(io.BytesIO(fixture_bytes(name)))).convert("RGB")


def render(data: bytes, metadata: MetadataSpec = MetadataSpec(), **preset):
    return render_variant(data, make_preset(format="jxl", **preset).to_spec(), Limits().to_spec(), metadata)


@pytest.mark.parametrize("name", ["Landscape_0.jpg", "Landscape_6.jpg", "DSCN0010.jpg"])
def test_a_photo_becomes_a_jxl_that_djxl_reads_at_the_variant_size(name, tmp_path):
    source = upright(name)
    variant = render(fixture_bytes(name), width=320)
    expected = (320, round(320 * source.height / source.width))
    assert (variant.format, variant.content_type) == ("jxl", "image/jxl")
    assert variant.data.startswith(CODESTREAM)  # no metadata kept: a bare codestream
    decoded = djxl(variant.data, tmp_path)
    assert decoded.size == (variant.width, variant.height) == expected
    # The right picture, upright (Landscape_6 is stored turned, orientation 6): close to the
    # source resized, far from it upside down.
    reference = source.resize(expected, Image.Resampling.LANCZOS)
    error = mean_difference(decoded, reference)
    assert error < 10 and error * 4 < mean_difference(decoded, reference.transpose(Image.Transpose.ROTATE_180))


def test_the_codestream_says_srgb_and_carries_no_profile(tmp_path):
    info = jxlinfo(render(fixture_bytes("Landscape_0.jpg"), width=200).data, tmp_path)
    assert "lossy" in info and "sRGB transfer function" in info and "sRGB primaries" in info
    assert "Orientation: 1" in info


def test_a_wide_gamut_photo_is_converted_to_srgb_like_the_other_formats(tmp_path):
    # ProPhoto RGB values read as sRGB are far off (tests/engine/test_colour.py), so a variant
    # that skipped the conversion would sit near the untouched values, not the PNG variant's.
    data = fixture_bytes("countergirl-prophoto.jpg")
    jxl_pixels = djxl(render(data, width=200, quality=95).data, tmp_path)
    png = Image.open(io.BytesIO(render_variant(data, make_preset(width=200, format="png").to_spec(),
                                               Limits().to_spec()).data)).convert("RGB")
    untouched = Image.open(io.BytesIO(data)).convert("RGB").resize(png.size, Image.Resampling.LANCZOS)
    assert mean_difference(jxl_pixels, png) * 2 < mean_difference(jxl_pixels, untouched)


def test_a_higher_quality_writes_more_bytes_and_closer_pixels(tmp_path):
    data = fixture_bytes("Landscape_0.jpg")
    reference = Image.open(io.BytesIO(render_variant(data, make_preset(width=480, format="png").to_spec(),
                                                     Limits().to_spec()).data))
    sizes, errors = [], []
    for quality in (20, 40, 60, 80, 95):
        variant = render(data, width=480, quality=quality)
        sizes.append(len(variant.data))
        errors.append(mean_difference(djxl(variant.data, tmp_path), reference))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), sizes
    assert errors[-1] < errors[0] / 2, errors


def test_effort_reaches_the_encoder(tmp_path):
    data = fixture_bytes("Landscape_0.jpg")
    fast, slow = render(data, width=480, quality=60, effort=1), render(data, width=480, quality=60, effort=7)
    assert len(fast.data) > len(slow.data)
    assert djxl(fast.data, tmp_path).size == djxl(slow.data, tmp_path).size == (fast.width, fast.height)


def test_exif_and_gps_are_stripped_by_default(tmp_path):
    data = fixture_bytes("DSCN0010.jpg")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the source has a location
    variant = render(data, width=200)
    assert variant.data.startswith(CODESTREAM) and b"Exif" not in variant.data
    assert "box:" not in jxlinfo(variant.data, tmp_path)  # nothing but the codestream
    assert b"NIKON" not in variant.data


def _credited_photo() -> bytes:
    photo = Image.open(io.BytesIO(fixture_bytes("DSCN0010.jpg")))
    exif = photo.getexif()
    exif[ARTIST], exif[COPYRIGHT] = "Ann Author", "(c) 2026 Ann Author"
    return image_bytes(photo, "JPEG", quality=90, exif=exif.tobytes())


@pytest.mark.parametrize("metadata", [MetadataSpec(keep=("copyright",)), MetadataSpec(strip=False)],
                         ids=["keep-copyright", "strip-false"])
def test_kept_exif_is_an_exif_box_without_gps_and_upright(metadata, tmp_path):
    variant = render(_credited_photo(), metadata, width=200)
    assert variant.data.startswith(CONTAINER)
    assert 'box: type: "Exif"' in jxlinfo(variant.data, tmp_path)
    payload = boxes(variant.data)[b"Exif"]
    assert payload[:4] == b"\x00\x00\x00\x00"  # offset of the TIFF header
    exif = Image.Exif()
    exif.load(payload[4:])
    assert (exif.get(ARTIST), exif.get(COPYRIGHT)) == ("Ann Author", "(c) 2026 Ann Author")
    assert GPS_IFD not in exif
    assert exif.get(ORIENTATION) in (None, 1)
    assert djxl(variant.data, tmp_path).size == (variant.width, variant.height)


def test_transparency_is_kept(tmp_path):
    picture = Image.new("RGBA", (120, 80), (200, 30, 30, 255))
    picture.paste((0, 0, 0, 0), (0, 0, 60, 80))
    variant = render(image_bytes(picture, "PNG"), width=120, quality=90)
    decoded = djxl(variant.data, tmp_path)
    assert "A" in decoded.getbands()
    alpha = decoded.getchannel("A")
    assert alpha.crop((0, 0, 50, 80)).getextrema() == (0, 0)
    assert alpha.crop((70, 0, 120, 80)).getextrema()[0] > 240


def test_an_animated_source_gives_its_first_frame_like_the_other_still_formats(tmp_path):
    data = fixture_bytes("iss634.gif")
    assert Image.open(io.BytesIO(data)).n_frames > 1
    variant = render(data, width=100, quality=90)
    assert "have_animation: 0" in jxlinfo(variant.data, tmp_path)
    first = Image.open(io.BytesIO(data)).convert("RGB").resize((100, 100), Image.Resampling.LANCZOS)
    assert mean_difference(djxl(variant.data, tmp_path), first) < 8


def test_quality_auto_searches_jxl_too(tmp_path):
    data = fixture_bytes("Landscape_0.jpg")
    low = render(data, width=480, quality={"target": 50})
    high = render(data, width=480, quality={"target": 85})
    assert len(low.data) < len(high.data)
    assert djxl(high.data, tmp_path).size == (480, high.height)


def test_the_encoder_refuses_a_profile_it_cannot_embed():
    icc = Image.open(io.BytesIO(fixture_bytes("countergirl-p3.jpg"))).info["icc_profile"]
    with pytest.raises(ValueError, match="sRGB"):
        encode.encode(Image.new("RGB", (8, 8)), "jxl", 75, None, icc)


def test_imgfan_render_writes_jxl_files_and_a_srcset_of_their_own(tmp_path, capsys):
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps({"presets": [
        {"name": "small", "width": 240, "format": "jxl"},
        {"name": "medium", "width": 480, "format": "jxl", "quality": 60, "effort": 5},
        {"name": "medium-webp", "width": 480, "format": "webp"},
    ]}))
    out = tmp_path / "out"
    assert main(["render", str(Path(__file__).parents[1] / "fixtures" / "engine" / "Landscape_0.jpg"),
                 "--presets", str(presets), "--out", str(out)]) == 0
    folder = out / "Landscape_0.jpg"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["srcset"]["jxl"] == "small.jxl 240w, medium.jxl 480w"
    assert manifest["srcset"]["webp"] == "medium-webp.webp 480w"
    variants = {v["preset"]: v for v in manifest["variants"]}
    assert variants["small"]["content_type"] == "image/jxl" and variants["small"]["format"] == "jxl"
    for name in ("small", "medium"):
        written = (folder / f"{name}.jxl").read_bytes()
        assert len(written) == variants[name]["bytes"]
        assert djxl(written, tmp_path).size == (variants[name]["width"], variants[name]["height"])
