"""The forms of a preset's ``quality``: validation messages, the spec it becomes, its JSON round trip."""

from __future__ import annotations

import json

import pytest

from imgfan_core.engine.models import RenderSpec
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import parse_presets, presets_hash


def _document(quality) -> dict:
    preset = {"name": "thumb", "width": 200, "format": "webp"}
    if quality is not None:
        preset["quality"] = quality
    return {"presets": [preset]}


def _refusal(quality) -> str:
    with pytest.raises(InvalidPresets) as caught:
        parse_presets(_document(quality))
    return str(caught.value)


@pytest.mark.parametrize(
    ("quality", "spec_quality"),
    [(1, 1), (80, 80), (100, 100), ("auto", "auto"), ({"target": 30}, {"target": 30}),
     ({"target": 90}, {"target": 90}), (None, None)],
)
def test_every_form_is_accepted_and_reaches_the_engine_as_json(quality, spec_quality):
    spec = parse_presets(_document(quality)).presets[0].to_spec()
    assert spec.quality == spec_quality
    travelled = RenderSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert travelled == spec and travelled.quality == spec_quality


@pytest.mark.parametrize(
    ("quality", "field", "expected"),
    [
        (0, "quality", "0 is out of range; use a whole number from 1 to 100"),
        (101, "quality", '"auto" (a score of 75), or {"target": N} with N from 30 to 90'),
        ("80", "quality", 'expected a whole number, got "80"; write it without quotes'),
        ("Auto", "quality", "did you mean 'auto'?"),
        ("best", "quality", '"best" is not allowed; use a whole number from 1 to 100, "auto"'),
        (80.5, "quality", "80.5 is not a quality; use a whole number from 1 to 100"),
        ({"target": 95}, "quality.target", "95 is out of range; use a whole number from 30 to 90"),
        ({"target": "70"}, "quality.target", 'expected a whole number, got "70"'),
        ({"targt": 70}, "quality.targt", "unknown field; did you mean 'target'? Rename it."),
        ({}, "quality.target", 'required but missing; add it, e.g. {"target": 75}'),
    ],
)
def test_a_wrong_quality_gets_one_line_naming_the_field_and_the_fix(quality, field, expected):
    message = _refusal(quality)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"presets[0].{field} (preset 'thumb'): ")
    assert expected in message


def test_the_hash_tells_the_forms_apart_and_ignores_an_unset_quality():
    hashes = {repr(q): presets_hash(parse_presets(_document(q))) for q in (None, 80, "auto", {"target": 75})}
    assert len(set(hashes.values())) == 4
    assert presets_hash(parse_presets(_document(None))) == presets_hash(
        parse_presets({"presets": [{"name": "thumb", "width": 200, "format": "webp", "quality": None}]})
    )


def test_a_spec_written_before_auto_existed_still_reads():
    spec = RenderSpec.from_dict({"name": "small", "width": 480, "format": "jpeg", "quality": 80})
    assert spec.quality == 80
