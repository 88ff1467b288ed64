"""The AVIF encoder's tuning is named, so an upgrade of libavif cannot change what a quality means.

With no tuning named, Pillow 13's libavif (1.4.2) encodes as tune=iq does and Pillow 12's (1.3.0)
as tune=ssim does: at the same quality, about 30 % larger files (docs/engine/quality.md, "AVIF
encoder speed"). The engine asks for tune=ssim itself, through Pillow's ``advanced`` codec options.
"""

from __future__ import annotations

import io

from engine_helpers import fixture_bytes, make_preset, open_variant
from PIL import Image

from imgfan_core.engine import render_variant


def encode(image: Image.Image, tune: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "AVIF", quality=60, speed=8, max_threads=1, advanced=[("tune", tune)])
    return buffer.getvalue()


def test_the_engine_encodes_avif_with_libaoms_ssim_tuning_whatever_libavifs_default(limits):
    data = fixture_bytes("DSCN0010.jpg")  # a camera photo: the tunings part ways on detail
    avif = render_variant(data, make_preset(width=480, format="avif", quality=60, effort=2), limits)
    pixels = open_variant(render_variant(data, make_preset(width=480, format="png"), limits)).convert("RGB")
    ssim, iq = encode(pixels, "ssim"), encode(pixels, "iq")
    # If the option stopped reaching libaom, the engine would write libavif's default (iq today).
    assert ssim != iq
    assert avif.data == ssim
