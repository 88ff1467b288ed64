"""Crop positions: compass gravities and the entropy/attention strategies."""

from __future__ import annotations

import pytest
from engine_helpers import image_bytes, make_preset, open_variant
from PIL import Image, ImageDraw

from imgfan_core.engine import render_variant
from imgfan_core.engine.position import gravity_offset, strategy_offset


@pytest.mark.parametrize(
    ("position", "expected"),
    [("center", (50, 20)), ("north", (50, 0)), ("southeast", (100, 40)), ("west", (0, 20)),
     ("northwest", (0, 0))],
)
def test_gravity_offset(position, expected):
    assert gravity_offset((100, 40), position) == expected


def _halves(left: str, right: str) -> Image.Image:
    image = Image.new("RGB", (400, 100), left)
    image.paste(right, (200, 0, 400, 100))
    return image


@pytest.mark.parametrize(("position", "colour"), [("west", (255, 0, 0)), ("east", (0, 0, 255)),
                                                  ("center", None)])
def test_gravity_crop(position, colour, limits):
    data = image_bytes(_halves("red", "blue"), "PNG")
    out = open_variant(render_variant(data, make_preset(width=100, height=100, fit="cover",
                                                        position=position), limits))
    assert out.size == (100, 100)
    if colour:
        assert out.convert("RGB").getpixel((50, 50)) == colour


def _detail_on_the_right() -> Image.Image:
    image = Image.new("RGB", (600, 200), (128, 128, 128))
    draw = ImageDraw.Draw(image)
    for x in range(420, 600, 6):
        for y in range(0, 200, 6):
            draw.rectangle((x, y, x + 2, y + 2), fill=((x * 7) % 256, (y * 5) % 256, (x + y) % 256))
    return image


def test_entropy_finds_detail(limits):
    image = _detail_on_the_right()
    offset = strategy_offset(image, (600, 200), (200, 200), "entropy")
    assert offset[0] >= 380
    out = open_variant(render_variant(image_bytes(image, "PNG"), make_preset(
        width=200, height=200, fit="cover", position="entropy"), limits))
    low, high = out.convert("L").getextrema()
    assert high - low > 100


def test_attention_finds_the_saturated_subject(limits):
    image = Image.new("RGB", (600, 200), (120, 120, 120))
    ImageDraw.Draw(image).ellipse((40, 40, 160, 160), fill=(230, 20, 30))
    offset = strategy_offset(image, (600, 200), (200, 200), "attention")
    assert offset[0] <= 60
    out = open_variant(render_variant(image_bytes(image, "PNG"), make_preset(
        width=100, height=100, fit="cover", position="attention"), limits)).convert("RGB")
    r, g, _b = out.getpixel((50, 50))
    assert r > 200 and g < 60


def test_attention_prefers_skin_tones(limits):
    image = Image.new("RGB", (600, 200), (100, 110, 120))
    ImageDraw.Draw(image).rectangle((440, 40, 560, 160), fill=(224, 172, 140))  # a skin tone
    offset = strategy_offset(image, (600, 200), (200, 200), "attention")
    assert offset[0] >= 360


@pytest.mark.parametrize("strategy", ["entropy", "attention"])
def test_flat_image_stays_centred(strategy):
    image = Image.new("RGB", (600, 200), (90, 90, 90))
    assert strategy_offset(image, (600, 200), (200, 200), strategy) == pytest.approx((200, 0))


@pytest.mark.parametrize("strategy", ["entropy", "attention"])
def test_vertical_slack(strategy):
    image = _detail_on_the_right().transpose(Image.Transpose.ROTATE_90)  # detail at the top
    offset = strategy_offset(image, (200, 600), (200, 200), strategy)
    assert offset[0] == 0 and offset[1] <= 20
