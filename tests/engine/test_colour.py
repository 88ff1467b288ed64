"""ICC-tagged and CMYK input comes out as sRGB matching an ImageCms reference conversion."""

from __future__ import annotations

import io

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset, mean_difference, open_variant
from PIL import Image, ImageChops, ImageCms

from imgfan_core.engine import analyze, colour, render_variant
from imgfan_core.presets import MetadataPolicy

SRGB = ImageCms.createProfile("sRGB")


def reference_srgb(data: bytes) -> Image.Image:
    source = Image.open(io.BytesIO(data))
    profile = ImageCms.ImageCmsProfile(io.BytesIO(source.info["icc_profile"]))
    return ImageCms.profileToProfile(source, profile, SRGB, outputMode="RGB")


def full_size(data: bytes, limits, fmt="png", **kw):
    width = Image.open(io.BytesIO(data)).width
    return open_variant(render_variant(data, make_preset(width=width, format=fmt), limits, **kw))


@pytest.mark.parametrize("name", ["cmyk-icc.jpg", "countergirl-adobergb.jpg", "countergirl-p3.jpg",
                                  "countergirl-prophoto.jpg", "concert.jpg"])
def test_icc_input_matches_imagecms_reference(name, limits):
    data = fixture_bytes(name)
    out = full_size(data, limits)
    assert out.mode == "RGB"
    assert "icc_profile" not in out.info  # converted output is untagged sRGB
    assert mean_difference(out, reference_srgb(data)) < 1.5


def test_tag_changes_the_output(limits):
    # The countergirl copies hold the same pixels under different tags (danbooru's dupe
    # fixtures), so honouring the tag must change the output, and the sRGB-tagged copy must not.
    srgb = full_size(fixture_bytes("countergirl-srgb.jpg"), limits)
    naive = Image.open(io.BytesIO(fixture_bytes("countergirl-srgb.jpg"))).convert("RGB")
    assert mean_difference(srgb, naive) < 1
    for name in ("countergirl-adobergb.jpg", "countergirl-p3.jpg", "countergirl-prophoto.jpg"):
        assert mean_difference(full_size(fixture_bytes(name), limits), srgb) > 1


def test_untagged_conversion_would_be_noticed(limits):
    data = fixture_bytes("countergirl-prophoto.jpg")
    naive = Image.open(io.BytesIO(data)).convert("RGB")
    assert mean_difference(naive, reference_srgb(data)) > 5


def test_cmyk_without_profile_is_not_a_negative(limits):
    data = fixture_bytes("pil_sample_cmyk.jpg")
    out = full_size(data, limits)
    expected = Image.open(io.BytesIO(data)).convert("RGB")
    assert mean_difference(out, expected) < 4
    assert mean_difference(out, ImageChops.invert(expected)) > 40


def _strip_app14(jpeg: bytes) -> bytes:
    """Remove the Adobe APP14 segment: what non-Adobe encoders write for plain CMYK."""
    out, i = bytearray(jpeg[:2]), 2
    while i < len(jpeg):
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if marker == 0xDA:
            out += jpeg[i:]
            break
        if not (marker == 0xEE and jpeg[i + 4 : i + 9] == b"Adobe"):
            out += jpeg[i : i + 2 + length]
        i += 2 + length
    return bytes(out)


def test_plain_cmyk_without_adobe_marker_is_not_inverted(limits):
    adobe = fixture_bytes("pil_sample_cmyk.jpg")
    cmyk = Image.open(io.BytesIO(adobe))
    # Pillow writes inverted CMYK with an Adobe marker; invert first and drop the marker,
    # and the file stores plain CMYK like non-Adobe encoders do.
    plain = _strip_app14(image_bytes(ImageChops.invert(cmyk), "JPEG", quality=95))
    assert b"Adobe" not in plain[:200]
    expected = full_size(adobe, limits)
    assert mean_difference(full_size(plain, limits), expected) < 4


def test_16bit_rgba_tiff_with_srgb_profile(limits):
    info = analyze(fixture_bytes("tiff_16bit_RGBa.tiff"), limits)
    assert info.colour_profile and "sRGB" in info.colour_profile
    out = full_size(fixture_bytes("tiff_16bit_RGBa.tiff"), limits)
    assert out.mode == "RGBA"


def test_profile_kept_when_conversion_disabled(limits):
    data = fixture_bytes("countergirl-adobergb.jpg")
    out = open_variant(render_variant(data, make_preset(width=45, format="jpeg"), limits,
                                      MetadataPolicy(convert_to_srgb=False)))
    assert out.info.get("icc_profile") == Image.open(io.BytesIO(data)).info["icc_profile"]


def test_prophoto_png_single_pixel(limits):
    data = fixture_bytes("prophoto.png")
    out = full_size(data, limits)
    assert mean_difference(out, reference_srgb(data)) < 1.5


def test_greyscale_with_rgb_profile_ignores_the_mismatch(limits):
    grey = Image.linear_gradient("L").resize((64, 64))
    data = image_bytes(grey, "JPEG", icc_profile=ImageCms.ImageCmsProfile(SRGB).tobytes())
    out = full_size(data, limits)
    assert mean_difference(out, grey) < 3


def _transparent_photo(size=(64, 48)) -> tuple[Image.Image, Image.Image]:
    """An RGBA picture with every level of alpha, and that alpha channel on its own."""
    alpha = Image.linear_gradient("L").resize(size)
    base = Image.radial_gradient("L").resize(size)
    other = alpha.transpose(Image.Transpose.ROTATE_180)
    rgb = Image.merge("RGB", (base, other, base.point(lambda v: v // 2)))
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    return rgba, alpha


@pytest.mark.parametrize(
    "tagged", ["countergirl-adobergb.jpg", "countergirl-p3.jpg", "countergirl-prophoto.jpg"]
)
def test_icc_transform_keeps_the_alpha_channel(tagged):
    icc = Image.open(io.BytesIO(fixture_bytes(tagged))).info["icc_profile"]
    rgba, alpha = _transparent_photo()
    out, out_icc = colour.to_srgb(rgba, icc)
    assert out.mode == "RGBA" and out_icc is None
    assert list(out.getchannel("A").get_flattened_data()) == list(alpha.get_flattened_data())
    # The colour channels did go through the profile, so this is the ICC path and not a shortcut.
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    expected_rgb = ImageCms.profileToProfile(rgba.convert("RGB"), profile, SRGB, outputMode="RGB")
    assert mean_difference(out, expected_rgb) < 1.5 and mean_difference(out, rgba) > 1


def test_transparent_png_with_a_wide_gamut_profile_stays_transparent(limits):
    icc = Image.open(io.BytesIO(fixture_bytes("countergirl-adobergb.jpg"))).info["icc_profile"]
    rgba, alpha = _transparent_photo()
    out = full_size(image_bytes(rgba, "PNG", icc_profile=icc), limits)
    assert out.mode == "RGBA"
    assert list(out.getchannel("A").get_flattened_data()) == list(alpha.get_flattened_data())
