"""``format: "jxl"`` in presets: what validation accepts and refuses, the schema, keys and types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from imgfan_core.engine import RENDERER, renderer_for
from imgfan_core.engine.models import MetadataSpec
from imgfan_core.errors import InvalidPresets
from imgfan_core.formats import CONTENT_TYPES, EXTENSIONS
from imgfan_core.keys import variant_fingerprint, variant_key
from imgfan_core.presets import json_schema, parse_presets

REPO_ROOT = Path(__file__).resolve().parents[2]


def document(metadata=None, **preset) -> dict:
    doc = {"presets": [{"name": "hero", "width": 1024, "format": "jxl", **preset}]}
    if metadata is not None:
        doc["metadata"] = metadata
    return doc


def refusal(doc) -> str:
    with pytest.raises(InvalidPresets) as caught:
        parse_presets(doc)
    return str(caught.value)


@pytest.mark.parametrize("options", [{}, {"quality": 1}, {"quality": 100}, {"effort": 1}, {"effort": 9},
                                     {"quality": "auto"}, {"quality": {"target": 80}, "effort": 5}])
def test_jxl_with_quality_and_effort_is_accepted(options):
    spec = parse_presets(document(**options)).presets[0].to_spec()
    assert spec.format == "jxl"
    assert (spec.quality, spec.effort) == (options.get("quality"), options.get("effort"))


def test_effort_zero_is_refused_with_the_range():
    message = refusal(document(effort=0))
    assert "presets[0].effort (preset 'hero')" in message and "jxl effort is 1-9" in message


def test_effort_above_nine_is_refused_like_every_format():
    assert "presets[0].effort" in refusal(document(effort=10))


def test_keeping_source_colour_spaces_refuses_jxl_and_says_why():
    message = refusal(document(metadata={"convert_to_srgb": False}))
    assert "presets[0].format (preset 'hero')" in message
    assert "cannot embed the source's ICC profile" in message and "convert_to_srgb" in message
    # The same document without jxl is fine: the rule is about this format only.
    other = document(metadata={"convert_to_srgb": False})
    other["presets"][0]["format"] = "webp"
    assert parse_presets(other).metadata.convert_to_srgb is False


@pytest.mark.parametrize(("option", "value", "words"), [
    ("animation", "animate", "'animate' cannot work with format 'jxl'"),
    ("progressive", True, "only jpeg output has progressive scans"),
    ("gain_map", "keep", "only jpeg output carries a gain map"),
    ("palette", True, "only png output has a palette"),
])
def test_options_of_other_formats_are_refused(option, value, words):
    assert words in refusal(document(**{option: value}))


def test_the_schema_knows_jxl_and_its_effort_range():
    validator = Draft202012Validator(json_schema())
    assert list(validator.iter_errors(document(effort=1, quality=70))) == []
    assert list(validator.iter_errors(document(effort=0)))
    webp = document(effort=0)
    webp["presets"][0]["format"] = "webp"
    assert list(validator.iter_errors(webp)) == []  # effort 0 stays valid for the others


def test_the_committed_schema_lists_jxl():
    schema = json.loads((REPO_ROOT / "presets.schema.json").read_text(encoding="utf-8"))
    assert "jxl" in json.dumps(schema["$defs"]["Preset"]["properties"]["format"])


def test_jxl_variants_are_image_jxl_with_a_jxl_extension():
    assert (CONTENT_TYPES["jxl"], EXTENSIONS["jxl"]) == ("image/jxl", "jxl")
    assert variant_key("out/", "photos/a.jpg", "hero", "jxl", "0123abcd") == "out/photos/a.jpg/hero.0123abcd.jxl"


def test_the_manifest_schemas_accept_jxl():
    for name in ("manifest.schema.json", "event.schema.json"):
        text = (REPO_ROOT / "src" / "imgfan_core" / "schemas" / name).read_text(encoding="utf-8")
        assert '"gif", "jxl"' in text, name


def test_an_imagecodecs_upgrade_changes_jxl_keys_but_no_other_format_s():
    from importlib.metadata import version

    assert renderer_for("webp") == renderer_for("jpeg") == RENDERER
    assert renderer_for("jxl") == f"{RENDERER} imagecodecs/{version('imagecodecs')}"
    spec = parse_presets(document()).presets[0].to_spec()
    assert (variant_fingerprint("etag", spec, MetadataSpec(), renderer_for("jxl"))
            != variant_fingerprint("etag", spec, MetadataSpec(), RENDERER))
