"""``palette: true`` (png): at most ``colours`` colours, alpha kept, far smaller than truecolour."""

from __future__ import annotations

import functools

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference, open_variant
from PIL import Image, ImageChops, ImageDraw, ImageStat

from imgfan_core.engine import render_variant
from imgfan_core.presets import Limits


@functools.cache
def flat_art() -> bytes:
    """A logo-like picture: flat shapes with anti-aliased edges on a transparent background."""
    big = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    draw.ellipse((64, 64, 960, 960), fill=(20, 90, 200, 255))
    draw.rectangle((300, 300, 724, 724), fill=(250, 200, 40, 255))
    draw.polygon([(512, 180), (840, 820), (184, 820)], fill=(220, 40, 60, 200))
    return image_bytes(big.resize((512, 512), Image.Resampling.LANCZOS), "PNG")


def photo() -> bytes:
    return fixture_bytes("DSCN0010.jpg")  # a 640x480 camera photo


def _render(data: bytes, **fields):
    return render_variant(data, make_preset(width=400, format="png", **fields).to_spec(), Limits().to_spec())


@pytest.mark.parametrize("source", [flat_art, photo], ids=["flat-art", "photo"])
def test_palette_png_is_mode_p_and_much_smaller(source):
    data = source()
    truecolour = _render(data)
    quantised = _render(data, palette=True)
    image = open_variant(quantised)
    assert image.mode == "P" and len(image.getcolors(256)) <= 256
    assert (quantised.width, quantised.height) == (truecolour.width, truecolour.height)
    assert len(quantised.data) < 0.5 * len(truecolour.data)
    # Still the same picture: a few levels of difference per channel at most, on average.
    assert mean_difference(image.convert("RGBA"), open_variant(truecolour)) < 6


def test_palette_keeps_alpha():
    truecolour = open_variant(_render(flat_art())).convert("RGBA").getchannel("A")
    quantised = open_variant(_render(flat_art(), palette=True))
    assert "transparency" in quantised.info  # a PNG tRNS chunk
    alpha = quantised.convert("RGBA").getchannel("A")
    assert alpha.getextrema() == (0, 255)
    # a corner outside the disc, and the disc below the triangle (the art is drawn at 512 px)
    assert alpha.getpixel((0, 0)) == 0 and alpha.getpixel((200, 360)) == 255
    # The semi-transparent triangle and the soft edges keep their partial alpha.
    assert ImageStat.Stat(ImageChops.difference(alpha, truecolour)).mean[0] < 4


@pytest.mark.parametrize("colours", [2, 16, 64])
def test_colours_caps_the_palette(colours):
    image = open_variant(_render(photo(), palette=True, colours=colours))
    assert len(image.getcolors(256)) <= colours


def test_dither_level_between_none_and_full():
    # A smooth gradient: without dithering, 8 colours make flat bands; with it, the error is
    # spread into a fine pattern, so neighbouring pixels differ far more often.
    gradient = image_bytes(Image.linear_gradient("L").resize((400, 100)).convert("RGB"), "PNG")

    def changes(dither: float) -> int:
        """How many pixels differ from their right-hand neighbour."""
        image = open_variant(_render(gradient, palette=True, colours=8, dither=dither)).convert("L")
        left = image.crop((0, 0, image.width - 1, image.height))
        right = image.crop((1, 0, image.width, image.height))
        return sum(1 for value in ImageChops.difference(left, right).get_flattened_data() if value)

    none, half, full = changes(0.0), changes(0.5), changes(1.0)
    assert none == 0  # the gradient runs top to bottom: without dithering every row is one colour
    assert 0 < half < full
