"""Manifests built from the real engine's analyze/render results validate against the schema.

The records are shaped exactly as the resizer returns them and as the ASL's RecordFailedVariant
and Catch produce them, so schema/engine drift (a new field, a type change) fails here first.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from imgfan_core.contract import ExecutionInput, ManifestInputs, SourceRef, VariantResult
from imgfan_core.dispatch import settings_for
from imgfan_core.engine import analyze, render_variant
from imgfan_core.errors import PermanentImageError
from imgfan_core.keys import variant_key
from imgfan_core.manifest import build_manifest, validate_manifest
from imgfan_core.presets import parse_presets, presets_hash

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 15, 0, 5, tzinfo=UTC)
EXECUTION = {
    "name": "render-x",
    "arn": "arn:aws:states:us-east-1:1:execution:imgfan:render-x",
    "start": "2026-11-26T15:00:00.000Z",
}


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(mode: str, size=(640, 400)) -> Image.Image:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (120, 80), colour) for colour in ("red", "green", "blue")]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)


SOURCES = {
    "photo.jpg": lambda: encoded(gradient("RGB"), "JPEG", quality=90),
    "logo.png": lambda: encoded(gradient("RGBA"), "PNG"),
    "spin.gif": animated_gif,
    "notes.txt.jpg": lambda: b"this is not an image at all\n" * 10,
}


def lambda_failure(exc: Exception) -> dict[str, str]:
    """What Step Functions' Catch holds for a Lambda that raised ``exc``."""
    cause = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": ["..."]}
    return {"Error": type(exc).__name__, "Cause": json.dumps(cause)}


def run_pipeline_in_process(key: str, data: bytes) -> dict:
    """The finalizer's state for ``key``, built step by step as the pipeline builds it."""
    config = parse_presets((REPO / "presets.json").read_text(encoding="utf-8"))
    execution_input = ExecutionInput(
        action="render",
        source=SourceRef("imgfan-source", key, etag='"e"', revision='"e"@1', bytes=len(data)),
        settings=settings_for(config, "imgfan-output"),
        presets=tuple(p.to_spec() for p in config.presets),
        presets_hash=presets_hash(config),
    )
    state = execution_input.to_dict()
    settings = execution_input.settings
    try:
        state["analysis"] = {"image": analyze(data, settings.limits).to_dict()}
    except PermanentImageError as exc:
        state["analysis_error"] = lambda_failure(exc)
        return state
    variants = []
    for preset in execution_input.presets:
        try:
            rendered = render_variant(data, preset, settings.limits, settings.metadata)
        except PermanentImageError as exc:
            failure = lambda_failure(exc)  # then the ASL's RecordFailedVariant
            variants.append({"preset": preset.name, "status": "failed",
                             "error": {"type": failure["Error"], "cause": failure["Cause"]}})
            continue
        key_written = variant_key(settings.output.prefix, key, preset.name, rendered.format)
        variants.append(VariantResult.written(preset.name, key_written, rendered).to_dict())
    state["variants"] = variants
    return state


@pytest.mark.parametrize("key", list(SOURCES))
def test_manifest_from_engine_results_validates(key):
    state = json.loads(json.dumps(run_pipeline_in_process(key, SOURCES[key]())))  # as it crosses Lambda
    manifest = validate_manifest(build_manifest(ManifestInputs.from_state(state, EXECUTION), NOW))
    if key == "notes.txt.jpg":
        assert manifest["status"] == "failed" and manifest["error"]["type"] == "NotAnImage"
        assert "Traceback" not in manifest["error"]["message"]
        return
    assert manifest["status"] == "complete"
    assert manifest["placeholder"]["data_uri"].startswith("data:image/")
    for fmt, srcset in manifest["srcset"].items():
        widths = [int(part.rsplit(" ", 1)[1][:-1]) for part in srcset.split(", ")]
        assert widths == sorted(widths), fmt
