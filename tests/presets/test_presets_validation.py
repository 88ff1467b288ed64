"""Each validation rule refuses the document with a message naming the field and the fix."""

from __future__ import annotations

import copy

import pytest

from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import check_output_location, parse_presets

BASE = {
    "presets": [
        {"name": "thumb", "width": 200, "height": 200, "fit": "cover", "format": "webp", "quality": 75},
        {"name": "small", "width": 480, "format": "jpeg"},
    ]
}


def mutate(change) -> dict:
    document = copy.deepcopy(BASE)
    change(document)
    return document


def refusal(document) -> str:
    with pytest.raises(InvalidPresets) as caught:
        parse_presets(document)
    return str(caught.value)


def test_repository_presets_file_is_valid(repo_presets):
    config = parse_presets(repo_presets)
    assert [p.name for p in config.presets] == [p["name"] for p in repo_presets["presets"]]
    assert [(p.width, p.height) for p in config.presets] == [
        (p.get("width"), p.get("height")) for p in repo_presets["presets"]
    ]
    assert len({p.name for p in config.presets}) == len(config.presets)


@pytest.mark.parametrize(
    ("change", "field", "fix"),
    [
        pytest.param(
            lambda d: d["presets"][0].update(qualty=80),
            "presets[0].qualty",
            "did you mean 'quality'",
            id="preset-typo",
        ),
        pytest.param(lambda d: d.update(limts={}), "limts", "did you mean 'limits'", id="top-level-typo"),
        pytest.param(
            lambda d: d.update(output={"cache_controll": "x"}),
            "output.cache_controll",
            "cache_control",
            id="nested-typo",
        ),
        pytest.param(lambda d: d.update(zzz=1), "zzz", "remove it", id="unknown-no-suggestion"),
    ],
)
def test_unknown_keys_are_refused_naming_the_key(change, field, fix):
    message = refusal(mutate(change))
    assert f"{field}" in message and "unknown field" in message and fix in message


def test_duplicate_preset_names_are_refused():
    message = refusal(mutate(lambda d: d["presets"][1].update(name="thumb")))
    assert message.startswith("presets[1].name: duplicate name 'thumb' (also presets[0])")
    assert "rename one" in message


@pytest.mark.parametrize(
    "name", ["Thumb", "thumb_1", "../etc", "a/b", "-lead", "trail-", "", "x" * 41, "sp ace"]
)
def test_unsafe_preset_names_are_refused(name):
    message = refusal(mutate(lambda d: d["presets"][0].update(name=name)))
    assert "presets[0].name:" in message and "not a safe preset name" in message and "e.g. '" in message


def test_unsafe_name_message_suggests_a_safe_slug():
    assert "e.g. 'thumb-1'" in refusal(mutate(lambda d: d["presets"][0].update(name="Thumb_1")))


@pytest.mark.parametrize(("fit", "missing"), [("cover", "height"), ("contain", "height"), ("fill", "height")])
def test_fit_that_needs_both_dimensions_names_the_missing_one(fit, missing):
    message = refusal(mutate(lambda d: d["presets"][0].update(fit=fit, height=None)))
    assert f"presets[0].{missing} (preset 'thumb'): required because fit is '{fit}'" in message
    assert "fit 'inside'" in message


def test_fit_cover_missing_width_names_width():
    document = mutate(lambda d: d["presets"][0].pop("width"))
    assert "presets[0].width (preset 'thumb'): required because fit is 'cover'" in refusal(document)


def test_inside_with_one_dimension_is_fine():
    preset = parse_presets({"presets": [{"name": "a", "height": 300, "fit": "inside"}]}).presets[0]
    assert (preset.width, preset.height, preset.fit) == (None, 300, "inside")


def test_a_preset_without_any_dimension_is_refused():
    message = refusal({"presets": [{"name": "a", "fit": "inside"}]})
    assert "presets[0].width (preset 'a'): set width, height or both" in message


@pytest.mark.parametrize("quality", [0, 101, -5])
def test_quality_out_of_range(quality):
    message = refusal(mutate(lambda d: d["presets"][0].update(quality=quality)))
    assert (
        f"presets[0].quality (preset 'thumb'): {quality} is out of range; use a whole number from 1 to 100"
        in message
    )


