"""ThumbHash: byte-identical to the reference encoder, and in every analysed source's placeholder."""

from __future__ import annotations

import base64
import json
import math

import pytest
from engine_helpers import FIXTURES, fixture_bytes
from PIL import Image, ImageStat

from imgfan.cli import main
from imgfan_core.engine import analyze
from imgfan_core.engine.thumbhash import rgba_to_thumbhash, thumbhash_base64
from imgfan_core.presets import Limits


def _gradient() -> tuple[int, int, list[int]]:
    w, h = 32, 24
    return w, h, [v for y in range(h) for x in range(w) for v in (x * 8, y * 10, (x * y) % 256, 255)]


def _alpha_disc() -> tuple[int, int, list[int]]:
    w, h = 20, 30
    pixels: list[int] = []
    for y in range(h):
        for x in range(w):
            distance = math.hypot(x - 9.5, y - 14.5)
            pixels += [200, 40 + 5 * y, 90, max(0, min(255, int(255 - 20 * distance)))]
    return w, h, pixels


def _rounding_tie() -> tuple[int, int, list[int]]:
    """30 of 100 pixels opaque: the alpha DC is 0.3 and 15 x 0.3 = 4.5, which JS rounds up."""
    pixels: list[int] = []
    for i in range(100):
        pixels += [2 * i, 200 - i, (37 * i) % 256, 255 if i < 30 else 0]
    return 10, 10, pixels


def _fixture(name: str, size: tuple[int, int]) -> tuple[int, int, list[int]]:
    image = Image.open(FIXTURES / name).convert("RGBA").resize(size, Image.Resampling.BOX)
    return size[0], size[1], list(image.tobytes())


# What evanw/thumbhash's reference encoder (js/thumbhash.js, rgbaToThumbHash, at commit a652ce6,
# run with Node 20; base64 as Buffer.toString('base64')) returns for exactly these pixels.
REFERENCE = [
    (_gradient, "2xgOHZpgdodwiIiGiGeIh/OkD/eI"),
    (_alpha_disc, "IaqCAwIkeIF693h4gIj3eEh4iIiAiYg="),
    (_rounding_tie, "28eADQJFJXtXk2QjBviIOVgDeIiPh4yIaA=="),
    (lambda: _fixture("Landscape_0.jpg", (100, 67)), "HdcJFYJNPImvaJiKlYiGVsJAAh0V"),
    (lambda: _fixture("iss634.webp", (32, 32)), "XvkJJwr1eWdic3mEdmiJl4iIRw9l1GAF"),
    (lambda: _fixture("transparency.avif", (32, 32)), "oIeBhSAs6ACHNm0dE46vWFmf2IeId39zVw=="),
]


@pytest.mark.parametrize(("pixels", "expected"), REFERENCE,
                         ids=["gradient", "alpha-disc", "rounding-tie", "photo", "webp", "avif-alpha"])
def test_same_bytes_as_the_reference_encoder(pixels, expected):
    assert thumbhash_base64(*pixels()) == expected


def test_more_than_100_pixels_a_side_is_refused():
    with pytest.raises(ValueError, match="100x100"):
        rgba_to_thumbhash(101, 1, [0, 0, 0, 255] * 101)


def _average_rgb(hash_bytes: bytes) -> tuple[float, float, float]:
    """The reference decoder's average colour (thumbHashToAverageRGBA), 0..1."""
    header = hash_bytes[0] | (hash_bytes[1] << 8) | (hash_bytes[2] << 16)
    l = (header & 63) / 63
    p = ((header >> 6) & 63) / 31.5 - 1
    q = ((header >> 12) & 63) / 31.5 - 1
    b = l - 2 / 3 * p
    r = (3 * l - b + q) / 2
    return r, r - q, b


@pytest.mark.parametrize("name", ["Landscape_0.jpg", "Landscape_5.jpg", "DSCN0010.jpg"])
def test_analyze_puts_a_thumbhash_of_the_upright_picture_in_the_placeholder(name):
    info = analyze(fixture_bytes(name), Limits().to_spec())
    hashed = base64.b64decode(info.placeholder["thumbhash"])
    assert 5 <= len(hashed) <= 25
    has_alpha, is_landscape = bool(hashed[2] & 0x80), bool(hashed[4] & 0x80)
    assert not has_alpha and is_landscape == (info.width > info.height)
    mean = ImageStat.Stat(Image.open(FIXTURES / name).convert("RGB")).mean
    for decoded, actual in zip(_average_rgb(hashed), mean):
        assert abs(decoded - actual / 255) < 0.05


def test_a_transparent_source_gets_a_hash_with_alpha():
    info = analyze(fixture_bytes("transparency.avif"), Limits().to_spec())
    assert base64.b64decode(info.placeholder["thumbhash"])[2] & 0x80


def test_render_writes_the_thumbhash_into_the_manifest(tmp_path):
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps({"presets": [{"name": "small", "width": 64}]}))
    code = main(["render", str(FIXTURES / "DSCN0010.jpg"), "--presets", str(presets), "--out", str(tmp_path / "out")])
    manifest = json.loads((tmp_path / "out" / "DSCN0010.jpg" / "manifest.json").read_text())
    assert code == 0
    expected = analyze(fixture_bytes("DSCN0010.jpg"), Limits().to_spec()).placeholder["thumbhash"]
    assert manifest["placeholder"]["thumbhash"] == expected
