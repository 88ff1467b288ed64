"""build_manifest: status rules, errors, srcset, execution timing; every result passes the schema."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from jsonschema import Draft7Validator

from imgfan_core.contract import ErrorRecord, ManifestInputs
from imgfan_core.manifest import (
    MANIFEST_SCHEMA_VERSION,
    InvalidManifest,
    build_manifest,
    build_srcset,
    dumps_manifest,
    load_schema,
    same_aspect,
    validate_manifest,
)


def build(state, execution, now):
    """What the finalizer does: adapt the state machine's final state, then build."""
    return build_manifest(ManifestInputs.from_state(state, execution), now)


def error_message(error_type, cause):
    return ErrorRecord.from_step_functions(error_type, cause).message

NOW = datetime(2026, 11, 26, 15, 0, 2, 500000, tzinfo=UTC)
EXECUTION = {
    "name": "render-cat.jpg-0123456789abcdef01234567",
    "arn": "arn:aws:states:us-east-1:123456789012:execution:imgfan:render-cat.jpg-0123456789abcdef01234567",
    "start": "2026-11-26T15:00:00.000Z",
}
PRESETS = [
    {"name": "thumb", "width": 200, "height": 200, "fit": "cover", "format": "webp"},
    {"name": "small", "width": 480, "format": "jpeg"},
    {"name": "large", "width": 2048, "format": "webp"},
    {"name": "medium", "width": 1024, "format": "webp"},
]
IMAGE = {
    "format": "jpeg",
    "width": 3000,
    "height": 2000,
    "orientation": 6,
    "has_alpha": False,
    "animated": False,
    "frames": 1,
    "colour_profile": "sRGB IEC61966-2.1",
    "bytes": 845123,
    "placeholder": {"data_uri": "data:image/webp;base64,UklGRh4AAABXRUJQVlA4", "dominant_color": "#6a5b4c"},
}
EXT = {"jpeg": "jpg", "webp": "webp"}
FOLDER = "variants/photos/cat.jpg/"


def ok(preset, width, height, fmt):
    return {
        "preset": preset,
        "status": "ok",
        "key": f"{FOLDER}{preset}.{EXT[fmt]}",
        "width": width,
        "height": height,
        "format": fmt,
        "content_type": f"image/{fmt}",
        "bytes": width * 10,
    }


def failed(preset, error_type, cause):
    return {"preset": preset, "status": "failed", "error": {"type": error_type, "cause": cause}}


def lambda_cause(message, error_type="CorruptImage"):
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": "r", "stackTrace": ["  File x"]}
    )


OK_VARIANTS = [
    ok("thumb", 200, 200, "webp"),
    ok("small", 480, 320, "jpeg"),
    ok("large", 2048, 1365, "webp"),
    ok("medium", 1024, 683, "webp"),
]


def make_state(**changes):
    state = {
        "action": "render",
        "source": {
            "bucket": "imgfan-source",
            "key": "photos/cat.jpg",
            "version_id": None,
            "etag": '"9b2cf535f27731c974343645a3985328"',
            "bytes": 845123,
        },
        "settings": {
            "output": {
                "bucket": "imgfan-output",
                "prefix": "variants/",
                "cache_control": "public, max-age=60",
            },
            "limits": {
                "max_input_pixels": 50000000,
                "max_input_bytes": 52428800,
                "max_animation_frames": 200,
            },
            "metadata": {"strip": True, "convert_to_srgb": True},
        },
        "presets": copy.deepcopy(PRESETS),
        "presets_hash": "f75ecd4f9ba16d2f",
        "analysis": {"image": copy.deepcopy(IMAGE)},
        "variants": copy.deepcopy(OK_VARIANTS),
    }
    state.update(changes)
    return state


def analysis_failed_state():
    state = make_state(
        analysis_error={
            "Error": "NotAnImage",
            "Cause": lambda_cause("not an image: looks like text/plain", "NotAnImage"),
        }
    )
    del state["analysis"], state["variants"]
    return state