def test_quality_as_string_is_refused_not_coerced():
    message = refusal(mutate(lambda d: d["presets"][0].update(quality="80")))
    assert "presets[0].quality" in message and "without quotes" in message


@pytest.mark.parametrize(("value", "suggestion"), [("jpg", "jpeg"), ("webpp", "webp"), ("bmp", None)])
def test_unknown_format(value, suggestion):
    message = refusal(mutate(lambda d: d["presets"][1].update(format=value)))
    assert (
        f"presets[1].format (preset 'small'): \"{value}\" is not allowed; "
        "use one of jpeg, png, webp, avif, jxl, original" in message
    )
    if suggestion:
        assert f"did you mean '{suggestion}'" in message


def test_unknown_fit_and_position():
    message = refusal(mutate(lambda d: d["presets"][0].update(fit="crop", position="centre")))
    assert (
        "presets[0].fit" in message
        and "presets[0].position" in message
        and "did you mean 'center'" in message
    )


@pytest.mark.parametrize("field", ["max_input_pixels", "max_input_bytes", "max_animation_frames"])
@pytest.mark.parametrize("value", [0, -1])
def test_limits_must_be_positive(field, value):
    message = refusal(mutate(lambda d: d.update(limits={field: value})))
    assert f"limits.{field}: must be a positive whole number (at least 1), got {value}" in message


def test_output_overlapping_source_in_the_file_is_refused():
    document = mutate(
        lambda d: d.update(
            source={"bucket": "b", "prefix": "in/"}, output={"bucket": "b", "prefix": "in/out/"}
        )
    )
    message = refusal(document)
    assert message.startswith("output.prefix: output bucket 'b'")
    assert "trigger the pipeline again" in message and "separate output bucket" in message


@pytest.mark.parametrize(
    ("source", "output"),
    [
        ({"bucket": "b", "prefix": "in/"}, {"bucket": "b", "prefix": "out/"}),
        ({"bucket": "a", "prefix": ""}, {"bucket": "b", "prefix": ""}),
        ({"prefix": ""}, {"prefix": ""}),
    ],
)
def test_disjoint_or_unknown_locations_pass_the_model(source, output):
    config = parse_presets(mutate(lambda d: d.update(source=source, output=output)))
    assert (config.source.bucket, config.source.prefix) == (source.get("bucket"), source["prefix"])
    assert (config.output.bucket, config.output.prefix) == (output.get("bucket"), output["prefix"])


def test_check_output_location_with_real_bucket_names():
    config = parse_presets(BASE)
    with pytest.raises(InvalidPresets, match=r"^output\.prefix: output bucket 'imgs'"):
        check_output_location(config, "imgs", "imgs")
    check_output_location(config, "imgs-source", "imgs-output")
    check_output_location(config, None, None)


def test_check_output_location_prefers_the_bucket_named_in_the_file():
    config = parse_presets(mutate(lambda d: d.update(output={"bucket": "imgs", "prefix": "v/"})))
    with pytest.raises(InvalidPresets, match="output.prefix"):
        check_output_location(config, "imgs", "stack-output-bucket")


def test_check_output_location_allows_disjoint_prefixes_in_one_bucket():
    def in_one_bucket(output_prefix):
        document = mutate(lambda d: d.update(source={"prefix": "uploads/"}, output={"prefix": output_prefix}))
        check_output_location(parse_presets(document), "one", "one")

    in_one_bucket("variants/")
    # The same bucket with nested prefixes is refused, so the prefixes are what let the first pass.
    with pytest.raises(InvalidPresets, match="overlaps the source prefix 'uploads/'"):
        in_one_bucket("uploads/variants/")


def test_output_prefix_must_look_like_a_folder():
    message = refusal(mutate(lambda d: d.update(output={"prefix": "variants"})))
    assert "output.prefix: 'variants' does not end with '/'" in message and "use 'variants/'" in message


