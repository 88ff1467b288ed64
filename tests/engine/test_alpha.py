"""Alpha: flattened onto the preset background for jpeg, kept for png/webp/avif."""

from __future__ import annotations

import io

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, open_variant
from PIL import Image

from imgfan_core.engine import analyze, render_variant


def _half_transparent() -> bytes:
    image = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 100, 100))  # transparent *black*: the classic trap
    return image_bytes(image, "PNG")


@pytest.mark.parametrize("background", ["#00ff00", "#ffffff", "#336699"])
def test_rgba_to_jpeg_uses_the_background(background, limits):
    preset = make_preset(width=100, format="jpeg", background=background)
    out = open_variant(render_variant(_half_transparent(), preset, limits))
    assert out.mode == "RGB"
    expected = tuple(int(background[i : i + 2], 16) for i in (1, 3, 5))
    left = out.getpixel((10, 25))
    assert all(abs(a - b) <= 4 for a, b in zip(left, expected)), left
    right = out.getpixel((90, 25))
    assert right[0] > 240 and right[1] < 20


def test_background_alpha_is_ignored_for_jpeg(limits):
    preset = make_preset(width=100, format="jpeg", background="#ff000000")
    out = open_variant(render_variant(_half_transparent(), preset, limits))
    assert out.getpixel((10, 25))[0] > 240  # red, not black


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_alpha_kept_for_alpha_formats(fmt, limits):
    out = open_variant(render_variant(_half_transparent(), make_preset(width=100, format=fmt), limits))
    assert out.mode in ("RGBA", "LA")
    assert out.getchannel("A").getpixel((10, 25)) < 10
    assert out.getchannel("A").getpixel((90, 25)) > 245


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_palette_transparency_kept(fmt, limits):
    data = fixture_bytes("p_trns_single.png")
    source = Image.open(io.BytesIO(data))
    assert source.mode == "P" and "transparency" in source.info
    source_alpha = source.convert("RGBA").getchannel("A")
    out = open_variant(render_variant(data, make_preset(width=64, format=fmt), limits))
    assert out.mode == "RGBA"
    alpha = out.getchannel("A")
    transparent = sum(1 for v in source_alpha.get_flattened_data() if v == 0)
    assert transparent > 0
    assert abs(sum(1 for v in alpha.get_flattened_data() if v < 128) - transparent) <= transparent * 0.05
    assert analyze(data, limits).has_alpha


def test_la_png(limits):
    data = fixture_bytes("uncompressed_la.png")
    out = open_variant(render_variant(data, make_preset(width=64, format="png"), limits))
    assert out.mode == "LA" and out.size == (64, 64)
    webp = open_variant(render_variant(data, make_preset(width=64, format="webp"), limits))
    assert webp.mode == "RGBA"


def test_opaque_alpha_is_dropped(limits):
    data = image_bytes(Image.new("RGBA", (50, 50), (10, 20, 30, 255)), "PNG")
    out = open_variant(render_variant(data, make_preset(width=50, format="png"), limits))
    assert out.mode == "RGB"


def test_contain_letterbox_uses_background(limits):
    data = image_bytes(Image.new("RGB", (200, 100), (255, 0, 0)), "PNG")
    preset = make_preset(width=100, height=100, fit="contain", format="png", background="#0000ff")
    out = open_variant(render_variant(data, preset, limits))
    assert out.size == (100, 100)
    assert out.convert("RGB").getpixel((50, 5)) == (0, 0, 255)
    assert out.convert("RGB").getpixel((50, 50)) == (255, 0, 0)


def test_contain_with_transparent_background_for_png(limits):
    data = image_bytes(Image.new("RGB", (200, 100), (255, 0, 0)), "PNG")
    preset = make_preset(width=100, height=100, fit="contain", format="png", background="#00000000")
    out = open_variant(render_variant(data, preset, limits))
    assert out.mode == "RGBA" and out.getpixel((50, 5))[3] == 0


def test_avif_input_with_alpha(limits):
    data = fixture_bytes("transparency.avif")
    info = analyze(data, limits)
    assert info.format == "avif" and info.has_alpha
    out = open_variant(render_variant(data, make_preset(width=32, format="original"), limits))
    assert out.format == "AVIF" and out.mode == "RGBA"
