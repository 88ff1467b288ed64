"""output.key_style and Cache-Control: stable keys may not be cached as if they never changed."""

from __future__ import annotations

import pytest

from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import parse_presets, presets_hash

PRESETS = [{"name": "thumb", "width": 200}]


def output(**fields):
    return parse_presets({"output": fields, "presets": PRESETS}).output


def test_fingerprinted_keys_are_the_default_and_cached_for_a_year():
    assert output().key_style == "fingerprinted"
    assert output().effective_cache_control == "public, max-age=31536000, immutable"


def test_stable_keys_default_to_a_short_lifetime_that_revalidates():
    assert output(key_style="stable").effective_cache_control == (
        "public, max-age=300, stale-while-revalidate=86400")


@pytest.mark.parametrize("cache_control", [
    "public, max-age=31536000, immutable",
    "public, max-age=86401",
    "public, s-maxage=604800",
    "max-age=60, Immutable",
])
def test_stable_keys_with_a_long_lived_cache_control_are_refused_naming_the_field_and_the_fix(cache_control):
    with pytest.raises(InvalidPresets) as refused:
        parse_presets({"output": {"key_style": "stable", "cache_control": cache_control}, "presets": PRESETS})
    message = str(refused.value)
    assert message.startswith("output.cache_control:")
    assert "key_style 'stable'" in message and "stale-while-revalidate" in message


@pytest.mark.parametrize("cache_control", ["no-cache", "public, max-age=86400", "public, max-age=300"])
def test_stable_keys_accept_a_day_or_less(cache_control):
    assert output(key_style="stable", cache_control=cache_control).effective_cache_control == cache_control


def test_a_misspelt_key_style_is_refused_with_the_choices():
    with pytest.raises(InvalidPresets, match="use one of fingerprinted, stable"):
        parse_presets({"output": {"key_style": "stabel"}, "presets": PRESETS})


def test_spelling_out_the_default_cache_control_keeps_the_presets_hash():
    plain = parse_presets({"presets": PRESETS})
    spelled = parse_presets({"output": {"cache_control": "public, max-age=31536000, immutable",
                                        "key_style": "fingerprinted"}, "presets": PRESETS})
    stable = parse_presets({"output": {"key_style": "stable"}, "presets": PRESETS})
    assert presets_hash(plain) == presets_hash(spelled)
    assert presets_hash(stable) != presets_hash(plain)