@pytest.mark.parametrize("url", ["ftp://cdn", "https://cdn.example.com/?a=1", "cdn.example.com"])
def test_public_base_url_must_be_a_plain_http_url(url):
    message = refusal(mutate(lambda d: d.update(output={"public_base_url": url})))
    assert "output.public_base_url" in message and "base URL" in message


def test_public_base_url_accepted():
    config = parse_presets(
        mutate(lambda d: d.update(output={"public_base_url": "https://cdn.example.com/img"}))
    )
    assert config.output.public_base_url == "https://cdn.example.com/img"


def test_background_colour_message_shows_the_format():
    message = refusal(mutate(lambda d: d["presets"][0].update(background="white")))
    assert "presets[0].background (preset 'thumb'):" in message and "#rrggbb" in message


def test_every_problem_is_reported_on_its_own_line():
    document = mutate(lambda d: (d["presets"][0].update(quality=0), d["presets"][1].update(format="gif")))
    lines = refusal(document).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["presets[0].quality", "presets[1].format"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "not valid JSON: line 1 column 2"),
        ("[]", "expected a JSON object"),
        ({"presets": []}, "presets: is empty; add at least one preset"),
        ({}, "presets: required but missing; add it"),
        (
            {"presets": [{"name": "a", "width": 1}], "max_concurrency": 0},
            "max_concurrency: 0 is out of range",
        ),
    ],
)
def test_document_level_mistakes(document, message):
    assert message in refusal(document)


def test_schema_reference_is_accepted_and_ignored():
    config = parse_presets({"$schema": "./presets.schema.json", **BASE})
    assert config.schema_ref == "./presets.schema.json"


@pytest.mark.parametrize("fmt", ["jpeg", "png", "avif"])
def test_animate_with_a_still_format_is_refused(fmt):
    message = refusal({"presets": [{"name": "a", "width": 10, "format": fmt, "animation": "animate"}]})
    assert f"presets[0].animation (preset 'a'): 'animate' cannot work with format '{fmt}'" in message


@pytest.mark.parametrize("fmt", ["webp", "original"])
def test_animate_with_an_animatable_format_is_fine(fmt):
    config = parse_presets({"presets": [{"name": "a", "width": 10, "format": fmt, "animation": "animate"}]})
    assert (config.presets[0].format, config.presets[0].animation) == (fmt, "animate")


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_progressive_on_a_format_without_progressive_scans_is_refused(fmt):
    message = refusal({"presets": [{"name": "a", "width": 10, "format": fmt, "progressive": False}]})
    assert "presets[0].progressive (preset 'a'): only jpeg output has progressive scans" in message
    assert f"this preset writes '{fmt}'" in message


@pytest.mark.parametrize("fmt", ["jpeg", "original"])
def test_progressive_with_a_jpeg_capable_format_is_fine(fmt):
    config = parse_presets({"presets": [{"name": "a", "width": 10, "format": fmt, "progressive": False}]})
    assert config.presets[0].progressive is False


def test_gain_map_is_kept_by_default_and_reaches_the_render_spec():
    config = parse_presets({"presets": [{"name": "a", "width": 10}, {"name": "b", "width": 10, "gain_map": "drop"}]})
    assert [preset.to_spec().gain_map for preset in config.presets] == ["keep", "drop"]


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_gain_map_on_a_format_that_cannot_carry_one_is_refused(fmt):
    message = refusal({"presets": [{"name": "a", "width": 10, "format": fmt, "gain_map": "drop"}]})
    assert "presets[0].gain_map (preset 'a'): only jpeg output carries a gain map" in message
    assert f"this preset writes '{fmt}'" in message


def test_a_misspelt_gain_map_policy_is_refused():
    message = refusal({"presets": [{"name": "a", "width": 10, "gain_map": "strip"}]})
    assert "presets[0].gain_map (preset 'a'): \"strip\" is not allowed; use one of keep, drop" in message


def test_webp_effort_above_six_is_refused():
    message = refusal({"presets": [{"name": "a", "width": 10, "format": "webp", "effort": 7}]})
    assert "presets[0].effort (preset 'a'): webp effort is 0-6, got 7" in message