SCENARIOS = {
    "complete": make_state(),
    "partial": make_state(variants=OK_VARIANTS[:3] + [failed("medium", "States.Timeout", "")]),
    "failed-variants": make_state(
        variants=[failed(p["name"], "CorruptImage", lambda_cause("truncated")) for p in PRESETS]
    ),
    "failed-analysis": analysis_failed_state(),
}


@pytest.fixture(params=list(SCENARIOS))
def scenario(request):
    return request.param, build(copy.deepcopy(SCENARIOS[request.param]), dict(EXECUTION), NOW)


def test_every_scenario_validates_with_both_validators(scenario):
    _, manifest = scenario
    assert validate_manifest(manifest) is manifest
    Draft7Validator(load_schema()).validate(manifest)


def test_status_rules(scenario):
    name, manifest = scenario
    expected = {
        "complete": "complete",
        "partial": "partial",
        "failed-variants": "failed",
        "failed-analysis": "failed",
    }
    assert manifest["status"] == expected[name]
    assert manifest["schema"] == MANIFEST_SCHEMA_VERSION == "imgfan.manifest/2"


def test_manifest_schema_is_valid_draft7():
    Draft7Validator.check_schema(load_schema())


def test_complete_manifest_fields():
    manifest = build(make_state(), EXECUTION, NOW)
    assert manifest["source"] == {
        "bucket": "imgfan-source",
        "key": "photos/cat.jpg",
        "version_id": None,
        "etag": '"9b2cf535f27731c974343645a3985328"',
        "bytes": 845123,
        "format": "jpeg",
        "width": 3000,
        "height": 2000,
        "orientation": 6,
        "has_alpha": False,
        "animated": False,
        "frames": 1,
        "colour_profile": "sRGB IEC61966-2.1",
    }
    assert manifest["output"] == {"bucket": "imgfan-output", "folder": FOLDER}
    assert manifest["presets_hash"] == "f75ecd4f9ba16d2f"
    assert [v["preset"] for v in manifest["variants"]] == ["thumb", "small", "large", "medium"]
    assert all("error" not in v for v in manifest["variants"])
    assert manifest["placeholder"] == IMAGE["placeholder"]
    assert manifest["error"] is None
    assert manifest["generated_at"] == "2026-11-26T15:00:02.500Z"


def test_an_ultra_hdr_source_says_so_and_others_leave_the_field_out():
    state = make_state()
    state["analysis"]["image"]["hdr"] = "gain-map"
    hdr = validate_manifest(build(state, EXECUTION, NOW))
    assert hdr["source"]["hdr"] == "gain-map"
    assert "hdr" not in build(make_state(), EXECUTION, NOW)["source"]


def test_the_schema_refuses_an_unknown_hdr_kind():
    manifest = build(make_state(), EXECUTION, NOW)
    manifest["source"]["hdr"] = "pq"
    with pytest.raises(InvalidManifest, match="hdr"):
        validate_manifest(manifest)


def test_execution_timing():
    assert build(make_state(), EXECUTION, NOW)["execution"] == {
        "name": EXECUTION["name"],
        "arn": EXECUTION["arn"],
        "start": "2026-11-26T15:00:00.000Z",
        "end": "2026-11-26T15:00:02.500Z",
        "duration_ms": 2500,
    }


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-26T15:00:00Z",
        "2026-11-26T16:00:00+01:00",
        "2026-11-26T15:00:00.000000+00:00",
        datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        NOW.timestamp() - 2.5,
        (NOW.timestamp() - 2.5) * 1000,
    ],
)
def test_execution_start_formats(start):
    manifest = build(make_state(), dict(EXECUTION, start=start), NOW)
    assert manifest["execution"]["start"] == "2026-11-26T15:00:00.000Z"
    assert manifest["execution"]["duration_ms"] == 2500
    validate_manifest(manifest)


def test_unparseable_start_keeps_the_text_without_duration():
    manifest = validate_manifest(build(make_state(), dict(EXECUTION, start="yesterday"), NOW))
    assert manifest["execution"]["start"] == "yesterday" and manifest["execution"]["duration_ms"] is None


def test_start_after_now_never_gives_a_negative_duration():
    later = (NOW + timedelta(seconds=1)).isoformat()
    assert build(make_state(), dict(EXECUTION, start=later), NOW)["execution"]["duration_ms"] == 0


