"""Encoders, 'original' resolution, HEIC/AVIF/16-bit input and the placeholder."""

from __future__ import annotations

import base64
import io

import pillow_heif  # pinned in pyproject.toml: a missing package must fail, not skip HEIC
import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference, open_variant
from PIL import Image

from imgfan_core.engine import analyze, render_variant
from imgfan_core.engine.encode import resolve_format


def _photo(size=(640, 480)) -> Image.Image:
    base = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                               Image.linear_gradient("L").resize(size)))


@pytest.mark.parametrize(
    ("requested", "source", "alpha", "animate", "expected"),
    [
        ("webp", "JPEG", False, False, "webp"),
        ("original", "JPEG", False, False, "jpeg"),
        ("original", "MPO", False, False, "jpeg"),
        ("original", "PNG", True, False, "png"),
        ("original", "WEBP", True, False, "webp"),
        ("original", "AVIF", False, False, "avif"),
        ("original", "GIF", True, True, "gif"),
        ("original", "GIF", True, False, "png"),
        ("original", "TIFF", False, False, "jpeg"),
        ("original", "TIFF", True, False, "png"),
        ("original", "HEIF", False, False, "jpeg"),
        ("original", "HEIF", True, False, "png"),
    ],
)
def test_resolve_format(requested, source, alpha, animate, expected):
    assert resolve_format(requested, source, alpha, animate) == expected


def test_jpeg_is_progressive_and_respects_quality(limits):
    data = image_bytes(_photo(), "PNG")
    low = render_variant(data, make_preset(width=320, format="jpeg", quality=30), limits)
    high = render_variant(data, make_preset(width=320, format="jpeg", quality=95), limits)
    assert len(low.data) < len(high.data)
    out = open_variant(high)
    assert out.format == "JPEG" and out.info.get("progressive") == 1
    assert (high.width, high.height, high.content_type) == (320, 240, "image/jpeg")


@pytest.mark.parametrize("fmt, source", [("jpeg", "PNG"), ("original", "JPEG")])
def test_progressive_false_writes_baseline_jpeg(fmt, source, limits):
    data = image_bytes(_photo(), source)
    variant = render_variant(data, make_preset(width=320, format=fmt, progressive=False), limits)
    out = open_variant(variant)
    assert variant.format == "jpeg" and out.format == "JPEG"
    assert "progressive" not in out.info and "progression" not in out.info


@pytest.mark.parametrize("fmt", ["webp", "avif"])
def test_quality_and_effort(fmt, limits):
    data = image_bytes(_photo(), "PNG")
    low = render_variant(data, make_preset(width=320, format=fmt, quality=20, effort=0), limits)
    high = render_variant(data, make_preset(width=320, format=fmt, quality=90, effort=6), limits)
    assert len(low.data) < len(high.data)
    assert open_variant(high).format == fmt.upper()


def test_png_round_trips_exactly(limits):
    source = _photo((100, 80))
    variant = render_variant(image_bytes(source, "PNG"), make_preset(width=100, format="png"), limits)
    out = open_variant(variant)
    assert out.format == "PNG" and mean_difference(out, source) == 0


def test_heic_input(limits):
    heif = pillow_heif.from_pillow(_photo())
    buffer = io.BytesIO()
    heif.save(buffer, quality=90)
    data = buffer.getvalue()
    info = analyze(data, limits)
    assert info.format == "heif" and (info.width, info.height) == (640, 480)
    variant = render_variant(data, make_preset(width=320, format="original"), limits)
    assert variant.format == "jpeg"
    assert mean_difference(open_variant(variant), _photo().resize((320, 240))) < 4


@pytest.mark.parametrize("name", ["Flag_of_the_Netherlands-16bit.png", "16-bit-grey-alpha.png",
                                  "tiff_16bit_RGBa.tiff"])
def test_16bit_input_matches_pillows_8bit_reading(name, limits):
    data = fixture_bytes(name)
    info = analyze(data, limits)
    out = open_variant(render_variant(data, make_preset(width=40, format="png"), limits))
    reference = Image.open(io.BytesIO(data)).convert("RGBA")
    reference = reference.resize(out.size, Image.Resampling.LANCZOS)
    from PIL import ImageChops, ImageStat

    difference = ImageStat.Stat(ImageChops.difference(out.convert("RGBA"), reference)).mean
    assert max(difference) < 4, difference
    assert out.width == 40 and info.width > 40


