"""Focal point: S3 metadata ``focus: "x,y"`` (or ``imgfan render --focus``) centres every cover crop."""

from __future__ import annotations

import json

import pytest
from engine_helpers import image_bytes, make_preset, open_variant
from PIL import Image, ImageDraw

from imgfan.cli import main
from imgfan_core.engine import parse_focus, render_variant
from imgfan_core.errors import PERMANENT_ERROR_NAMES, InvalidFocus, PermanentImageError
from imgfan_core.presets import Limits

WIDTH, HEIGHT = 800, 200
BLOB = (120, 100)  # far left of a wide picture: a centred square crop (x 300-500) misses it
RADIUS = 20


def _picture_with_blob(centre=BLOB, size=(WIDTH, HEIGHT)) -> Image.Image:
    picture = Image.new("RGB", size, (128, 128, 128))
    x, y = centre
    ImageDraw.Draw(picture).ellipse((x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS), fill=(255, 0, 0))
    return picture


def _is_red(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel
    return r > 200 and g < 80 and b < 80


def _red_centroid(image: Image.Image) -> tuple[float, float] | None:
    rgb = image.convert("RGB")
    points = [(x, y) for y in range(rgb.height) for x in range(rgb.width) if _is_red(rgb.getpixel((x, y)))]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _square(**fields):
    return make_preset(width=100, height=100, fit="cover", **fields).to_spec()


@pytest.mark.parametrize(("text", "point"), [("0.3,0.7", (0.3, 0.7)), (" 0 , 1 ", (0.0, 1.0)),
                                              ("1,0.25", (1.0, 0.25))])
def test_parse_focus(text, point):
    assert parse_focus(text) == point


def test_no_metadata_is_no_focus():
    assert parse_focus(None) is None


@pytest.mark.parametrize("text", ["", "0.5", "0.5,0.5,0.5", "left,top", "1.2,0.5", "-0.1,0.5", "nan,0.5",
                                  "inf,0", "0.5;0.5"])
def test_bad_focus_is_a_permanent_error_naming_the_value(text):
    with pytest.raises(InvalidFocus) as caught:
        parse_focus(text)
    message = str(caught.value)
    assert repr(text) in message and "from 0 to 1" in message and "\n" not in message
    assert isinstance(caught.value, PermanentImageError)
    assert "InvalidFocus" in PERMANENT_ERROR_NAMES  # the state machine records it without retrying


def test_the_centre_crop_misses_the_subject_and_the_focus_finds_it():
    data = image_bytes(_picture_with_blob(), "PNG")
    centred = open_variant(render_variant(data, _square(), Limits().to_spec()))
    assert _red_centroid(centred) is None

    focus = (BLOB[0] / WIDTH, BLOB[1] / HEIGHT)
    aimed = open_variant(render_variant(data, _square(), Limits().to_spec(), focus=focus))
    # 800x200 scales to 400x100; the 100 px window centred on x = 60 starts at 10, so the
    # blob (scaled centre 60, 50) lands in the middle of the square.
    assert aimed.size == (100, 100)
    x, y = _red_centroid(aimed)
    assert abs(x - 50) <= 1 and abs(y - 50) <= 1


@pytest.mark.parametrize("position", ["east", "entropy", "attention"])
def test_the_focus_wins_over_the_preset_position(position):
    data = image_bytes(_picture_with_blob(), "PNG")
    focus = (BLOB[0] / WIDTH, BLOB[1] / HEIGHT)
    aimed = open_variant(render_variant(data, _square(position=position), Limits().to_spec(), focus=focus))
    x, y = _red_centroid(aimed)
    assert abs(x - 50) <= 1 and abs(y - 50) <= 1


def test_a_focus_near_the_edge_is_clamped_to_the_image():
    corner = (20, 30)
    data = image_bytes(_picture_with_blob(corner), "PNG")
    aimed = open_variant(render_variant(data, _square(), Limits().to_spec(), focus=(0.0, 0.0)))
    # The window cannot start left of 0: the blob stays where it is, at half scale.
    x, y = _red_centroid(aimed)
    assert abs(x - corner[0] / 2) <= 1 and abs(y - corner[1] / 2) <= 1


def test_the_focus_is_in_upright_coordinates_for_a_rotated_photo():
    upright = _picture_with_blob()
    # Stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise to display).
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = image_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())
    focus = (BLOB[0] / WIDTH, BLOB[1] / HEIGHT)
    aimed = open_variant(render_variant(data, _square(format="png"), Limits().to_spec(), focus=focus))
    x, y = _red_centroid(aimed)
    assert abs(x - 50) <= 2 and abs(y - 50) <= 2


def test_inside_variants_ignore_the_focus():
    data = image_bytes(_picture_with_blob(), "PNG")
    plain = render_variant(data, make_preset(width=200).to_spec(), Limits().to_spec())
    aimed = render_variant(data, make_preset(width=200).to_spec(), Limits().to_spec(), focus=(0.1, 0.9))
    assert plain.data == aimed.data


def _render_cli(tmp_path, focus: str) -> tuple[int, dict]:
    source = tmp_path / "wide.png"
    _picture_with_blob().save(source)
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps({"presets": [
        {"name": "square", "width": 100, "height": 100, "fit": "cover", "format": "png"}]}))
    out = tmp_path / "out"
    code = main(["render", str(source), "--presets", str(presets), "--focus", focus, "--out", str(out)])
    return code, json.loads((out / "wide.png" / "manifest.json").read_text())


def test_render_cli_focus_crops_on_the_point(tmp_path):
    code, manifest = _render_cli(tmp_path, f"{BLOB[0] / WIDTH},{BLOB[1] / HEIGHT}")
    assert code == 0 and manifest["status"] == "complete"
    x, y = _red_centroid(Image.open(tmp_path / "out" / manifest["variants"][0]["key"]))
    assert abs(x - 50) <= 1 and abs(y - 50) <= 1


def test_render_cli_bad_focus_is_recorded_in_the_manifest(tmp_path, capsys):
    code, manifest = _render_cli(tmp_path, "2,3")
    assert code == 1
    assert manifest["status"] == "failed"
    assert manifest["error"]["type"] == "InvalidFocus" and "'2,3'" in manifest["error"]["message"]
    assert manifest["variants"][0]["error"]["type"] == "InvalidFocus"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "InvalidFocus" in err[0] and "Traceback" not in err[0]
