"""Damaged files of every format only ever raise a PermanentImageError, never a raw exception."""

from __future__ import annotations

import random

import pytest
from engine_helpers import fixture_bytes, make_preset

from imgfan_core.engine import analyze, render_variant
from imgfan_core.errors import PermanentImageError

NAMES = ["p_trns_single.png", "iss634.gif", "hopper_orientation_6.webp", "transparency.avif", "concert.jpg",
         "tiff_16bit_RGBa.tiff"]


def _damaged(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = [data[:k] for k in sorted(rng.sample(range(1, len(data)), 6))]
    flips = []
    for _ in range(6):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        flips.append(bytes(damaged))
    return cuts + flips


@pytest.mark.parametrize("name", NAMES)
def test_damaged_input_raises_only_permanent_errors(name, limits):
    rng = random.Random(name)
    presets = [make_preset(width=40, height=40, fit="cover", position="attention", format="webp"),
               make_preset(width=40, format="original", animation="animate")]
    for data in _damaged(fixture_bytes(name), rng):
        for call in (lambda data=data: analyze(data, limits),
                     *(lambda p=p, data=data: render_variant(data, p, limits) for p in presets)):
            try:
                call()
            except PermanentImageError as exc:
                assert str(exc) and "\n" not in str(exc)
