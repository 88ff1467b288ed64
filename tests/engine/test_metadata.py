"""No EXIF, GPS, XMP or comments in outputs unless the policy keeps them."""

from __future__ import annotations

import io

import pytest
from engine_helpers import fixture_bytes, image_bytes, make_preset
from PIL import Image

from imgfan_core.engine import render_variant
from imgfan_core.presets import MetadataPolicy

GPS_IFD = 0x8825
PRIVATE_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile")


def _with_everything() -> bytes:
    image = Image.radial_gradient("L").convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 1
    exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 29.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return image_bytes(image, "JPEG", exif=exif.tobytes(), comment=b"secret", xmp=xmp)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
@pytest.mark.parametrize("source", ["DSCN0010.jpg", "synthetic"])
def test_outputs_carry_no_metadata(fmt, source, limits):
    data = _with_everything() if source == "synthetic" else fixture_bytes(source)
    original = Image.open(io.BytesIO(data))
    assert original.getexif()  # the source really has EXIF
    if source == "DSCN0010.jpg":
        assert original.getexif().get_ifd(GPS_IFD)
    out = Image.open(io.BytesIO(render_variant(data, make_preset(width=64, format=fmt), limits).data))
    assert not out.getexif()
    assert not any(key in out.info for key in PRIVATE_KEYS), out.info.keys()
    assert b"SpyCam" not in out.tobytes() and b"secret" not in render_variant(
        data, make_preset(width=64, format=fmt), limits).data


def test_keeping_exif_resets_orientation(limits):
    data = fixture_bytes("Landscape_6.jpg")
    out = Image.open(io.BytesIO(render_variant(data, make_preset(width=60, format="jpeg"), limits,
                                               MetadataPolicy(strip=False)).data))
    assert out.getexif().get(0x0112) == 1
    assert out.size == (60, 40)


@pytest.mark.parametrize("fmt", ["webp", "original"])
def test_animated_outputs_carry_no_comment_or_exif(fmt, limits):
    frames = [Image.new("RGB", (40, 40), colour).convert("P") for colour in ("red", "green", "blue")]
    data = image_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"secret-note",
                       duration=100, loop=0)
    variant = render_variant(data, make_preset(width=20, format=fmt, animation="animate"), limits)
    out = Image.open(io.BytesIO(variant.data))
    assert out.n_frames == 3
    assert b"secret-note" not in variant.data
    assert "comment" not in out.info and not out.getexif()
