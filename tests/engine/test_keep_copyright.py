"""``metadata.keep: ["copyright"]`` keeps Artist and Copyright; GPS never reaches a variant."""

from __future__ import annotations

import io
import json

import pytest
from engine_helpers import fixture_bytes, make_preset
from PIL import Image

from imgfan_core.engine import render_variant
from imgfan_core.engine.models import MetadataSpec
from imgfan_core.presets import Limits

ARTIST, COPYRIGHT, MAKE, GPS_IFD, ORIENTATION = 0x013B, 0x8298, 0x010F, 0x8825, 0x0112
CREDIT = {ARTIST: "Ann Author", COPYRIGHT: "(c) 2026 Ann Author, all rights reserved"}


def _credited_photo_with_gps() -> bytes:
    """DSCN0010.jpg (a Nikon photo with a GPS block) with Artist and Copyright added."""
    photo = Image.open(io.BytesIO(fixture_bytes("DSCN0010.jpg")))
    exif = photo.getexif()
    assert exif.get_ifd(GPS_IFD), "the fixture is expected to carry GPS"
    for tag, value in CREDIT.items():
        exif[tag] = value
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _exif_of(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif", "png"])
def test_copyright_is_kept_and_gps_is_dropped(fmt):
    variant = render_variant(_credited_photo_with_gps(), make_preset(width=64, format=fmt).to_spec(),
                             Limits().to_spec(), MetadataSpec(keep=("copyright",)))
    exif = _exif_of(variant.data)
    assert {tag: exif.get(tag) for tag in CREDIT} == CREDIT
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    # Nothing else rides along: only the named tags survive stripping.
    assert set(exif) == set(CREDIT)


def test_without_keep_nothing_is_written():
    variant = render_variant(_credited_photo_with_gps(), make_preset(width=64, format="jpeg").to_spec(),
                             Limits().to_spec())
    assert not _exif_of(variant.data)


def test_keep_on_a_source_without_credit_writes_no_exif():
    plain = io.BytesIO()
    Image.new("RGB", (80, 60), "teal").save(plain, "JPEG", exif=Image.Exif().tobytes())
    variant = render_variant(plain.getvalue(), make_preset(width=40, format="jpeg").to_spec(),
                             Limits().to_spec(), MetadataSpec(keep=("copyright",)))
    assert not _exif_of(variant.data)


@pytest.mark.parametrize("keep", [(), ("copyright",)])
def test_strip_false_keeps_exif_but_never_gps(keep):
    source = _credited_photo_with_gps()
    assert _exif_of(source).get(MAKE)
    variant = render_variant(source, make_preset(width=64, format="jpeg").to_spec(), Limits().to_spec(),
                             MetadataSpec(strip=False, keep=keep))
    exif = _exif_of(variant.data)
    assert exif.get(MAKE) == _exif_of(source).get(MAKE) and exif.get(ARTIST) == CREDIT[ARTIST]
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert exif.get(ORIENTATION, 1) == 1


def test_keep_round_trips_through_the_json_the_resizer_reads():
    spec = MetadataSpec(keep=("copyright",))
    assert MetadataSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
