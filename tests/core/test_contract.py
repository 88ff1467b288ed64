"""The typed contract between the steps: round trips, old payloads, the ASL's failure records."""

from __future__ import annotations

import dataclasses
import json

import pytest

from imgfan_core.contract import (
    ErrorRecord,
    ExecutionInfo,
    ExecutionInput,
    ManifestInputs,
    OutputSettings,
    ResizerRequest,
    SourceRef,
    StepSettings,
    VariantResult,
)
from imgfan_core.engine.models import InputLimits, MetadataSpec, RenderedVariant, RenderSpec, SourceInfo
from imgfan_core.presets import SELECTION_FIELDS, Limits, MetadataPolicy, Preset

SOURCE = SourceRef("src", "photos/cat 1.jpg", "v1", "e1", "v1", 123)
SETTINGS = StepSettings(OutputSettings("out", "v/", "public, max-age=60", "https://cdn.example"),
                        InputLimits(1000, 2000, 3), MetadataSpec(False, False))
THUMB = RenderSpec("thumb", 200, 200, "cover", "attention", False, "webp", 75, 4, True, "#000000", "animate")
ANALYSIS = SourceInfo("jpeg", 30, 20, 6, False, False, 1, "sRGB", 123, {"data_uri": "data:image/png;base64,x"})


def through_json(value):
    return json.loads(json.dumps(value))


EXAMPLES = [
    SOURCE,
    SETTINGS,
    ExecutionInput("render", SOURCE, SETTINGS, (THUMB, RenderSpec("small", width=480)), "0123456789abcdef"),
    ResizerRequest("resize", SOURCE, SETTINGS, THUMB),
    ResizerRequest("analyze", SOURCE, SETTINGS),
    ErrorRecord("NotAnImage", "not a recognised image format"),
    VariantResult("thumb", "ok", "v/k/thumb.webp", 200, 200, "webp", "image/webp", 99),
    VariantResult.failed("thumb", ErrorRecord("CorruptImage", "truncated")),
    ExecutionInfo("render-x", "arn:x", "2026-01-01T00:00:00Z"),
    ANALYSIS,
    THUMB,
]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_every_contract_type_survives_the_json_it_travels_as(value):
    assert type(value).from_dict(through_json(value.to_dict())) == value


def test_a_preset_from_before_an_upgrade_renders_with_the_old_behaviour():
    old = {"name": "small", "width": 480, "format": "jpeg"}  # written before 'progressive' existed
    spec = RenderSpec.from_dict(old)
    assert spec.progressive is True and spec.fit == "inside" and spec.position == "center"


def test_fields_from_a_newer_release_are_ignored_not_fatal():
    spec = RenderSpec.from_dict({"name": "t", "width": 1, "overlay_from_the_future": {"x": 1}})
    assert spec == RenderSpec("t", 1)


def test_a_resize_request_without_its_preset_is_refused():
    event = ResizerRequest("analyze", SOURCE, SETTINGS).to_dict() | {"action": "resize"}
    with pytest.raises(ValueError, match="preset"):
        ResizerRequest.from_dict(event)


def test_only_a_resize_request_has_a_preset_to_render():
    assert ResizerRequest("resize", SOURCE, SETTINGS, THUMB).resize_preset is THUMB
    with pytest.raises(ValueError, match="analyze request has no preset"):
        _ = ResizerRequest("analyze", SOURCE, SETTINGS).resize_preset


def test_the_presets_model_and_the_engine_spec_agree_on_fields_and_defaults():
    # The model validates, the engine renders: a field or default in one only would drift silently.
    pairs = ((Preset, RenderSpec), (Limits, InputLimits), (MetadataPolicy, MetadataSpec))
    for model, spec in pairs:
        spec_fields = {f.name: f.default for f in dataclasses.fields(spec)}
        assert set(model.model_fields) - set(SELECTION_FIELDS) == set(spec_fields), model.__name__
        for name, info in model.model_fields.items():
            if name in spec_fields and spec_fields[name] is not dataclasses.MISSING:
                assert info.default == spec_fields[name], f"{model.__name__}.{name}"


def test_the_asl_failure_record_becomes_a_readable_error():
    cause = json.dumps({"errorMessage": "image file is truncated", "errorType": "CorruptImage",
                        "stackTrace": ["  File ..."]})
    result = VariantResult.from_dict({"preset": "thumb", "status": "failed",
                                      "error": {"type": "CorruptImage", "cause": cause}})
    assert result == VariantResult.failed("thumb", ErrorRecord("CorruptImage", "image file is truncated"))
    assert "stackTrace" not in json.dumps(result.to_dict())


@pytest.mark.parametrize("error, cause, message", [
    ("States.Timeout", "", "States.Timeout"),
    (None, None, "unknown error"),
    ("X", "  plain text  ", "plain text"),
    ("X", {"errorMessage": "parsed already"}, "parsed already"),
])
def test_step_functions_causes_of_every_shape_give_a_message(error, cause, message):
    record = ErrorRecord.from_step_functions(error, cause)
    assert record.message == message and record.type == (error or "Unknown")


def test_long_causes_are_bounded():
    record = ErrorRecord.from_step_functions("X", json.dumps({"errorMessage": "y" * 5000}))
    assert len(record.message) == 1000 and record.message.endswith("…")


def test_a_written_variant_reports_what_was_written():
    rendered = RenderedVariant(b"12345", 20, 10, "png", "image/png")
    assert VariantResult.written("t", "k/t.png", rendered) == VariantResult(
        "t", "ok", "k/t.png", 20, 10, "png", "image/png", 5)


def test_manifest_inputs_from_a_finished_state():
    execution_input = ExecutionInput("render", SOURCE, SETTINGS, (THUMB,), "0123456789abcdef")
    state = execution_input.to_dict() | {
        "analysis": {"image": ANALYSIS.to_dict()},
        "variants": [VariantResult("thumb", "ok", "v/k", 2, 2, "webp", "image/webp", 9).to_dict()],
    }
    inputs = ManifestInputs.from_state(through_json(state), {"name": "n", "arn": "a", "start": "s"})
    assert inputs.source == SOURCE and inputs.output == SETTINGS.output
    assert inputs.preset_names == ("thumb",) and inputs.analysis == ANALYSIS and inputs.error is None
    assert inputs.variants[0].key == "v/k" and inputs.execution == ExecutionInfo("n", "a", "s")


def test_manifest_inputs_when_analysis_failed_carry_the_error_not_the_image():
    state = ExecutionInput("render", SOURCE, SETTINGS, (THUMB,), "0123456789abcdef").to_dict() | {
        "analysis_error": {"Error": "NotAnImage", "Cause": json.dumps({"errorMessage": "text/plain"})},
    }
    inputs = ManifestInputs.from_state(state, {"name": "n"})
    assert inputs.error == ErrorRecord("NotAnImage", "text/plain") and inputs.analysis is None