def test_naive_and_offset_now_are_reported_in_utc():
    naive = build(make_state(), EXECUTION, NOW.replace(tzinfo=None))
    offset = build(make_state(), EXECUTION, NOW.astimezone(timezone(timedelta(hours=-5))))
    assert naive["generated_at"] == offset["generated_at"] == "2026-11-26T15:00:02.500Z"


def test_partial_failed_variant_carries_type_and_message():
    state = make_state(
        variants=OK_VARIANTS[:3]
        + [failed("medium", "ImageTooLarge", lambda_cause("70000000 pixels > 50000000"))]
    )
    medium = build(state, EXECUTION, NOW)["variants"][3]
    assert medium == {
        "preset": "medium",
        "status": "failed",
        "key": None,
        "url": None,
        "width": None,
        "height": None,
        "format": None,
        "content_type": None,
        "bytes": None,
        "error": {"type": "ImageTooLarge", "message": "70000000 pixels > 50000000"},
    }


def test_variant_urls_are_relative_to_the_folder_or_absolute_under_the_public_base_url():
    relative = build(make_state(), EXECUTION, NOW)["variants"][0]
    assert relative["url"] == "thumb.webp"
    state = make_state()
    state["settings"]["output"]["public_base_url"] = "https://cdn.example/"
    absolute = build(state, EXECUTION, NOW)["variants"][0]
    assert absolute["url"] == "https://cdn.example/variants/photos/cat.jpg/thumb.webp"


def test_a_version_1_manifest_written_before_fingerprinted_keys_still_validates():
    old = build(make_state(), EXECUTION, NOW)
    old["schema"] = "imgfan.manifest/1"
    for variant in old["variants"]:
        del variant["url"]
    assert validate_manifest(old) is old
    old["schema"] = "imgfan.manifest/2"
    with pytest.raises(InvalidManifest, match="url"):
        validate_manifest(old)


def test_analysis_error_fails_every_preset_with_that_error():
    manifest = build(analysis_failed_state(), EXECUTION, NOW)
    error = {"type": "NotAnImage", "message": "not an image: looks like text/plain"}
    assert manifest["error"] == error
    assert [(v["preset"], v["status"], v["error"]) for v in manifest["variants"]] == [
        (p["name"], "failed", error) for p in PRESETS
    ]
    assert manifest["srcset"] == {} and manifest["placeholder"] is None
    assert manifest["source"]["format"] is None and manifest["source"]["width"] is None
    assert manifest["source"]["bytes"] == 845123


@pytest.mark.parametrize(
    ("error_type", "cause", "message"),
    [
        ("CorruptImage", lambda_cause("image file is truncated"), "image file is truncated"),
        (
            "Lambda.Unknown",
            "The cause could not be determined because Lambda did not return an error type.",
            "The cause could not be determined because Lambda did not return an error type.",
        ),
        ("States.Timeout", "", "States.Timeout"),
        ("States.Timeout", None, "States.Timeout"),
        ("X", json.dumps({"errorType": "X"}), json.dumps({"errorType": "X"})),
        ("X", {"errorMessage": "already parsed"}, "already parsed"),
        ("X", "  padded  ", "padded"),
    ],
)
def test_error_message_from_cause(error_type, cause, message):
    assert error_message(error_type, cause) == message


def test_error_message_is_bounded():
    message = error_message("X", lambda_cause("y" * 5000))
    assert len(message) == 1000 and message.endswith("…")


def test_srcset_per_format_ordered_by_width_only_ok_variants():
    state = make_state(variants=OK_VARIANTS[:3] + [failed("medium", "TransientError", lambda_cause("slow"))])
    srcset = build(state, EXECUTION, NOW)["srcset"]
    assert srcset == {"jpeg": "small.jpg 480w", "webp": "large.webp 2048w"}


def test_srcset_complete_is_paste_ready():
    srcset = build(make_state(), EXECUTION, NOW)["srcset"]
    assert srcset["webp"] == "medium.webp 1024w, large.webp 2048w"
    assert list(srcset) == ["jpeg", "webp"]


