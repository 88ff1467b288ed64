"""Animated input: first frame by default, all frames for webp/gif with 'animate', frame limit."""

from __future__ import annotations

import io

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference
from PIL import Image

from imgfan_core.engine import analyze, render_variant
from imgfan_core.errors import ImageTooLarge
from imgfan_core.presets import Limits


def _apng() -> bytes:
    frames = [Image.new("RGBA", (60, 40), colour) for colour in ((255, 0, 0, 255), (0, 255, 0, 255),
                                                                 (0, 0, 255, 128))]
    return image_bytes(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=[100, 200, 300],
                       loop=0)


@pytest.mark.parametrize("name", ["iss634.gif", "iss634.webp"])
def test_analyze_reports_animation(name, limits):
    info = analyze(fixture_bytes(name), limits)
    assert info.animated and info.frames == 42


def test_apng_is_animated(limits):
    info = analyze(_apng(), limits)
    assert info.animated and info.frames == 3 and info.format == "png"


@pytest.mark.parametrize("name", ["iss634.gif", "iss634.webp"])
def test_animate_keeps_every_frame(name, limits):
    fmt = "webp"
    preset = make_preset(width=100, format=fmt, animation="animate")
    variant = render_variant(fixture_bytes(name), preset, limits)
    out = Image.open(io.BytesIO(variant.data))
    assert variant.format == fmt and out.format == fmt.upper()
    assert getattr(out, "n_frames", 1) == 42 and out.size == (100, 100)


def test_animate_keeps_timing(limits):
    preset = make_preset(width=30, format="webp", animation="animate")
    out = Image.open(io.BytesIO(render_variant(_apng(), preset, limits).data))
    durations = []
    for index in range(out.n_frames):
        out.seek(index)
        out.load()
        durations.append(out.info["duration"])
    assert durations == [100, 200, 300]


@pytest.mark.parametrize("fmt", ["webp", "png", "jpeg"])
def test_first_frame_is_the_default(fmt, limits):
    data = fixture_bytes("iss634.gif")
    variant = render_variant(data, make_preset(width=100, format=fmt), limits)
    out = Image.open(io.BytesIO(variant.data))
    assert getattr(out, "n_frames", 1) == 1
    first = Image.open(io.BytesIO(data)).convert("RGB").resize((100, 100), Image.Resampling.LANCZOS)
    assert mean_difference(out, first) < 8


def test_animate_falls_back_to_first_frame_for_still_formats(limits):
    # 'original' of an APNG is png, which the engine does not animate
    variant = render_variant(_apng(), make_preset(width=30, format="original", animation="animate"), limits)
    assert variant.format == "png"
    out = Image.open(io.BytesIO(variant.data))
    assert getattr(out, "n_frames", 1) == 1 and out.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_original_gif_animates_as_gif(limits):
    variant = render_variant(fixture_bytes("iss634.gif"), make_preset(width=50, format="original",
                                                                     animation="animate"), limits)
    out = Image.open(io.BytesIO(variant.data))
    assert variant.format == "gif" and out.n_frames == 42 and out.size == (50, 50)
    assert variant.content_type == "image/gif"


def test_original_still_gif_becomes_png(limits):
    variant = render_variant(fixture_bytes("iss634.gif"), make_preset(width=50, format="original"), limits)
    assert variant.format == "png"


def test_frame_limit(limits):
    small = Limits(max_animation_frames=10)
    with pytest.raises(ImageTooLarge, match="frames"):
        analyze(fixture_bytes("iss634.gif"), small)
    with pytest.raises(ImageTooLarge, match="frames"):
        render_variant(fixture_bytes("iss634.webp"),
                       make_preset(width=50, format="webp", animation="animate"),
                       small)


def test_animation_pixel_budget_covers_all_frames(limits):
    data = fixture_bytes("iss634.gif")  # 42 frames of 245x245, about 2.5 million pixels in all
    budget = Limits(max_input_pixels=1_000_000)
    with pytest.raises(ImageTooLarge, match="frames"):
        render_variant(data, make_preset(width=50, format="webp", animation="animate"), budget)
    assert render_variant(data, make_preset(width=50, format="webp"), budget).width == 50


@pytest.mark.parametrize("fmt", ["webp", "original"])
def test_animated_frames_match_the_source_frames(fmt, limits):
    data = fixture_bytes("iss634.gif")
    variant = render_variant(data, make_preset(width=122, format=fmt, animation="animate"), limits)
    out = Image.open(io.BytesIO(variant.data))
    source = Image.open(io.BytesIO(data))
    for index in (0, 10, 41):
        out.seek(index)
        source.seek(index)
        expected = source.convert("RGB").resize(out.size, Image.Resampling.LANCZOS)
        # gif output is re-quantized to 256 colours, hence the looser bound
        assert mean_difference(out.convert("RGB"), expected) < (12 if fmt == "original" else 6)


def test_loop_and_short_durations():
    from imgfan_core.engine.animation import _duration, save_options

    assert [_duration(v) for v in (0, 10, 11, None, "x", 250)] == [100, 100, 11, 100, 100, 250]
    assert save_options([], [], None, "webp")["loop"] == 1
    assert "loop" not in save_options([], [], None, "gif")
    assert save_options([], [], 0, "gif")["loop"] == 0
