"""Default limits: today's phone photos render; full-size decodes answer to a limit of their own."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from engine_helpers import image_bytes
from PIL import Image, ImageDraw

from imgfan_core.engine import analyze, render_variant, shrink
from imgfan_core.engine.colour import normalize
from imgfan_core.engine.models import InputLimits
from imgfan_core.errors import ImageTooLarge
from imgfan_core.presets import load_presets_file

REPO = Path(__file__).resolve().parents[2]
RESIZER_MEMORY_MIB = 1536
# Upright sizes the repository's presets.json asks for, from a 4:3 landscape source.
EXPECTED_SIZES = {"thumb": (200, 200), "small": (480, 360), "medium": (1024, 768), "large": (2048, 1536),
                  "social": (1200, 630)}


def phone_jpeg(size: tuple[int, int]) -> bytes:
    """A flat picture with a few shapes at low quality: the pixel count of a phone photo in ~4 MB."""
    picture = Image.new("RGB", size, (90, 120, 160))
    draw = ImageDraw.Draw(picture)
    w, h = size
    draw.ellipse((w // 4, h // 4, w // 2, h // 2), fill=(230, 180, 40))
    draw.rectangle((w // 2, h // 2, w - w // 8, h - h // 8), fill=(30, 140, 60))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=20)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def repo_presets():
    return load_presets_file(REPO / "presets.json").config


@pytest.mark.parametrize("size", [(16320, 12240), (12000, 9000)], ids=["200MP", "108MP"])
def test_phone_photos_render_with_the_default_presets(size, repo_presets):
    data = phone_jpeg(size)
    limits, metadata = repo_presets.limits.to_spec(), repo_presets.metadata.to_spec()
    info = analyze(data, limits)
    assert (info.width, info.height) == size and info.placeholder["thumbhash"]
    for preset in repo_presets.presets:
        variant = render_variant(data, preset.to_spec(), limits, metadata)
        assert (variant.width, variant.height) == EXPECTED_SIZES[preset.name], preset.name


PEAK_CHILD = r"""
import sys
from imgfan_core.engine import analyze, render_variant
from imgfan_core.presets import load_presets_file
config = load_presets_file(sys.argv[1]).config
data = open(sys.argv[2], "rb").read()
analyze(data, config.limits.to_spec())
for preset in config.presets:
    render_variant(data, preset.to_spec(), config.limits.to_spec(), config.metadata.to_spec())
# This process's own high-water mark (ru_maxrss would include the parent's after fork+exec).
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def test_a_200_mp_jpeg_stays_far_below_the_resizers_memory(tmp_path):
    # Like a warm Lambda container that serves analyze and every preset, in a fresh process.
    source = tmp_path / "200mp.jpg"
    source.write_bytes(phone_jpeg((16320, 12240)))
    result = subprocess.run([sys.executable, "-c", PEAK_CHILD, str(REPO / "presets.json"), str(source)],
                            capture_output=True, text=True, check=True)
    peak_mib = int(result.stdout.split()[-1]) / 1024
    assert peak_mib < RESIZER_MEMORY_MIB / 4, f"{peak_mib:.0f} MiB"


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` RGBA and carries no pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_png_over_the_default_full_decode_limit_is_refused_from_its_header():
    with pytest.raises(ImageTooLarge) as refused:
        analyze(_png_header(10_000, 10_001), InputLimits())  # 100,010,000 pixels
    message = str(refused.value)
    assert "max_full_decode_pixels" in message and "100000000" in message and "PNG" in message


SMALL = InputLimits(max_input_pixels=1_000_000, max_full_decode_pixels=40_000)


@pytest.mark.parametrize(("fmt", "mode", "side", "allowed"), [
    ("PNG", "RGB", 200, True),     # 40,000 pixels: at the limit
    ("PNG", "RGB", 201, False),
    ("PNG", "RGBA", 141, True),    # alpha is resampled from a premultiplied copy: half, 20,000
    ("PNG", "RGBA", 142, False),
    ("WEBP", "RGB", 100, True),    # WebP's decoder needs 4x the memory: a quarter, 10,000 pixels
    ("WEBP", "RGB", 101, False),
    ("AVIF", "RGB", 141, True),    # AVIF: half, 20,000 pixels (141 x 141 = 19,881)
    ("AVIF", "RGB", 142, False),
])
def test_decoders_that_need_more_memory_get_a_share_of_the_limit(fmt, mode, side, allowed):
    data = image_bytes(Image.new(mode, (side, side), "teal"), fmt)
    if allowed:
        assert analyze(data, SMALL).width == side
        return
    with pytest.raises(ImageTooLarge, match="max_full_decode_pixels") as refused:
        analyze(data, SMALL)
    assert (fmt in str(refused.value)) and "\n" not in str(refused.value)


def test_a_progressive_jpeg_answers_to_the_full_decode_limit_and_a_baseline_one_does_not():
    picture = Image.new("RGB", (400, 300), "teal")  # 120,000 pixels, over 40,000
    assert analyze(image_bytes(picture, "JPEG"), SMALL).width == 400
    with pytest.raises(ImageTooLarge, match="progressive JPEG"):
        analyze(image_bytes(picture, "JPEG", progressive=True), SMALL)


def _busy(mode: str, size: tuple[int, int]) -> Image.Image:
    base = Image.linear_gradient("L").resize(size).rotate(17)
    if mode == "P":
        picture = Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), base)).quantize(32)
        picture.info["transparency"] = 3
        return picture
    if mode == "I;16":
        return base.convert("I").point(lambda v: v * 250).convert("I;16")
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    bands = [base, base.transpose(Image.Transpose.FLIP_TOP_BOTTOM), base.rotate(90), base.point(lambda v: 255 - v)]
    return Image.merge(mode, bands[:channels])


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "I;16"])
@pytest.mark.parametrize("needed", [(30, 20), (101, 67), (33, 200)])
def test_shrinking_band_by_band_equals_one_reduce_of_the_whole(mode, needed, monkeypatch):
    picture = _busy(mode, (301, 203))
    monkeypatch.setattr(shrink, "BAND_BYTES", 301 * 4 * 7)  # many bands, none a multiple of the whole
    factors = shrink.factors(picture.size, needed, 3.0)
    expected = normalize(picture).reduce(factors)
    banded = shrink.normalized_and_reduced(picture, needed, 3.0)
    assert banded.mode == expected.mode and banded.size == expected.size
    assert banded.tobytes() == expected.tobytes()


def test_the_repository_presets_spell_out_the_defaults():
    document = json.loads((REPO / "presets.json").read_text())
    assert InputLimits.from_dict(document["limits"]) == InputLimits()
