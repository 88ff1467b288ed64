"""Bad input becomes a permanent error type with a one-line reason, from analyze and render alike."""

from __future__ import annotations

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset
from PIL import Image

from imgfan_core.engine import analyze, render_variant
from imgfan_core.engine.decode import open_image
from imgfan_core.errors import CorruptImage, ImageTooLarge, NotAnImage, PermanentImageError, UnsupportedImage
from imgfan_core.presets import Limits


def _corrupt_png() -> bytes:
    good = bytearray(image_bytes(Image.linear_gradient("L"), "PNG"))
    # flip bytes inside the compressed pixel data: the zlib stream and the CRC break
    idat = good.index(b"IDAT") + 40
    good[idat : idat + 8] = bytes(b ^ 0x5A for b in good[idat : idat + 8])
    return bytes(good)


CASES = [
    ("truncated_jpeg.jpg", CorruptImage),
    ("truncated_image.png", CorruptImage),
    ("decompression_bomb.gif", ImageTooLarge),
    ("png_decompression_dos.png", ImageTooLarge),
]


def _assert_one_line(exc: PermanentImageError):
    message = str(exc)
    assert message and "\n" not in message and len(message) < 400


@pytest.mark.parametrize(("name", "error"), CASES)
def test_fixture_errors(name, error, limits):
    data = fixture_bytes(name)
    with pytest.raises(error) as caught:
        analyze(data, limits)
    _assert_one_line(caught.value)
    with pytest.raises(error):
        render_variant(data, make_preset(width=50, format="jpeg"), limits)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", NotAnImage),
        (b"hello, this is plain text\n" * 20, NotAnImage),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200, NotAnImage),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CorruptImage),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, CorruptImage),
    ],
    ids=["empty", "text", "pdf", "png-header-only", "jpeg-header-only"],
)
def test_not_images_and_broken_headers(data, error, limits):
    with pytest.raises(error) as caught:
        analyze(data, limits)
    _assert_one_line(caught.value)


def test_corrupt_pixel_data(limits):
    # (libjpeg conceals damaged JPEG scan data instead of failing, so PNG is the reliable case)
    with pytest.raises(CorruptImage) as caught:
        analyze(_corrupt_png(), limits)
    _assert_one_line(caught.value)


@pytest.mark.parametrize("fmt", ["BMP", "ICO", "PPM"])
def test_unsupported_formats(fmt, limits):
    data = image_bytes(Image.new("RGB", (16, 16), "red"), fmt)
    with pytest.raises(UnsupportedImage, match=fmt):
        analyze(data, limits)


def test_pixel_limit(limits):
    data = image_bytes(Image.new("RGB", (300, 200)), "PNG")
    with pytest.raises(ImageTooLarge, match="pixels"):
        analyze(data, Limits(max_input_pixels=300 * 200 - 1))
    with pytest.raises(ImageTooLarge, match="pixels"):
        render_variant(data, make_preset(width=10), Limits(max_input_pixels=100))
    analyze(data, Limits(max_input_pixels=300 * 200))


def test_byte_limit(limits):
    data = image_bytes(Image.new("RGB", (300, 200)), "PNG")
    with pytest.raises(ImageTooLarge, match="bytes"):
        analyze(data, Limits(max_input_bytes=len(data) - 1))


def _gif_declaring(width: int, height: int) -> bytes:
    """A tiny GIF whose header claims ``width`` x ``height``: a bomb when the claim is large."""
    header = image_bytes(Image.new("1", (1, 1)), "GIF")
    return header[:6] + width.to_bytes(2, "little") + height.to_bytes(2, "little") + header[10:]


@pytest.mark.parametrize("declared", [(1001, 1000), (65535, 65535)], ids=["just-over", "over-twice"])
def test_pillow_bomb_guard_refuses_at_the_configured_limit(declared):
    limit = 1_000_000
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLarge) as refused:
        analyze(_gif_declaring(*declared), Limits(max_input_pixels=limit))
    pixels = declared[0] * declared[1]
    assert str(refused.value) == f"the header declares {pixels} pixels, over the limit of {limit}"
    # The guard is process-wide: other code opening images must find Pillow's setting as it was.
    assert Image.MAX_IMAGE_PIXELS == pillow_limit


def test_configured_limit_above_pillows_default_is_honoured():
    # 65535 x 1500 = 98 MP: over Pillow's default guard (about 89 MP), within a 100 MP config.
    declared = (65535, 1500)
    assert declared[0] * declared[1] > 89_478_485
    image = open_image(_gif_declaring(*declared), Limits(max_input_pixels=100_000_000))
    assert image.size == declared


def test_errors_are_permanent():
    for cls in (NotAnImage, CorruptImage, ImageTooLarge, UnsupportedImage):
        assert issubclass(cls, PermanentImageError)


def test_unconvertible_pixels_are_unsupported(limits, monkeypatch):
    from imgfan_core.engine import colour

    def refuse(image):
        raise ValueError("conversion from LAB to RGB not supported")

    monkeypatch.setattr(colour, "normalize", refuse)
    with pytest.raises(UnsupportedImage, match="not supported"):
        analyze(image_bytes(Image.new("RGB", (8, 8)), "PNG"), limits)
