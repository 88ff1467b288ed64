"""The AVIF encoder runs on a fixed number of threads, so a variant's bytes do not depend on the machine.

libavif picks its tile layout from the thread count it is given (autotiling) and Pillow's default
is every CPU the process may use, so without a fixed count a laptop and a Lambda function write
different bytes, and different fingerprinted keys, for the same source and preset.
"""

from __future__ import annotations

import os

import pytest
from engine_helpers import image_bytes, make_preset
from PIL import Image

from imgfan_core.engine import render_variant

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs at least two CPUs to compare one with several",
)


def test_avif_bytes_are_the_same_on_one_cpu_and_on_several(limits):
    # Over 1 MP, so libavif would split it into a tile per thread.
    data = image_bytes(Image.effect_noise((1280, 960), 40).convert("RGB"), "PNG")
    preset = make_preset(width=1280, format="avif", quality=60, effort=2)  # speed 8: quick
    cpus = os.sched_getaffinity(0)
    several = render_variant(data, preset, limits).data
    os.sched_setaffinity(0, {min(cpus)})
    try:
        one = render_variant(data, preset, limits).data
    finally:
        os.sched_setaffinity(0, cpus)
    assert one == several
