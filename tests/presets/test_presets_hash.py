"""The presets hash: stable over spelling, different when the output would be."""

from __future__ import annotations

import hashlib
import json
import re

from imgfan_core.presets import _hash_material, canonical_json, parse_presets, presets_hash


def reorder(value):
    """The same document with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(item) for item in value]
    return value


def test_hash_is_sixteen_hex_characters(repo_presets):
    assert re.fullmatch(r"[0-9a-f]{16}", presets_hash(parse_presets(repo_presets)))


def test_hash_is_stable_under_key_reordering_and_whitespace(repo_presets):
    compact = json.dumps(repo_presets, separators=(",", ":"))
    spread = json.dumps(reorder(repo_presets), indent=7)
    assert compact != spread
    assert presets_hash(parse_presets(compact)) == presets_hash(parse_presets(spread))
    assert canonical_json(parse_presets(compact)) == canonical_json(parse_presets(spread))


def test_hash_ignores_spelled_out_defaults_and_the_schema_reference():
    terse = {"presets": [{"name": "a", "width": 100}]}
    verbose = {
        "$schema": "./presets.schema.json",
        "presets": [{"name": "a", "width": 100, "fit": "inside", "enlarge": False, "position": "center"}],
        "metadata": {"strip": True},
    }
    assert presets_hash(parse_presets(terse)) == presets_hash(parse_presets(verbose))


def test_hash_covers_only_what_the_user_set():
    # So an option added in a later release, defaulting to the old behaviour, changes no hash.
    material = _hash_material(parse_presets({"presets": [{"name": "a", "width": 100, "progressive": True}]}))
    assert json.loads(material) == {"presets": [{"name": "a", "width": 100}]}


def test_hash_ignores_preset_order_suffix_case_and_concurrency(repo_presets):
    shuffled = dict(repo_presets, presets=list(reversed(repo_presets["presets"])), max_concurrency=9)
    shuffled["source"] = dict(repo_presets["source"], suffixes=[".JPG", ".png"])
    assert presets_hash(parse_presets(shuffled)) == presets_hash(parse_presets(repo_presets))


def test_hash_changes_when_a_variant_would_change(repo_presets):
    base = presets_hash(parse_presets(repo_presets))
    changed = json.loads(json.dumps(repo_presets))
    changed["presets"][0]["quality"] = 76
    assert presets_hash(parse_presets(changed)) != base
    moved = dict(repo_presets, output={"prefix": "v/"})
    assert presets_hash(parse_presets(moved)) != base
    stripped = dict(repo_presets, metadata={"strip": False})
    assert presets_hash(parse_presets(stripped)) != base


def test_canonical_json_has_sorted_keys_and_no_whitespace(repo_presets):
    text = canonical_json(parse_presets(repo_presets))
    assert " " not in text.replace("public, max-age", "").replace(", immutable", "")
    assert json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text


PINNED_DOCUMENT = """
{
  "$schema": "./presets.schema.json",
  "source": {"prefix": "uploads/", "suffixes": [".jpg", ".png"]},
  "output": {"prefix": "variants/", "cache_control": "public, max-age=86400"},
  "limits": {"max_input_pixels": 40000000},
  "metadata": {"strip": false},
  "max_concurrency": 8,
  "presets": [
    {"name": "thumb", "width": 200, "height": 200, "fit": "cover", "position": "attention",
     "format": "webp", "quality": 70},
    {"name": "large", "width": 1600, "format": "jpeg", "progressive": false, "quality": 82}
  ]
}
"""
# What the hash covers, written out by hand: keys sorted, no whitespace, defaults, source,
# max_concurrency and $schema left out, presets sorted by name.
PINNED_MATERIAL = (
    '{"limits":{"max_input_pixels":40000000},"metadata":{"strip":false},'
    '"output":{"cache_control":"public, max-age=86400","prefix":"variants/"},'
    '"presets":[{"format":"jpeg","name":"large","progressive":false,"quality":82,"width":1600},'
    '{"fit":"cover","format":"webp","height":200,"name":"thumb","position":"attention","quality":70,'
    '"width":200}]}'
)
# Every stored manifest records the presets hash. If this value changes, every manifest in every
# deployment turns stale at once and `imgfan backfill --only-stale` re-renders every image. Change
# it only on purpose, with a release note, never as a side effect of a refactor.
PINNED_HASH = "e2429e7c6dd45a2c"


def test_hash_of_a_fixed_document_is_pinned():
    assert presets_hash(parse_presets(PINNED_DOCUMENT)) == PINNED_HASH


def test_hash_is_the_first_16_hex_of_sha256_over_the_hand_written_material():
    # Says what the pin is made of, so a deliberate change knows what to recompute.
    assert _hash_material(parse_presets(PINNED_DOCUMENT)) == PINNED_MATERIAL
    assert hashlib.sha256(PINNED_MATERIAL.encode("utf-8")).hexdigest()[:16] == PINNED_HASH
