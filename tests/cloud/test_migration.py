"""Manifests written before fingerprinted keys: readable as they are, moved by backfill --only-stale."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from pathlib import Path

import pytest

from imgfan_core.manifest import validate_manifest

pytestmark = pytest.mark.cloud

PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()


def as_written_by_release_1(manifest: dict, pipeline) -> dict:
    """The same image as a release before fingerprinted keys left it: stable keys, schema 1."""
    old = json.loads(json.dumps(manifest))
    old["schema"] = "imgfan.manifest/1"
    old["srcset"] = {}
    for variant in old["variants"]:
        del variant["url"]
        folder, file_name = variant["key"].rsplit("/", 1)
        preset, _fingerprint, extension = file_name.split(".")
        stable = f"{folder}/{preset}.{extension}"
        pipeline.s3.copy_object(Bucket=pipeline.output_bucket, Key=stable,
                                CopySource={"Bucket": pipeline.output_bucket, "Key": variant["key"]})
        variant["key"] = stable
    return old


def test_backfill_only_stale_moves_release_1_manifests_to_fingerprinted_keys(pipeline, cli):
    prefix = f"migration-{uuid.uuid4().hex[:8]}/"
    key = f"{prefix}old.jpg"
    pipeline.upload(key, PHOTO)
    current = pipeline.manifest(key)
    old = validate_manifest(as_written_by_release_1(current, pipeline))
    manifest_key = f"{key}/manifest.json"
    pipeline.s3.put_object(Bucket=pipeline.output_bucket, Key=manifest_key, Body=json.dumps(old).encode())
    for variant in current["variants"]:  # as if the new layout had never been written
        pipeline.s3.delete_object(Bucket=pipeline.output_bucket, Key=variant["key"])

    code, out, err = cli("backfill", "--prefix", prefix, "--only-stale", "--yes")
    assert code == 0, err
    assert "enqueued 1" in out
    pipeline.cloud.wait_until_idle(timeout=60)
    moved = pipeline.wait_for_manifest_with(key, lambda m: m["schema"] == "imgfan.manifest/2")
    assert moved["presets_hash"] == old["presets_hash"]
    stems = [v["key"].rsplit("/", 1)[1].split(".") for v in moved["variants"]]
    assert all(len(parts) == 3 and len(parts[1]) == 12 for parts in stems), stems
    # The release-1 variants are the previous generation now: a reader of the old manifest still
    # gets its images; the next generation sweeps them.
    for variant in old["variants"]:
        pipeline.s3.head_object(Bucket=pipeline.output_bucket, Key=variant["key"])

    code, out, _ = cli("backfill", "--prefix", prefix, "--only-stale", "--yes")
    assert code == 0 and "enqueued 0" in out and "1 up to date" in out
