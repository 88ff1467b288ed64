"""presets.schema.json is generated from the model; editors and the model must agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from imgfan_core.presets import SCHEMA_FILE, json_schema, json_schema_text

SCHEMA_PATH = Path(__file__).resolve().parents[2] / SCHEMA_FILE


def test_committed_schema_matches_the_model():
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == json_schema_text(), (
        f"{SCHEMA_FILE} drifted from imgfan_core.presets; run 'imgfan presets schema --write'"
    )


def test_generated_schema_is_a_valid_json_schema():
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["presets"] and schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "$schema", "source", "output", "limits", "metadata", "max_concurrency", "presets"
    }


def test_presets_file_references_the_schema(repo_presets):
    assert repo_presets["$schema"] == f"./{SCHEMA_FILE}"


def test_presets_file_validates_against_the_schema(repo_presets):
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(repo_presets)) == []
    # The committed schema does refuse things: the same file with one typo fails it.
    repo_presets["presets"][0]["qualty"] = 80
    assert [error.validator for error in validator.iter_errors(repo_presets)] == ["additionalProperties"]


@pytest.mark.parametrize(
    "document",
    [
        {"presets": [{"name": "a", "width": 1, "qualty": 3}]},
        {"presets": [{"name": "a", "width": 10, "fit": "cover"}]},
        {"presets": [{"name": "a", "fit": "inside"}]},
        {"presets": [{"name": "Bad Name", "width": 10}]},
        {"presets": [{"name": "a", "width": 10, "format": "jpg"}]},
        {"presets": [{"name": "a", "width": 10, "quality": 101}]},
        {"presets": [{"name": "a", "width": 10}], "limits": {"max_input_pixels": 0}},
        {"presets": [{"name": "a", "width": 10, "format": "jpeg", "animation": "animate"}]},
        {"presets": [{"name": "a", "width": 10, "format": "webp", "progressive": False}]},
        {"presets": [{"name": "a", "width": 10, "format": "png", "gain_map": "keep"}]},
        {"presets": [{"name": "a", "width": 10, "gain_map": "off"}]},
    ],
)
def test_editors_flag_the_same_mistakes(document):
    """The schema carries the cross-field geometry rules too, so an editor warns while typing."""
    assert list(Draft202012Validator(json_schema()).iter_errors(document))
