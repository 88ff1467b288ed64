"""The gain map decides a variant's bytes, so it decides its fingerprinted key."""

from __future__ import annotations

from imgfan_core.engine import MetadataSpec, RenderSpec
from imgfan_core.keys import variant_fingerprint

RENDERER = "imgfan-engine/1 Pillow/12.1.1"


def fingerprint(spec: RenderSpec, gain_map: bool = False) -> str:
    return variant_fingerprint("etag-1", spec, MetadataSpec(), RENDERER, gain_map=gain_map)


def test_a_kept_gain_map_changes_the_key_and_an_sdr_variant_keeps_todays():
    spec = RenderSpec("large", 1600, format="jpeg")
    # what the key was before gain maps existed: the same call without the new argument
    before = variant_fingerprint("etag-1", spec, MetadataSpec(), RENDERER)
    assert fingerprint(spec) == before
    assert fingerprint(spec, gain_map=True) != before


def test_the_preset_option_changes_the_key():
    keep = RenderSpec("large", 1600, format="jpeg")
    drop = RenderSpec("large", 1600, format="jpeg", gain_map="drop")
    assert fingerprint(keep) != fingerprint(drop)
