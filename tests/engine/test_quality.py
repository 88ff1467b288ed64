"""Shrink-on-load must not cost visible quality against a full decode and one Lanczos pass."""

from __future__ import annotations

import io

import pytest
from engine_helpers import fixture_bytes, make_preset, mean_difference, open_variant
from PIL import Image

from imgfan_core.engine import render_variant


@pytest.mark.parametrize("width", [120, 225, 300, 480, 900])
def test_draft_and_reduce_match_a_full_lanczos(width, limits):
    data = fixture_bytes("Landscape_0.jpg")
    out = open_variant(render_variant(data, make_preset(width=width, format="png"), limits))
    full = Image.open(io.BytesIO(data))
    full.load()
    reference = full.resize(out.size, Image.Resampling.LANCZOS)
    assert mean_difference(out, reference) < 2.0


def test_one_decode_per_variant(limits, monkeypatch):
    from PIL import ImageFile

    calls = []
    original = ImageFile.ImageFile.load

    def counting_load(self):
        if self.tile:
            calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    render_variant(fixture_bytes("Landscape_6.jpg"), make_preset(width=200, height=200, fit="cover",
                                                                 position="attention", format="webp"), limits)
    assert len(calls) == 1
    # orientation 6 stores 1200x1800; cover 200x200 of the upright 1800x1200 needs 300x200,
    # i.e. 200x300 stored: the 1/4 scale (300x450) is the smallest that covers it
    assert calls == [(300, 450)]
