"""Generations without AWS: which manifests may be written, and which objects may be swept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from imgfan_core.contract import SourceRef
from imgfan_core.engine.models import MetadataSpec, RenderSpec
from imgfan_core.keys import variant_fingerprint, variant_key
from imgfan_core.publish import superseded_because, sweepable, variant_keys
from imgfan_core.storage import SourceState

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("source, now, reason", [
    (SourceRef("b", "k", etag="aaa"), SourceState(True, '"aaa"'), None),
    (SourceRef("b", "k", etag='"aaa"'), SourceState(True, "aaa"), None),
    (SourceRef("b", "k", etag="aaa"), SourceState(True, '"bbb"'), "replaced by a newer upload"),
    (SourceRef("b", "k", etag="aaa"), SourceState(False), "deleted"),
    (SourceRef("b", "k", version_id="v1", etag="aaa"), SourceState(True, '"aaa"', "v2"), "newer version"),
    (SourceRef("b", "k", version_id="v1", etag="aaa"), SourceState(True, '"zzz"', "v1"), None),
    # An emitter that names neither: nothing to compare, so the manifest is written.
    (SourceRef("b", "k"), SourceState(True, '"zzz"'), None),
])
def test_only_the_object_still_at_the_key_gets_a_manifest(source, now, reason):
    found = superseded_because(source, now)
    assert (found is None) if reason is None else (reason in found)


def listing(*entries):
    return [{"Key": key, "LastModified": T0 + timedelta(seconds=offset)} for key, offset in entries]


def test_the_sweep_keeps_named_variants_the_pointer_and_anything_newer():
    objects = listing(
        ("v/cat.jpg/thumb.111.webp", -100),       # oldest generation: goes
        ("v/cat.jpg/thumb.222.webp", -50),        # previous manifest's: stays
        ("v/cat.jpg/thumb.333.webp", -1),         # current manifest's: stays
        ("v/cat.jpg/manifest.json", -1),          # the pointer itself
        ("v/cat.jpg/thumb.444.webp", 5),          # written after the current source: a newer upload's
        ("v/cat.jpg/thumb.555.webp", 0),          # same instant as the source: not provably older
    )
    keep = {"v/cat.jpg/thumb.222.webp", "v/cat.jpg/thumb.333.webp"}
    assert sweepable(objects, keep, older_than=T0) == ["v/cat.jpg/thumb.111.webp"]


def test_variant_keys_reads_ok_and_failed_variants_and_tolerates_no_manifest():
    manifest = {"variants": [{"key": "a"}, {"key": None}, {"key": "b"}]}
    assert variant_keys(manifest) == {"a", "b"}
    assert variant_keys(None) == set()


SPEC = RenderSpec("thumb", 200, 200, "cover", format="webp", quality=75)


def fingerprint(content="etag-1", spec=SPEC, metadata=MetadataSpec(), renderer="engine/1 Pillow/12"):
    return variant_fingerprint(content, spec, metadata, renderer)


def test_the_fingerprint_is_twelve_hex_characters_and_the_same_for_the_same_inputs():
    assert fingerprint() == fingerprint()
    assert len(fingerprint()) == 12 and int(fingerprint(), 16) >= 0
    key = variant_key("v/", "a b.jpg", "thumb", "webp", fingerprint())
    assert key == f"v/a b.jpg/thumb.{fingerprint()}.webp"
    assert variant_key("v/", "a b.jpg", "thumb", "webp") == "v/a b.jpg/thumb.webp"


@pytest.mark.parametrize("change", [
    {"content": "etag-2"},
    {"spec": RenderSpec("thumb", 201, 200, "cover", format="webp", quality=75)},
    {"spec": RenderSpec("thumb", 200, 200, "cover", format="webp", quality=76)},
    {"spec": RenderSpec("thumb", 200, 200, "cover", "entropy", format="webp", quality=75)},
    {"spec": RenderSpec("thumb", 200, 200, "cover", format="webp", quality=75, background="#000000")},
    {"metadata": MetadataSpec(strip=False)},
    {"renderer": "engine/1 Pillow/13"},
], ids=["content", "width", "quality", "position", "background", "metadata", "renderer"])
def test_anything_that_decides_the_bytes_changes_the_fingerprint(change):
    assert fingerprint(**change) != fingerprint()


def test_an_option_a_later_release_adds_at_its_default_keeps_every_fingerprint():
    @dataclasses.dataclass(frozen=True)
    class NextReleaseSpec(RenderSpec):
        sharpen: float = 0.0  # a new option whose default is today's behaviour

    newer = NextReleaseSpec("thumb", 200, 200, "cover", format="webp", quality=75)
    assert fingerprint(spec=newer) == fingerprint()
    assert fingerprint(spec=dataclasses.replace(newer, sharpen=0.5)) != fingerprint()
