"""Completion events: the details match the shipped schema, stay small, and a refusal is retried."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from imgfan_core.contract import OutputSettings, SourceRef
from imgfan_core.errors import TransientError
from imgfan_core.notifications import (
    MANIFEST_WRITTEN,
    MAX_EVENT_BYTES,
    OUTPUTS_DELETED,
    manifest_written,
    outputs_deleted,
    put_event,
)

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src" / "imgfan_core" / "schemas"
                     / "event.schema.json").read_text())
SOURCE = SourceRef("src", "photos/cat 1.jpg", None, "e1", "e1@S", 10)


def manifest(variants, status="complete", error=None):
    return {"status": status, "output": {"bucket": "out", "folder": "photos/cat 1.jpg/"},
            "presets_hash": "0123456789abcdef", "variants": variants, "error": error}


def variant(preset, key):
    return {"preset": preset, "status": "ok", "key": key, "url": f"https://cdn.example/{key}",
            "width": 10, "height": 10, "format": "webp", "content_type": "image/webp", "bytes": 5}


def event(detail_type, detail):
    return {"source": "imgfan", "detail-type": detail_type, "detail": json.loads(json.dumps(detail))}


def test_a_manifest_written_detail_matches_the_schema_and_points_at_the_manifest():
    detail = manifest_written(manifest([variant("thumb", "photos/cat 1.jpg/thumb.0123456789ab.webp")]),
                              SOURCE, "photos/cat 1.jpg/manifest.json", "https://cdn.example")
    jsonschema.validate(event(MANIFEST_WRITTEN, detail), SCHEMA)
    assert detail["manifest"] == {"bucket": "out", "key": "photos/cat 1.jpg/manifest.json",
                                  "url": "https://cdn.example/photos/cat%201.jpg/manifest.json"}
    assert detail["source"] == {"bucket": "src", "key": "photos/cat 1.jpg", "version_id": None, "etag": "e1"}
    assert "content_type" not in detail["variants"][0]


def test_a_failed_image_and_a_deletion_match_the_schema_too():
    failed = manifest([], status="failed", error={"type": "NotAnImage", "message": "text"})
    jsonschema.validate(event(MANIFEST_WRITTEN, manifest_written(failed, SOURCE, "k/manifest.json", None)), SCHEMA)
    deleted = outputs_deleted(SOURCE, OutputSettings("out"), "k/manifest.json", 6)
    jsonschema.validate(event(OUTPUTS_DELETED, deleted), SCHEMA)
    assert deleted["manifest"]["url"] is None and deleted["deleted"] == 6


def test_the_most_a_presets_file_allows_stays_under_eventbridges_limit():
    # 40 presets (the model's maximum) and keys at S3's 1,024-byte limit, every byte escaped in the URL.
    key = "ü" * 500 + ".jpg/"
    variants = [variant(f"p{i:02d}", key + f"{'x' * 5}.0123456789ab.webp") for i in range(40)]
    for v in variants:
        v["url"] = "https://d111111abcdef8.cloudfront.net/" + "%C3%BC" * 500 + "/x.webp"
    detail = manifest_written(manifest(variants), SOURCE, key + "manifest.json", "https://d111111abcdef8.cloudfront.net")
    size = len(json.dumps(detail, ensure_ascii=False, separators=(",", ":")).encode())
    assert size < MAX_EVENT_BYTES, size


def test_an_event_eventbridge_refuses_is_a_transient_error(aws):
    with pytest.raises(TransientError, match="no-such-bus"):
        put_event(aws("events"), "no-such-bus", MANIFEST_WRITTEN, {"status": "complete"})


def test_an_event_on_an_existing_bus_is_accepted(aws):
    events = aws("events")
    events.create_event_bus(Name="apps")
    put_event(events, "apps", OUTPUTS_DELETED, {"status": "deleted"})  # raises on any refusal
