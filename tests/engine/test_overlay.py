"""A preset's overlay: drawn at its compass point, at the requested width and opacity."""

from __future__ import annotations

import hashlib
import json

import pytest
from engine_helpers import image_bytes, open_variant
from PIL import Image, ImageChops

from imgfan.cli import main
from imgfan_core.engine import OverlayImage, OverlaySpec, RenderSpec, render_variant
from imgfan_core.errors import PERMANENT_ERROR_NAMES, InvalidOverlay
from imgfan_core.presets import Limits, parse_presets

GREY, RED = (128, 128, 128), (255, 0, 0)
# A 400x300 source becomes a 200x150 variant; a 0.25-wide 2:1 logo is then 50x25 px.
SOURCE = image_bytes(Image.new("RGB", (400, 300), GREY), "PNG")
LOGO = OverlayImage(image_bytes(Image.new("RGBA", (80, 40), RED + (255,)), "PNG"))
MARGIN = 10
EXPECTED_BOX = {
    "northwest": (10, 10, 60, 35),
    "northeast": (140, 10, 190, 35),
    "southwest": (10, 115, 60, 140),
    "southeast": (140, 115, 190, 140),
    "center": (75, 62, 125, 87),
}


def _spec(**overlay) -> RenderSpec:
    options = {"image": "logo.png", "width": 0.25, "margin": MARGIN} | overlay
    return RenderSpec("t", width=200, format="png", overlay=OverlaySpec(**options))


def _render(spec: RenderSpec, logo: OverlayImage = LOGO, source: bytes = SOURCE) -> Image.Image:
    return open_variant(render_variant(source, spec, Limits().to_spec(), overlay=logo)).convert("RGB")


def _drawn_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(image, Image.new("RGB", image.size, GREY)).getbbox()


@pytest.mark.parametrize("position", list(EXPECTED_BOX))
def test_overlay_lands_at_its_position_and_width(position):
    out = _render(_spec(position=position))
    assert out.size == (200, 150)
    assert _drawn_box(out) == EXPECTED_BOX[position]


@pytest.mark.parametrize("opacity", [1.0, 0.5, 0.2])
def test_overlay_opacity_blends_with_the_picture(opacity):
    out = _render(_spec(opacity=opacity))
    left, top, right, bottom = EXPECTED_BOX["southeast"]
    inside = out.getpixel(((left + right) // 2, (top + bottom) // 2))
    expected = tuple(round(o * opacity + g * (1 - opacity)) for o, g in zip(RED, GREY))
    assert all(abs(a - b) <= 2 for a, b in zip(inside, expected)), (inside, expected)
    assert out.getpixel((5, 5)) == GREY


def test_transparent_parts_of_the_logo_leave_the_picture_alone():
    logo = Image.new("RGBA", (80, 40), (0, 0, 0, 0))
    logo.paste(Image.new("RGBA", (40, 40), RED + (255,)), (40, 0))  # right half only
    out = _render(_spec(), OverlayImage(image_bytes(logo, "PNG")))
    left, top, right, bottom = _drawn_box(out)
    # The opaque half starts at x = 165; Lanczos softens that edge by a few pixels, no more.
    assert 160 <= left <= 165 and (top, right, bottom) == (115, 190, 140)
    assert out.getpixel((175, 127)) == RED


def test_a_logo_too_tall_for_the_variant_is_shrunk_inside_the_margins():
    tall = OverlayImage(image_bytes(Image.new("RGBA", (40, 200), RED + (255,)), "PNG"))
    left, top, right, bottom = _drawn_box(_render(_spec(width=1.0), tall))
    assert bottom - top == 150 - 2 * MARGIN and (right - left) == round((150 - 2 * MARGIN) / 5)
    assert top == MARGIN and right == 200 - MARGIN


def test_greyscale_variants_keep_a_coloured_logo():
    grey_source = image_bytes(Image.new("L", (400, 300), 128), "PNG")
    out = open_variant(render_variant(grey_source, _spec(), Limits().to_spec(), overlay=LOGO))
    assert out.convert("RGB").getpixel((165, 127)) == RED


def test_jpeg_and_webp_variants_carry_the_overlay():
    for fmt in ("jpeg", "webp"):
        spec = RenderSpec("t", width=200, format=fmt, overlay=OverlaySpec("logo.png", width=0.25, margin=MARGIN))
        out = _render(spec)
        assert out.getpixel((165, 127))[0] > 230 and out.getpixel((165, 127))[1] < 30


def test_the_revision_identifies_the_bytes():
    assert LOGO.revision == hashlib.sha256(LOGO.data).hexdigest()[:16]
    assert OverlayImage(bytes(LOGO.data)).revision == LOGO.revision
    other = OverlayImage(image_bytes(Image.new("RGBA", (80, 40), (0, 0, 255, 255)), "PNG"))
    assert other.revision != LOGO.revision


@pytest.mark.parametrize("data", [b"not a picture", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30])
def test_a_bad_overlay_is_a_permanent_error(data):
    with pytest.raises(InvalidOverlay, match="^overlay image: "):
        _render(_spec(), OverlayImage(data))
    assert "InvalidOverlay" in PERMANENT_ERROR_NAMES


def test_overlay_and_preset_must_agree():
    with pytest.raises(ValueError, match="overlay"):
        render_variant(SOURCE, _spec(), Limits().to_spec())
    with pytest.raises(ValueError, match="overlay"):
        render_variant(SOURCE, RenderSpec("t", width=20), Limits().to_spec(), overlay=LOGO)


def test_the_overlay_survives_the_json_the_resizer_reads():
    config = parse_presets({"presets": [
        {"name": "t", "width": 200, "overlay": {"image": "brand/logo.png", "position": "north", "opacity": 0.4}}]})
    spec = config.presets[0].to_spec()
    assert spec.overlay == OverlaySpec("brand/logo.png", "north", 0.2, 8, 0.4)
    assert RenderSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_render_reads_the_overlay_relative_to_the_presets_file(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    (folder / "brand").mkdir(parents=True)
    (folder / "brand" / "logo.png").write_bytes(LOGO.data)
    presets = folder / "presets.json"
    presets.write_text(json.dumps({"presets": [{"name": "t", "width": 200, "format": "png", "overlay": {
        "image": "brand/logo.png", "width": 0.25, "margin": MARGIN}}]}))
    source = tmp_path / "grey.png"
    source.write_bytes(SOURCE)
    monkeypatch.chdir(tmp_path)
    assert main(["render", str(source), "--presets", str(presets), "--out", "out"]) == 0
    assert _drawn_box(Image.open(tmp_path / "out" / "grey.png" / "t.png").convert("RGB")) == EXPECTED_BOX["southeast"]


def test_render_names_a_missing_overlay_file(tmp_path, capsys):
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps({"presets": [{"name": "t", "width": 200, "overlay": {"image": "nope.png"}}]}))
    source = tmp_path / "grey.png"
    source.write_bytes(SOURCE)
    assert main(["render", str(source), "--presets", str(presets), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "presets[0].overlay.image" in err[0] and "nope.png" in err[0]
