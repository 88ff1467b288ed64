"""The resizer reads a source's focal point from its S3 metadata and a preset's overlay picture
from the source bucket (docs/design.md §3), on the embedded cloud."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image, ImageChops, ImageDraw

from imgfan_core.contract import ExecutionInput, OutputSettings, SourceRef, StepSettings
from imgfan_core.engine.models import OverlaySpec, RenderSpec

pytestmark = pytest.mark.cloud

RED = (220, 20, 20)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def subject_near_the_left_edge() -> bytes:
    # A wide white picture whose only subject sits where a centred square crop cannot reach.
    image = Image.new("RGB", (800, 400), "white")
    ImageDraw.Draw(image).rectangle((30, 150, 130, 250), fill=RED)
    return png(image)


def render(pipeline, key: str, preset: RenderSpec) -> dict:
    """Run one execution for an object that is already in the source bucket; its manifest."""
    head = pipeline.s3.head_object(Bucket=pipeline.source_bucket, Key=key)
    execution_input = ExecutionInput(
        "render", SourceRef(pipeline.source_bucket, key, etag=head["ETag"].strip('"'), revision=uuid.uuid4().hex),
        StepSettings(OutputSettings(pipeline.output_bucket)), (preset,), "0123456789abcdef")
    started = pipeline.stepfunctions.start_execution(
        stateMachineArn=pipeline.outputs["StateMachineArn"], name=f"focus-{uuid.uuid4().hex[:12]}",
        input=json.dumps(execution_input.to_dict()))
    pipeline.wait_for_execution(started["executionArn"])
    return pipeline.manifest(key)


def variant_image(pipeline, manifest: dict) -> Image.Image:
    [variant] = manifest["variants"]
    body = pipeline.s3.get_object(Bucket=pipeline.output_bucket, Key=variant["key"])["Body"].read()
    return Image.open(io.BytesIO(body)).convert("RGB")


def red_share(image: Image.Image) -> float:
    r, g, b = (image.getchannel(band) for band in "RGB")
    red = ImageChops.multiply(r.point(lambda v: 255 if v > 150 else 0),
                              ImageChops.multiply(g.point(lambda v: 255 if v < 90 else 0),
                                                  b.point(lambda v: 255 if v < 90 else 0)))
    return red.histogram()[255] / (image.width * image.height)


def test_focus_metadata_moves_the_cover_crop_onto_the_subject(pipeline):
    square = RenderSpec("square", 200, 200, "cover", "center", format="png")
    plain, focused = (f"focus/{uuid.uuid4().hex[:8]}-{name}.staged" for name in ("plain", "focused"))
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=plain, Body=subject_near_the_left_edge())
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=focused, Body=subject_near_the_left_edge(),
                           Metadata={"focus": "0.1,0.5"})
    centred = variant_image(pipeline, render(pipeline, plain, square))
    moved_manifest = render(pipeline, focused, square)
    moved = variant_image(pipeline, moved_manifest)
    assert red_share(centred) == 0
    # The 100 px subject, halved by the cover scale, is entirely in the focused crop: 50 x 50 of 200 x 200.
    assert red_share(moved) == pytest.approx(50 * 50 / (200 * 200), abs=0.01)
    # The point is part of what decides the bytes, so the key differs although source and preset do not.
    assert moved_manifest["variants"][0]["key"].rsplit("/", 1)[1] != \
        render(pipeline, plain, square)["variants"][0]["key"].rsplit("/", 1)[1]


def test_a_bad_focus_value_fails_the_image_with_the_reason(pipeline):
    key = f"focus/{uuid.uuid4().hex[:8]}-bad.staged"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=key, Body=subject_near_the_left_edge(),
                           Metadata={"focus": "left"})
    manifest = render(pipeline, key, RenderSpec("square", 200, 200, "cover", format="png"))
    assert manifest["status"] == "failed" and manifest["error"]["type"] == "InvalidFocus"


def test_the_overlay_picture_is_read_from_the_source_bucket_and_drawn(pipeline):
    logo_key = f"logos/{uuid.uuid4().hex[:8]}.png"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=logo_key, Body=png(Image.new("RGBA", (40, 40), RED + (255,))))
    key = f"overlay/{uuid.uuid4().hex[:8]}.staged"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=key, Body=png(Image.new("RGB", (400, 400), "white")))
    preset = RenderSpec("marked", 200, format="png",
                        overlay=OverlaySpec(logo_key, position="southeast", width=0.25, margin=0, opacity=1.0))
    image = variant_image(pipeline, render(pipeline, key, preset))
    assert image.size == (200, 200)
    assert image.getpixel((190, 190)) == RED        # the bottom-right corner carries the logo
    assert image.getpixel((10, 10)) == (255, 255, 255)
    assert red_share(image) == pytest.approx(0.25 * 0.25, abs=0.01)


def test_a_missing_overlay_picture_fails_that_preset_naming_the_key(pipeline):
    key = f"overlay/{uuid.uuid4().hex[:8]}-missing.staged"
    pipeline.s3.put_object(Bucket=pipeline.source_bucket, Key=key, Body=png(Image.new("RGB", (100, 100), "white")))
    preset = RenderSpec("marked", 50, format="png", overlay=OverlaySpec("logos/never-uploaded.png"))
    manifest = render(pipeline, key, preset)
    [variant] = manifest["variants"]
    assert variant["error"]["type"] == "InvalidOverlay" and "logos/never-uploaded.png" in variant["error"]["message"]


def test_push_names_an_overlay_picture_missing_from_the_source_bucket(pipeline, cli, write_presets, repo_presets):
    name = pipeline.outputs["PresetsParameterName"]
    before = pipeline.ssm.get_parameter(Name=name)["Parameter"]
    logo = f"logos/{uuid.uuid4().hex[:8]}.png"
    document = dict(repo_presets, presets=[{"name": "marked", "width": 100, "overlay": {"image": logo}}])
    code, _, err = cli("presets", "validate", str(write_presets(document)), "--deployed")
    assert code == 1
    assert "presets[0].overlay.image (preset 'marked')" in err and f"/{logo} does not exist" in err
    code, _, err = cli("presets", "push", str(write_presets(document)))
    assert code == 1 and "does not exist" in err
    assert pipeline.ssm.get_parameter(Name=name)["Parameter"]["Version"] == before["Version"]