def test_srcset_orders_by_width_not_preset_order():
    variants = [ok("c", 1500, 1000, "webp"), ok("a", 300, 200, "webp"), ok("b", 900, 600, "webp")]
    assert build_srcset(variants, FOLDER, source_size=(3000, 2000)) == {
        "webp": "a.webp 300w, b.webp 900w, c.webp 1500w"
    }


def test_srcset_leaves_out_crops_that_would_change_the_framing():
    """thumb (200x200 cover) and a 1200x630 card are not the same picture as the 3:2 source."""
    variants = [ok("thumb", 200, 200, "webp"), ok("card", 1200, 630, "jpeg"), ok("small", 480, 320, "jpeg")]
    assert build_srcset(variants, FOLDER, source_size=(3000, 2000)) == {"jpeg": "small.jpg 480w"}
    assert build_srcset(variants, FOLDER)["webp"] == "thumb.webp 200w"  # no source size: no filter


def test_same_aspect_allows_one_pixel_of_rounding():
    assert same_aspect(1024, 683, (3000, 2000)) and same_aspect(1024, 682, (3000, 2000))
    assert not same_aspect(1024, 600, (3000, 2000))
    assert same_aspect(1, 1, (4000, 3))  # an extreme panorama rounds to a 1 px tall strip


def test_srcset_absolute_with_public_base_url_and_encoded_keys():
    state = make_state()
    state["source"]["key"] = "photos/my cat, 2.jpg"
    folder = "variants/photos/my cat, 2.jpg/"
    for variant in state["variants"]:
        variant["key"] = folder + variant["key"].rsplit("/", 1)[1]
    state["settings"]["output"]["public_base_url"] = "https://cdn.example.com/img/"
    manifest = validate_manifest(build(state, EXECUTION, NOW))
    assert (
        manifest["srcset"]["jpeg"]
        == "https://cdn.example.com/img/variants/photos/my%20cat%2C%202.jpg/small.jpg 480w"
    )


def test_srcset_drops_a_second_variant_with_the_same_width_and_format():
    variants = [dict(ok("small", 480, 320, "jpeg")), dict(ok("small-crop", 480, 480, "jpeg"))]
    assert build_srcset(variants, FOLDER) == {"jpeg": "small.jpg 480w"}


def test_srcset_keys_outside_the_folder_stay_usable():
    variant = ok("small", 480, 320, "jpeg")
    variant["key"] = "elsewhere/small.jpg"
    assert build_srcset([variant], FOLDER) == {"jpeg": "elsewhere/small.jpg 480w"}


@pytest.mark.parametrize(
    ("break_it", "field"),
    [
        (lambda m: m.update(status="done"), "manifest.status"),
        (lambda m: m["variants"][0].update(width=None), "manifest.variants[0]"),
        (
            lambda m: m.update(
                status="complete", variants=m["variants"][:1] + [dict(m["variants"][1], status="failed")]
            ),
            "manifest.variants[1]",
        ),
        (lambda m: m["source"].pop("etag"), "manifest.source"),
        (lambda m: m.update(extra=1), "manifest"),
        (lambda m: m.update(presets_hash="nothex"), "manifest.presets_hash"),
        (lambda m: m["srcset"].update(webp="thumb.webp"), "manifest.srcset"),
    ],
)
def test_invalid_manifests_fail_loudly_naming_the_field(break_it, field):
    manifest = build(make_state(), EXECUTION, NOW)
    break_it(manifest)
    with pytest.raises(InvalidManifest) as caught:
        validate_manifest(manifest)
    assert str(caught.value).startswith(field)
    assert list(Draft7Validator(load_schema()).iter_errors(manifest)), "jsonschema must agree"


def test_dumps_manifest_is_utf8_json_with_trailing_newline():
    manifest = build(make_state(), EXECUTION, NOW)
    data = dumps_manifest(manifest)
    assert data.endswith(b"\n") and json.loads(data) == manifest


def test_a_state_without_analysis_is_a_failed_manifest_not_a_crash():
    state = make_state()
    del state["analysis"]
    manifest = validate_manifest(build(state, EXECUTION, NOW))
    assert manifest["status"] == "failed" and manifest["error"]["type"] == "MissingAnalysis"
