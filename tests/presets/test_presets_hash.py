"""The presets hash: stable over spelling, different when the output would be."""

from __future__ import annotations

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
