"""EXIF orientation: all eight orientations give the same upright picture, and only small
pictures are turned (the resample runs on the stored pixels)."""

from __future__ import annotations

import random

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference, open_variant
from PIL import Image

from imgfan_core.engine import analyze, decode, geometry, render_variant


def _render(name: str, limits, **fields):
    return open_variant(render_variant(fixture_bytes(name), make_preset(**fields), limits))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    "fields",
    [
        {"width": 180, "fit": "inside"},  # draft at 1/8 scale, then turned
        {"width": 120, "height": 120, "fit": "cover", "position": "northwest"},  # crop after turning
        {"width": 1800, "fit": "inside", "format": "jpeg", "quality": 95},  # full-size decode, no draft
    ],
    ids=["inside", "cover-nw", "full"],
)
def test_every_orientation_matches_the_upright_reference(orientation, fields, limits):
    reference = _render("Landscape_0.jpg", limits, **fields)
    turned = _render(f"Landscape_{orientation}.jpg", limits, **fields)
    assert turned.size == reference.size
    # The JPEGs were encoded separately, so a few levels of noise remain; a wrong turn or
    # mirror puts the digit and the edge labels elsewhere and gives differences of 30+.
    assert mean_difference(turned, reference) < 6


def test_a_wrong_turn_would_be_noticed(limits):
    reference = _render("Landscape_0.jpg", limits, width=180)
    mirrored = reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert mean_difference(mirrored, reference) > 15


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_analyze_reports_upright_size(orientation, limits):
    info = analyze(fixture_bytes(f"Landscape_{orientation}.jpg"), limits)
    assert (info.width, info.height, info.orientation) == (1800, 1200, orientation)


def test_webp_exif_orientation(limits):
    info = analyze(fixture_bytes("hopper_orientation_6.webp"), limits)
    assert info.orientation == 6
    out = _render("hopper_orientation_6.webp", limits, width=64)
    source = Image.open(__import__("io").BytesIO(fixture_bytes("hopper_orientation_6.webp")))
    expected = source.convert("RGB").transpose(Image.Transpose.ROTATE_270).resize((64, 64))
    assert mean_difference(out, expected) < 6


def test_draft_accounts_for_axis_swap(limits):
    wide = Image.new("RGB", (2000, 1000), "gray")
    exif = Image.Exif()
    exif[decode.ORIENTATION_TAG] = 6
    data = image_bytes(wide, "JPEG", exif=exif.tobytes())
    image = decode.open_image(data, limits)
    # upright it is 1000x2000; 250x500 upright needs 500x250 stored: a 1/4 scale
    decode.draft(image, (250, 500), 6)
    assert image.size == (500, 250)


def test_draft_keeps_enough_pixels_for_cover(limits):
    data = image_bytes(Image.new("RGB", (4000, 1000), "gray"), "JPEG")
    image = decode.open_image(data, limits)
    # cover 200x200 scales the whole image to 800x200, so 800 columns must survive
    decode.draft(image, (800, 200), 1)
    assert image.size[0] >= 800 and image.size[1] >= 200
    assert image.size == (1000, 250)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_stored_box_holds_the_pixels_of_the_upright_box(orientation):
    rng = random.Random(orientation)
    stored = Image.effect_noise((37, 23), 60).convert("RGB")
    upright = decode.upright(stored, orientation)
    for _ in range(40):
        x0, y0 = rng.randrange(upright.width - 1), rng.randrange(upright.height - 1)
        box = (x0, y0, rng.randrange(x0 + 1, upright.width + 1), rng.randrange(y0 + 1, upright.height + 1))
        cut = geometry.stored_box(box, upright.size, orientation)
        turned = decode.upright(stored.crop(tuple(int(v) for v in cut)), orientation)
        assert turned.tobytes() == upright.crop(box).tobytes(), (box, cut)


@pytest.mark.parametrize(
    "fields",
    [
        {"width": 1000, "fit": "inside"},  # no DCT scale covers it: the decode is full size
        {"width": 300, "height": 300, "fit": "cover", "position": "attention"},  # scored on a proxy
        {"width": 400, "height": 300, "fit": "cover", "position": "entropy"},
    ],
    ids=["inside", "attention", "entropy"],
)
def test_only_the_resampled_picture_is_turned(fields, limits, monkeypatch):
    turned_sizes = []
    transpose = Image.Image.transpose

    def recording(image, method):
        turned_sizes.append(image.size)
        return transpose(image, method)

    monkeypatch.setattr(Image.Image, "transpose", recording)
    out = _render("Landscape_6.jpg", limits, **fields)
    analyze(fixture_bytes("Landscape_6.jpg"), limits)
    assert turned_sizes, "orientation 6 must be turned somewhere"
    # the variant, the analysis's 64 px picture and the 128 px strategy proxy: never the 1800x1200 decode
    assert max(max(size) for size in turned_sizes) <= max(max(out.size), 128)