def test_i16_grey_is_scaled_not_clipped(limits):
    full = Image.linear_gradient("L").resize((64, 64)).convert("I").point(lambda v: v * 257)
    data = image_bytes(full.convert("I;16"), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    out = open_variant(render_variant(data, make_preset(width=64, format="png"), limits))
    assert mean_difference(out, Image.linear_gradient("L").resize((64, 64))) < 1.5


def test_i16_fixture_keeps_its_dark_levels(limits):
    # i_trns.png stores 0-255 in a 16-bit PNG: almost black, as any browser shows it
    data = fixture_bytes("i_trns.png")
    out = open_variant(render_variant(data, make_preset(width=64, format="png"), limits))
    assert out.convert("L").getextrema()[1] <= 1


def test_16bit_flag_colours(limits):
    out = open_variant(render_variant(fixture_bytes("Flag_of_the_Netherlands-16bit.png"),
                                      make_preset(width=90, format="png"), limits)).convert("RGB")
    top, middle, bottom = (out.getpixel((45, y)) for y in (5, 30, 55))
    assert top[0] > 150 and top[2] < 100  # red
    assert min(middle) > 230  # white
    assert bottom[2] > 100 and bottom[0] < 60  # blue


def test_i16_with_transparency(limits):
    data = fixture_bytes("i_trns.png")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = open_variant(render_variant(data, make_preset(width=64, format="png"), limits))
    assert out.mode == "LA"
    assert out.getchannel("A").getextrema()[0] == 0


def test_placeholder(limits):
    data = image_bytes(Image.new("RGB", (300, 200), (200, 30, 40)), "JPEG", quality=95)
    info = analyze(data, limits).to_dict()
    assert set(info) == {"format", "width", "height", "orientation", "has_alpha", "animated", "frames",
                         "colour_profile", "bytes", "placeholder", "hdr"}
    assert info["bytes"] == len(data) and info["format"] == "jpeg"
    uri = info["placeholder"]["data_uri"]
    assert uri.startswith("data:image/webp;base64,") and len(uri) < 1000
    tiny = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert max(tiny.size) <= 16 and tiny.size[0] > tiny.size[1]
    colour = info["placeholder"]["dominant_color"]
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert abs(r - 200) < 8 and abs(g - 30) < 8 and abs(b - 40) < 8


def test_dominant_colour_is_the_largest_area(limits):
    image = Image.new("RGB", (100, 100), (0, 0, 255))
    image.paste((255, 255, 0), (0, 0, 30, 100))
    info = analyze(image_bytes(image, "PNG"), limits)
    assert info.placeholder["dominant_color"] == "#0000ff"


def test_variant_is_upscaled_only_with_enlarge(limits):
    data = image_bytes(_photo((100, 50)), "PNG")
    assert render_variant(data, make_preset(width=400, format="png"), limits).width == 100
    assert render_variant(data, make_preset(width=400, format="png", enlarge=True), limits).width == 400


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"width": 200, "height": 200, "fit": "cover"}, (200, 200)),
        ({"width": 200, "height": 200, "fit": "contain"}, (200, 200)),
        ({"width": 200, "height": 200, "fit": "fill"}, (200, 200)),
        ({"width": 200, "height": 200, "fit": "inside"}, (200, 150)),
        ({"width": 200, "height": 200, "fit": "outside"}, (267, 200)),
        ({"width": 1200, "height": 630, "fit": "cover", "position": "entropy"}, (1200, 630)),
        ({"width": 2000, "height": 2000, "fit": "cover"}, (1200, 1200)),
    ],
)
def test_real_renders_have_exact_sizes(fields, expected, limits):
    data = image_bytes(_photo((1600, 1200)), "JPEG")
    variant = render_variant(data, make_preset(format="jpeg", **fields), limits)
    assert (variant.width, variant.height) == expected == open_variant(variant).size


@pytest.mark.parametrize("orientation", [6, 8])
def test_real_render_portrait_via_orientation(orientation, limits):
    data = fixture_bytes(f"Landscape_{orientation}.jpg")  # stored 1200x1800, upright 1800x1200
    variant = render_variant(data, make_preset(width=300, height=100, fit="cover", format="jpeg"), limits)
    assert (variant.width, variant.height) == (300, 100)


def test_heic_orientation_is_applied_once(limits):
    image = Image.new("RGB", (64, 32), "red")
    image.paste("blue", (0, 0, 32, 32))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, exif=exif.tobytes(), quality=90)
    data = buffer.getvalue()
    info = analyze(data, limits)
    assert (info.width, info.height, info.orientation) == (32, 64, 6)
    out = open_variant(render_variant(data, make_preset(width=32, format="png"), limits)).convert("RGB")
    assert out.size == (32, 64)
    # rotated 90 degrees clockwise: the left (blue) half ends up on top
    assert out.getpixel((16, 10))[2] > 200 and out.getpixel((16, 54))[0] > 200


def test_engine_import_is_lean():
    import subprocess
    import sys

    code = ("import sys, imgfan_core.engine; "
            "print(sorted(m for m in ('pillow_heif', 'numpy', 'pydantic', 'boto3', 'PIL.ImageCms') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


_PLUGINS_LOADED = """
import io, sys
from PIL import Image
from imgfan_core.engine import InputLimits, RenderSpec, analyze, render_variant
buffer = io.BytesIO()
Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, "JPEG")
data = buffer.getvalue()
analyze(data, InputLimits())
for fmt in sys.argv[1:]:
    render_variant(data, RenderSpec(name="v", width=32, format=fmt), InputLimits())
print(sorted(m for m in ("PIL.AvifImagePlugin", "PIL.WebPImagePlugin", "PIL.XbmImagePlugin") if m in sys.modules))
"""


@pytest.mark.parametrize(("formats", "loaded"), [
    # a JPEG rendered to JPEG and WebP: no libavif, and not Image.init()'s ~40 plugins (XBM is one)
    (["jpeg", "webp"], ["PIL.WebPImagePlugin"]),
    (["avif"], ["PIL.AvifImagePlugin", "PIL.WebPImagePlugin"]),  # WebP: analysis's placeholder
])
def test_only_the_plugins_in_use_are_imported(formats, loaded):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _PLUGINS_LOADED, *formats], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == str(loaded)


def test_dark_16bit_grey_stays_dark(limits):
    # values 0-200 out of 65535: nearly black, and must not be mistaken for 8-bit data
    dark = Image.linear_gradient("L").resize((32, 32)).point(lambda v: v * 200 // 255).convert("I")
    data = image_bytes(dark.convert("I;16"), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    out = open_variant(render_variant(data, make_preset(width=32, format="png"), limits))
    assert out.convert("L").getextrema()[1] <= 1
