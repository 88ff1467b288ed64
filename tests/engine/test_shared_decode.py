"""A decode shared between presets (``imgfan render``) gives the resizer's bytes exactly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from engine_helpers import fixture_bytes
from PIL import Image

from imgfan_core.engine import analyze, decode, render_variant
from imgfan_core.engine.shared import SharedDecode, decode_order
from imgfan_core.presets import parse_presets

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PRESETS = [p.to_spec() for p in parse_presets((REPO / "presets.json").read_text("utf-8")).presets]


def _camera_sized_jpeg(progressive: bool = False) -> bytes:
    """An 8 MP JPEG: the default presets then land on the 1/8, 1/4, 1/2 and full-size decodes."""
    small = Image.open(io.BytesIO(fixture_bytes("concert.jpg"))).convert("RGB")
    buffer = io.BytesIO()
    small.resize((3264, 2448), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=85,
                                                              progressive=progressive)
    return buffer.getvalue()


def _shared_render(data: bytes, presets, limits, metadata):
    shared = SharedDecode(data)
    info = analyze(data, limits, shared=shared)
    variants = {}
    for index in decode_order(presets, (info.width, info.height)):
        variants[index] = render_variant(data, presets[index], limits, metadata, shared=shared)
    return info, [variants[i] for i in range(len(presets))], shared


SOURCES = {
    "camera-8mp": lambda: _camera_sized_jpeg(),
    "progressive-8mp": lambda: _camera_sized_jpeg(progressive=True),
    **{name: (lambda name=name: fixture_bytes(name)) for name in (
        "Landscape_6.jpg", "Landscape_5.jpg", "cmyk-icc.jpg", "pil_sample_cmyk.jpg", "countergirl-p3.jpg",
        "p_trns_single.png", "16-bit-grey-alpha.png", "i_trns.png", "iss634.gif", "iss634.webp",
        "transparency.avif", "hopper_orientation_6.webp", "tiff_16bit_RGBa.tiff",
    )},
}


@pytest.mark.parametrize("source", SOURCES, ids=list(SOURCES))
def test_shared_decode_gives_the_per_preset_bytes(source, limits, metadata):
    data = SOURCES[source]()
    specs, limit_spec, metadata_spec = DEFAULT_PRESETS, limits.to_spec(), metadata.to_spec()
    info, shared_variants, _ = _shared_render(data, specs, limit_spec, metadata_spec)
    assert info == analyze(data, limit_spec)
    for preset, variant in zip(specs, shared_variants, strict=True):
        alone = render_variant(data, preset, limit_spec, metadata_spec)
        assert (variant.data, variant.width, variant.height) == (alone.data, alone.width, alone.height), \
            preset.name


def _draft_size(data: bytes, needed_preset, limits) -> tuple[int, int]:
    from imgfan_core.engine import geometry

    image = decode.open_image(data, limits)
    orient = decode.orientation(image)
    upright = geometry.upright_size(image.size, orient)
    if needed_preset is None:  # analyze's 64 px placeholder source
        plan = geometry.plan(*upright, 64, 64, "inside")
    else:
        plan = geometry.plan(*upright, needed_preset.width, needed_preset.height, needed_preset.fit)
    decode.draft(image, plan.scaled, orient)
    return image.size


def test_one_decode_per_dct_scale(limits, metadata):
    data = _camera_sized_jpeg()
    limit_spec = limits.to_spec()
    scales = {_draft_size(data, preset, limit_spec) for preset in [None, *DEFAULT_PRESETS]}
    # 3264x2448: analyze and thumb at 1/8, small at 1/4, medium and social at 1/2, large in full
    assert scales == {(408, 306), (816, 612), (1632, 1224), (3264, 2448)}
    _, _, shared = _shared_render(data, DEFAULT_PRESETS, limit_spec, metadata.to_spec())
    assert shared.decodes == len(scales) == 4  # instead of 6 without sharing


def test_a_source_decoded_in_full_is_decoded_once(limits, metadata):
    # Formats other than JPEG have no reduced-scale decode: every preset shares the one picture.
    _, _, shared = _shared_render(fixture_bytes("p_trns_single.png"), DEFAULT_PRESETS, limits.to_spec(),
                                  metadata.to_spec())
    assert shared.decodes == 1


def test_decode_order_runs_small_decodes_first():
    order = decode_order(DEFAULT_PRESETS, (3264, 2448))
    assert [DEFAULT_PRESETS[i].name for i in order] == ["thumb", "small", "medium", "social", "large"]


def test_a_shared_decode_refuses_another_source(limits):
    shared = SharedDecode(_camera_sized_jpeg())
    with pytest.raises(ValueError, match="one source"):
        analyze(fixture_bytes("Landscape_0.jpg"), limits.to_spec(), shared=shared)


def test_imgfan_render_writes_the_resizers_bytes(tmp_path, limits, metadata, capsys):
    from imgfan.cli import main

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(_camera_sized_jpeg())
    assert main(["render", str(photo), "--presets", str(REPO / "presets.json"), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    data = photo.read_bytes()
    for preset in DEFAULT_PRESETS:
        alone = render_variant(data, preset, limits.to_spec(), metadata.to_spec())
        written = tmp_path / "out" / "photo.jpg" / f"{preset.name}.{'jpg' if alone.format == 'jpeg' else alone.format}"
        assert written.read_bytes() == alone.data, preset.name
