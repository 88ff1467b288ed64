"""quality "auto" / {"target": N}: each variant reaches its score, at no more bytes than needed."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from engine_helpers import fixture_bytes, make_preset
from PIL import Image

from imgfan_core.engine import fidelity, render_variant
from imgfan_core.engine.quality import AUTO_TARGET, LADDER

IMAGES = [
    "Landscape_0.jpg",  # camera photo
    "DSCN0010.jpg",  # camera photo, small
    "concert.jpg",  # greyscale
    "cmyk-icc.jpg",  # CMYK with a profile
    "countergirl-p3.jpg",  # 45x100: too small for every scale of the metric
    "hopper_orientation_6.webp",
    "transparency.avif",  # alpha
    "Flag_of_the_Netherlands-16bit.png",  # flat colours: the lowest quality is enough
]
# Pillow writes 4:2:0 jpeg at every quality, and these colour edges on 64 pixels then stay
# below the default target even at quality 100.
UNREACHABLE = ("transparency.avif", "jpeg")
CASES = [(name, fmt) for name in IMAGES for fmt in ("jpeg", "webp") if (name, fmt) != UNREACHABLE]
GREY = (128, 128, 128, 255)


def _pixels(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    canvas = Image.new("RGBA", image.size, GREY)
    canvas.alpha_composite(image.convert("RGBA"))
    return canvas.convert("RGB")


def _score(reference: fidelity.Reference, data: bytes) -> float:
    return reference.score(_pixels(data))


def _reference(name: str, fmt: str, limits) -> fidelity.Reference:
    """The variant's pixels before encoding: the same preset written losslessly."""
    lossless = render_variant(fixture_bytes(name), make_preset(width=320, format="png"), limits)
    pixels = _pixels(lossless.data)
    if fmt == "jpeg":  # jpeg flattens alpha onto the preset's white background
        flat = Image.open(io.BytesIO(lossless.data)).convert("RGBA")
        canvas = Image.new("RGBA", flat.size, (255, 255, 255, 255))
        canvas.alpha_composite(flat)
        pixels = canvas.convert("RGB")
    return fidelity.Reference(pixels)


@pytest.mark.parametrize(("name", "fmt"), CASES)
@pytest.mark.parametrize("quality", ["auto", {"target": 60}, {"target": 85}])
def test_auto_reaches_its_target_at_no_more_bytes_than_the_lowest_fixed_quality_that_does(
    name, fmt, quality, limits
):
    target = AUTO_TARGET if quality == "auto" else quality["target"]
    data = fixture_bytes(name)
    reference = _reference(name, fmt, limits)
    auto = render_variant(data, make_preset(width=320, format=fmt, quality=quality), limits)
    assert _score(reference, auto.data) >= target

    fixed = {
        q: render_variant(data, make_preset(width=320, format=fmt, quality=q), limits).data for q in LADDER
    }
    lowest = min(q for q, out in fixed.items() if _score(reference, out) >= target)
    assert len(auto.data) <= len(fixed[lowest])


def test_an_unreachable_target_gets_the_highest_quality(limits):
    name, fmt = UNREACHABLE
    data = fixture_bytes(name)
    reference = _reference(name, fmt, limits)
    best = render_variant(data, make_preset(width=320, format=fmt, quality=LADDER[-1]), limits)
    assert _score(reference, best.data) < AUTO_TARGET
    assert render_variant(data, make_preset(width=320, format=fmt, quality="auto"), limits).data == best.data


def test_a_higher_target_never_gives_fewer_bytes(limits):
    data = fixture_bytes("Landscape_0.jpg")
    sizes = [
        len(render_variant(data, make_preset(width=480, format="webp", quality={"target": t}), limits).data)
        for t in (40, 60, 75, 90)
    ]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_lossless_formats_ignore_the_target(limits):
    data = fixture_bytes("DSCN0010.jpg")
    fixed = render_variant(data, make_preset(width=200, format="png"), limits)
    auto = render_variant(data, make_preset(width=200, format="png", quality="auto"), limits)
    assert auto.data == fixed.data


def test_animated_variants_use_the_formats_default_quality(limits):
    data = fixture_bytes("iss634.webp")
    default = render_variant(data, make_preset(width=100, format="webp", animation="animate"), limits)
    preset = make_preset(width=100, format="webp", animation="animate", quality="auto")
    auto = render_variant(data, preset, limits)
    assert auto.data == default.data
    assert Image.open(io.BytesIO(auto.data)).n_frames > 1


def test_the_metric_is_imported_only_when_a_preset_asks_for_a_target(tmp_path):
    probe = (
        "import sys\n"
        "from imgfan_core.engine import render_variant, RenderSpec, InputLimits\n"
        f"data = open({str(tmp_path / 'in.jpg')!r}, 'rb').read()\n"
        "render_variant(data, RenderSpec('a', 64, format='webp', quality=80), InputLimits())\n"
        "before = 'imgfan_core.engine.fidelity' in sys.modules\n"
        "render_variant(data, RenderSpec('a', 64, format='webp', quality='auto'), InputLimits())\n"
        "print(before, 'imgfan_core.engine.fidelity' in sys.modules)\n"
    )
    (tmp_path / "in.jpg").write_bytes(fixture_bytes("DSCN0010.jpg"))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_the_estimate_ranks_heavier_compression_lower():
    image = Image.open(io.BytesIO(fixture_bytes("DSCN0010.jpg"))).convert("RGB")
    reference = fidelity.Reference(image)

    def at(quality: int) -> float:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        return reference.score(Image.open(buffer).convert("RGB"))

    scores = [at(q) for q in (10, 40, 70, 95)]
    assert scores == sorted(scores)
    assert reference.score(image) == 100.0
    assert scores[0] < 50 < scores[-1]
